package memcached_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// serve starts sluice with one server whose body is the given text;
// "MEMD" in it is replaced by the memcached address.
func serve(t *testing.T, memdAddr, body string) *servertest.Server {
	t.Helper()
	return serveWith(t, "", strings.ReplaceAll(body, "MEMD", memdAddr))
}

// serveWith starts sluice with httpLevel at http level (upstream blocks)
// and one server whose body is the given text.
func serveWith(t testing.TB, httpLevel, body string) *servertest.Server {
	t.Helper()
	level := "debug"
	if _, bench := t.(*testing.B); bench {
		level = "error"
	}
	conf := `
daemon off;
error_log %%PREFIX%%/error.log DEBUGLEVEL;
events {}
http {
` + httpLevel + `
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
` + body + `
    }
}
`
	return servertest.Start(t, strings.Replace(conf, "DEBUGLEVEL", level, 1))
}

// roundTrip sends one request on a new connection and reads the answer.
func roundTrip(t *testing.T, s *servertest.Server, req string) *testutil.Response {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	var resp *testutil.Response
	var err error
	if strings.HasPrefix(req, "HEAD ") {
		resp, err = c.ReadHeadResponse()
	} else {
		resp, err = c.ReadResponse()
	}
	if err != nil {
		t.Fatalf("reading response to %q: %v", req, err)
	}
	return resp
}

// waitLog waits until the error log holds text.
func waitLog(t *testing.T, s *servertest.Server, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.ErrorLog(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("error log lacks %q:\n%s", text, s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(path string) string { return "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n" }

func TestRealMemcached(t *testing.T) {
	m := startMemcached(t)
	m.set(t, "/", 0, "SEE-THIS")
	m.set(t, "/a%20b", 0, "escaped")
	m.set(t, "/gz", 2, "\x1f\x8b compressed")
	m.set(t, "/plain", 1, "not compressed")
	m.set(t, "/page.html", 0, "<p>hi</p>")
	m.set(t, "/empty", 0, "")
	huge := strings.Repeat("0123456789abcdef", 5<<16) // 5 MiB
	m.set(t, "/huge", 0, huge)
	m.set(t, "arg-key", 0, "by arg")

	s := serve(t, m.addr, `
        location / {
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
        location /gz {
            set $memcached_key $uri;
            memcached_gzip_flag 2;
            memcached_pass MEMD;
        }
        location /plain {
            set $memcached_key $uri;
            memcached_gzip_flag 2;
            memcached_pass MEMD;
        }
        location /page.html {
            types { text/html html; }
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
        location /arg {
            set $memcached_key $arg_k;
            memcached_pass MEMD;
        }
        location /nokey {
            memcached_pass MEMD;
        }
        location /fallback {
            set $memcached_key $uri;
            memcached_pass MEMD;
            error_page 404 = @miss;
        }
        location @miss {
            return 200 "from fallback";
        }
`)
	tests := []struct {
		name     string
		req      string
		status   int
		body     string
		ctype    string
		encoding string
		log      string
	}{
		{name: "hit", req: get("/"), status: 200, body: "SEE-THIS", ctype: "text/plain"},
		{name: "miss", req: get("/notfound"), status: 404,
			log: `[info] `},
		{name: "head", req: "HEAD / HTTP/1.0\r\n\r\n", status: 200},
		{name: "post not allowed", req: "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", status: 405},
		{name: "escaped key", req: get("/a%20b"), status: 200, body: "escaped"},
		{name: "gzip flag", req: get("/gz"), status: 200, body: "\x1f\x8b compressed", encoding: "gzip"},
		{name: "flag not gzip", req: get("/plain"), status: 200, body: "not compressed"},
		{name: "type by extension", req: get("/page.html"), status: 200, body: "<p>hi</p>", ctype: "text/html"},
		{name: "empty value", req: get("/empty"), status: 200, body: ""},
		{name: "huge value", req: get("/huge"), status: 200, body: huge},
		{name: "key from argument", req: get("/arg?k=arg-key"), status: 200, body: "by arg"},
		{name: "key unset", req: get("/nokey"), status: 500,
			log: `[error] `},
		{name: "empty key", req: get("/arg?k="), status: 500},
		{name: "miss to error_page", req: get("/fallback"), status: 200, body: "from fallback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			if tc.status == 200 && !strings.HasPrefix(tc.req, "HEAD") {
				if string(resp.Body) != tc.body {
					t.Errorf("body %.80q (%d bytes), want %.80q (%d bytes)", resp.Body, len(resp.Body), tc.body, len(tc.body))
				}
			}
			if tc.ctype != "" && resp.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Get("Content-Type"), tc.ctype)
			}
			if got := resp.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
		})
	}
	waitLog(t, s, `[info] `)
	waitLog(t, s, `key: "/notfound" was not found by memcached while reading response header from upstream, client: 127.0.0.1, server: localhost, request: "GET /notfound HTTP/1.0", upstream: "memcached://`+m.addr+`"`)
	waitLog(t, s, `[error] `)
	waitLog(t, s, `the "$memcached_key" variable is not set, client: 127.0.0.1, server: localhost, request: "GET /nokey HTTP/1.0"`)
}

// TestMemcachedDies kills memcached while sluice relays a value too big
// for the socket buffers: the client must see the response cut (the
// connection closed before Content-Length bytes), never a short body passed
// off as complete.
func TestMemcachedDies(t *testing.T) {
	m := startMemcached(t)
	value := strings.Repeat("0123456789abcdef", 3<<20) // 48 MiB
	m.set(t, "/huge", 0, value)
	s := serve(t, m.addr, `
        location / {
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
`)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(get("/huge")); err != nil {
		t.Fatal(err)
	}
	// the head and some of the value: sluice is relaying; then the crash
	head := make([]byte, 4096)
	if _, err := io.ReadFull(c.Conn(), head); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(head), "HTTP/1.1 200 OK\r\n") || !strings.Contains(string(head), fmt.Sprintf("Content-Length: %d\r\n", len(value))) {
		t.Fatalf("head %q", head[:200])
	}
	m.kill(t)
	rest, err := c.ReadUntilClose()
	if err != nil {
		t.Fatalf("reading after the crash: %v", err)
	}
	got := len(head) + len(rest)
	if got >= len(value) {
		t.Fatalf("received %d bytes, the whole value and head (%d) despite the crash", got, len(value))
	}
	waitLog(t, s, "upstream prematurely closed connection while reading upstream")
}
