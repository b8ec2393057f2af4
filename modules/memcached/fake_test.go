package memcached_test

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

// readGet reads one memcached command line ("get KEY\r\n") straight from
// the connection, byte by byte so that nothing after it is consumed.
func readGet() testutil.Step {
	return testutil.Func(func(c *testutil.BackendConn) error {
		_, err := readKey(c)
		return err
	})
}

// readKey reads a "get KEY\r\n" line as readGet does and returns KEY.
func readKey(c *testutil.BackendConn) (string, error) {
	c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	line, err := bufio.NewReaderSize(oneByte{c}, 16).ReadString('\n')
	if err != nil {
		if line == "" {
			return "", testutil.ErrStop
		}
		return "", err
	}
	key, ok := strings.CutPrefix(line, "get ")
	if !ok || !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("not a get command: " + line)
	}
	return strings.TrimSuffix(key, "\r\n"), nil
}

// oneByte reads one byte at a time, so that a bufio.Reader over it never
// reads ahead.
type oneByte struct{ c *testutil.BackendConn }

func (o oneByte) Read(b []byte) (int, error) { return o.c.Read(b[:1]) }

// TestFakeServer runs memcached answers a real server would not give.
func TestFakeServer(t *testing.T) {
	W, S := testutil.Write, testutil.Sleep
	const split = 20 * time.Millisecond // lets each write arrive in its own read
	tests := []struct {
		name   string
		script testutil.Script
		extra  string // directives in the location
		status int
		body   string
		cut    bool   // the response is cut: closed before Content-Length bytes
		log    string // expected in the error log
		nolog  string // must not be in the error log
	}{
		{name: "split trailer", status: 200, body: "SEE-THIS", nolog: "[error]",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE-TH"), S(split), W("IS"), S(split),
				W("\r\nEN"), S(split), W("D\r\n"), testutil.Close()}},
		{name: "header split", status: 200, body: "SEE-THIS", nolog: "[error]",
			script: testutil.Script{readGet(), W("VAL"), S(split), W("UE / 0 8\r"), S(split), W("\nSEE-THIS\r\nEND\r\n"), testutil.Close()}},
		{name: "data after trailer", status: 200, body: "SEE-THIS", log: "memcached sent invalid trailer while reading response header from upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE-THIS\r\nEND\r\n\x00" + strings.Repeat("1", 1024)), S(split), W("EXTRA\r\n"), testutil.Close()}},
		{name: "wrong trailer", status: 200, body: "SEE-THIS", log: "memcached sent invalid trailer",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE-THIS\r\nFOO\r\n"), testutil.Close()}},
		{name: "closed in the value", status: 200, body: "SEE", cut: true,
			log:    "upstream prematurely closed connection while reading upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE"), S(split), testutil.Close()}},
		{name: "closed in the trailer", status: 200, body: "SEE-THIS", cut: false,
			log:    "upstream prematurely closed connection while reading upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE-THIS\r\nE"), S(split), testutil.Close()}},
		{name: "reset in the value", status: 200, body: "SEE", cut: true,
			log:    "recv() failed (104: Connection reset by peer) while reading upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE"), S(split), testutil.Reset()}},
		{name: "closed before answering", status: 502,
			log:    "upstream prematurely closed connection while reading response header from upstream",
			script: testutil.Script{readGet(), testutil.Close()}},
		{name: "invalid response", status: 502,
			log:    `memcached sent invalid response: "SERVER_ERROR out of memory" while reading response header from upstream, client: 127.0.0.1, server: localhost, request: "GET / HTTP/1.0", upstream: "memcached://`,
			script: testutil.Script{readGet(), W("SERVER_ERROR out of memory\r\n"), testutil.Close()}},
		{name: "bare lf", status: 502, log: `memcached sent invalid response: "END"`,
			script: testutil.Script{readGet(), W("END\n"), testutil.Close()}},
		{name: "invalid key", status: 502, log: `memcached sent invalid key in response "VALUE x 0 1" for key "/"`,
			script: testutil.Script{readGet(), W("VALUE x 0 1\r\nx\r\nEND\r\n"), testutil.Close()}},
		{name: "longer key", status: 502, log: `memcached sent invalid response: "VALUE /x 0 1"`,
			script: testutil.Script{readGet(), W("VALUE /x 0 1\r\nx\r\nEND\r\n"), testutil.Close()}},
		{name: "invalid length", status: 502, log: `memcached sent invalid length in response "VALUE / 0 -1" for key "/"`,
			script: testutil.Script{readGet(), W("VALUE / 0 -1\r\n"), testutil.Close()}},
		{name: "invalid flags", status: 502, extra: "memcached_gzip_flag 1;",
			log:    `memcached sent invalid flags in response "VALUE / x 1" for key "/"`,
			script: testutil.Script{readGet(), W("VALUE / x 1\r\n"), testutil.Close()}},
		{name: "too big header", status: 502, extra: "memcached_buffer_size 32;",
			log:    "upstream sent too big header while reading response header from upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 1" + strings.Repeat(" ", 64)), testutil.Stall()}},
		{name: "read timeout before the answer", status: 504, extra: "memcached_read_timeout 200ms;",
			log:    "upstream timed out (110: Connection timed out) while reading response header from upstream",
			script: testutil.Script{readGet(), testutil.Stall()}},
		{name: "read timeout in the value", status: 200, body: "SEE", cut: true, extra: "memcached_read_timeout 200ms;",
			log:    "upstream timed out (110: Connection timed out) while reading upstream",
			script: testutil.Script{readGet(), W("VALUE / 0 8\r\nSEE"), testutil.Stall()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testutil.StartBackend(t, tc.script)
			s := serve(t, b.Addr(), `
        location / {
            set $memcached_key $uri;
            `+tc.extra+`
            memcached_pass MEMD;
        }
`)
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(get("/")); err != nil {
				t.Fatal(err)
			}
			resp, err := c.ReadResponse()
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			if tc.status == 200 {
				if string(resp.Body) != tc.body {
					t.Errorf("body %q, want %q", resp.Body, tc.body)
				}
				if resp.Complete == tc.cut {
					t.Errorf("response complete %v, want %v (err %v)", resp.Complete, !tc.cut, err)
				}
			}
			if tc.log != "" {
				waitLog(t, s, tc.log)
			}
			if tc.nolog != "" {
				// the protocol's finalize line comes after every line the
				// exchange can log
				waitLog(t, s, "finalize http memcached request")
				if strings.Contains(s.ErrorLog(), tc.nolog) {
					t.Errorf("error log has %q:\n%s", tc.nolog, s.ErrorLog())
				}
			}
		})
	}
}

// TestConnectFailures covers servers that cannot be reached.
func TestConnectFailures(t *testing.T) {
	tests := []struct {
		name   string
		addr   func(t testing.TB) string
		extra  string
		status int
		log    string
	}{
		{name: "refused", addr: testutil.RefusedAddr, status: 502,
			log: `connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: localhost, request: "GET / HTTP/1.0", upstream: "memcached://`},
		{name: "connect timeout", addr: testutil.BlackholeAddr, extra: "memcached_connect_timeout 200ms;", status: 504,
			log: "upstream timed out (110: Connection timed out) while connecting to upstream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := serve(t, tc.addr(t), `
        location / {
            set $memcached_key $uri;
            `+tc.extra+`
            memcached_pass MEMD;
        }
`)
			resp := roundTrip(t, s, get("/"))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			waitLog(t, s, tc.log)
		})
	}
}
