package upstream_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
	"github.com/sluicehq/sluice/upstream/internal/utest"
)

func start(t *testing.T, loc string) *servertest.Server {
	t.Helper()
	mods := modules.AllWith(utest.Module)
	conf := `
daemon off;
error_log %%PREFIX%%/error.log debug;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
` + loc + `
        }
    }
}
`
	utest.Records()
	return servertest.StartModules(t, conf, mods)
}

// record waits for the request's finalize record (written before the
// response completes, but read after it to be safe).
func record(t *testing.T) *utest.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rs := utest.Records(); len(rs) > 0 {
			if len(rs) != 1 {
				t.Fatalf("%d finalize records, want 1", len(rs))
			}
			return rs[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("finalize never ran")
	return nil
}

func get(t *testing.T, s *servertest.Server, req string) *testutil.Response {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return resp
}

func wantLog(t *testing.T, s *servertest.Server, text string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if strings.Contains(s.ErrorLog(), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("error log lacks %q:\n%s", text, s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const get1 = "GET /p HTTP/1.0\r\nHost: h\r\n\r\n"

func TestFailuresBeforeResponse(t *testing.T) {
	tests := []struct {
		name    string
		backend func(t testing.TB) string
		extra   string
		status  int
		log     string
	}{
		{name: "connect refused", backend: testutil.RefusedAddr, status: 502,
			log: "connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /p HTTP/1.0\", upstream: \"http://"},
		{name: "connect timeout", backend: testutil.BlackholeAddr, extra: "utest_connect_timeout 300ms;", status: 504,
			log: "upstream timed out (110: Connection timed out) while connecting to upstream"},
		{name: "read timeout", extra: "utest_read_timeout 300ms;", status: 504,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Stall()}).Addr()
			},
			log: "upstream timed out (110: Connection timed out) while reading response header from upstream"},
		{name: "reset mid-header", status: 502,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write("HTTP/1.1 200 OK\r\nX-A: "), testutil.Sleep(50 * time.Millisecond), testutil.Reset()}).Addr()
			},
			log: "recv() failed (104: Connection reset by peer) while reading response header from upstream"},
		{name: "close before answer", status: 502,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Close()}).Addr()
			},
			log: "upstream prematurely closed connection while reading response header from upstream"},
		{name: "invalid status line", status: 502,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write("FOO BAR\r\n\r\n"), testutil.Close()}).Addr()
			},
			log: "upstream sent no valid HTTP/1.0 header while reading response header from upstream"},
		{name: "too big header", extra: "utest_buffer_size 1k;", status: 502,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", 2000) + "\r\n\r\n"), testutil.Close()}).Addr()
			},
			log: "upstream sent too big header while reading response header from upstream"},
		{name: "content-length and transfer-encoding", status: 502,
			backend: func(t testing.TB) string {
				return testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), testutil.Close()}).Addr()
			},
			log: "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			addr := tc.backend(t)
			s := start(t, "utest_pass "+addr+"; "+tc.extra)
			resp := get(t, s, get1)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			rec := record(t)
			if rec.Finalizes != 1 || rec.FinalStatus != tc.status {
				t.Errorf("finalize %d times with %d, want once with %d", rec.Finalizes, rec.FinalStatus, tc.status)
			}
			wantLog(t, s, tc.log)
		})
	}
}

func TestRetryAcrossPeers(t *testing.T) {
	testutil.CheckLeaks(t)
	refused := testutil.RefusedAddr(t)
	reset := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Reset()})
	good := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "third"))})
	s := start(t, fmt.Sprintf("utest_pass %s %s %s;", refused, reset.Addr(), good.Addr()))
	resp := get(t, s, get1)
	if resp.StatusCode != 200 || string(resp.Body) != "third" {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Body)
	}
	rec := record(t)
	if rec.Creates != 1 || rec.Reinits != 2 || rec.Finalizes != 1 {
		t.Errorf("hooks: create %d reinit %d finalize %d, want 1 2 1", rec.Creates, rec.Reinits, rec.Finalizes)
	}
	want := refused + ", " + reset.Addr() + ", " + good.Addr()
	if rec.UpstreamAddr != want {
		t.Errorf("$upstream_addr %q, want %q", rec.UpstreamAddr, want)
	}
	if rec.UpstreamStatus != "502, 502, 200" {
		t.Errorf("$upstream_status %q", rec.UpstreamStatus)
	}
	// every attempt has its response time, failed ones included
	if times := strings.Split(rec.UpstreamResponseTime, ", "); len(times) != 3 || slices.Contains(times, "-") {
		t.Errorf("$upstream_response_time %q, want three times", rec.UpstreamResponseTime)
	}
}

func TestNextUpstreamOff(t *testing.T) {
	testutil.CheckLeaks(t)
	refused := testutil.RefusedAddr(t)
	good := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "ok"))})
	s := start(t, fmt.Sprintf("utest_pass %s %s; utest_next_upstream off;", refused, good.Addr()))
	if resp := get(t, s, get1); resp.StatusCode != 502 {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if rec := record(t); rec.Reinits != 0 {
		t.Errorf("retried with next_upstream off")
	}
}

func TestNonIdempotentNotRetried(t *testing.T) {
	testutil.CheckLeaks(t)
	first := testutil.StartBackend(t, testutil.Script{testutil.ReadRequest(), testutil.Close()})
	second := testutil.StartBackend(t, testutil.Script{testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok"))})
	s := start(t, fmt.Sprintf("utest_pass %s %s;", first.Addr(), second.Addr()))
	resp := get(t, s, "POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc")
	if resp.StatusCode != 502 {
		t.Fatalf("POST status %d, want 502 (not retried after sending)", resp.StatusCode)
	}
	record(t)
	if second.Accepted() != 0 {
		t.Errorf("POST was retried on the second peer")
	}
}

func TestResetMidBodyCutsResponse(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, buffering := range []string{"on", "off"} {
		t.Run("buffering "+buffering, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
				testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
				testutil.Sleep(100 * time.Millisecond), testutil.Reset()})
			s := start(t, "utest_pass "+b.Addr()+"; utest_buffering "+buffering+";")
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
			resp, err := c.ReadResponse()
			if err == nil && resp.Complete {
				t.Fatalf("a cut response was passed off as complete: %s", resp)
			}
			if closed, _, _ := c.WaitClosed(3 * time.Second); !closed {
				t.Errorf("client connection not closed after the upstream reset")
			}
			wantLog(t, s, "while reading upstream")
			if rec := record(t); rec.Finalizes != 1 {
				t.Errorf("finalize ran %d times", rec.Finalizes)
			}
		})
	}
}

// TestInitBodyFailureCutsResponse: a protocol that rejects the body once
// the head went out (input_filter_init failing) ends with a closed
// connection, never a response passed off as complete.
func TestInitBodyFailureCutsResponse(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, buffering := range []string{"on", "off"} {
		t.Run("buffering "+buffering, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
				testutil.Write("HTTP/1.1 200 OK\r\nX-Utest-Init: fail\r\nContent-Length: 10\r\n\r\n0123456789")})
			s := start(t, "utest_pass "+b.Addr()+"; utest_buffering "+buffering+";")
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
			resp, err := c.ReadResponse()
			if err == nil && resp.Complete {
				t.Fatalf("a refused body was passed off as complete: %s", resp)
			}
			if closed, _, _ := c.WaitClosed(3 * time.Second); !closed {
				t.Errorf("client connection not closed")
			}
			wantLog(t, s, "utest refused the body")
			if rec := record(t); rec.Finalizes != 1 || rec.FinalStatus != -1 {
				t.Errorf("finalize ran %d times with %d, want once with -1 (NGX_ERROR)", rec.Finalizes, rec.FinalStatus)
			}
		})
	}
}

func TestBufferingOffStreams(t *testing.T) {
	testutil.CheckLeaks(t)
	release := make(chan struct{})
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
		testutil.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"),
		testutil.Hold(release),
		testutil.Write("6\r\nsecond\r\n0\r\n\r\n")})
	s := start(t, "utest_pass "+b.Addr()+"; utest_buffering off;")
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	// the first chunk must arrive while the upstream is still holding
	var got []byte
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(string(got), "first") {
		if time.Now().After(deadline) {
			t.Fatalf("first part not streamed before the upstream finished: %q", got)
		}
		c.Conn().SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 4096)
		n, _ := c.Conn().Read(buf)
		got = append(got, buf[:n]...)
	}
	close(release)
	rest, _ := c.ReadUntilClose()
	all := string(got) + string(rest)
	if !strings.Contains(all, "second") || !strings.HasSuffix(all, "0\r\n\r\n") {
		t.Fatalf("stream incomplete: %q", all)
	}
	record(t)
}

func TestBufferedSlowClientSpillsAndReleasesUpstream(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 1<<19) // 8 MiB: more than socket buffers hold
	upstreamDone := make(chan time.Time, 1)
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
		testutil.Write(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))),
		testutil.Write(body),
		testutil.Func(func(*testutil.BackendConn) error { upstreamDone <- time.Now(); return nil }),
		testutil.Drain()})
	s := start(t, "utest_pass "+b.Addr()+"; utest_buffers 4 4k; utest_temp_path %%PREFIX%%/utemp;")
	tempDir := filepath.Join(s.Prefix(), "utemp")
	// a slow client: a small receive buffer set before connecting, and no
	// reads until the upstream is done
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	c := testutil.NewRawClient(nc)
	defer c.Close()
	c.WriteString("GET /p HTTP/1.0\r\n\r\n")
	// read nothing until the upstream finished sending and closed
	var upAt time.Time
	select {
	case upAt = <-upstreamDone:
	case <-time.After(10 * time.Second):
		t.Fatal("upstream never finished while the client was stalled")
	}
	if !b.WaitFor(5*time.Second, func(b *testutil.Backend) bool { return b.Open() == 0 }) {
		t.Fatal("upstream connection still open while the client has not read the body")
	}
	// the temp file is unlinked at once (as nginx's): it shows as an open
	// descriptor on a deleted file in the temp path, not as a directory entry
	fds, err := testutil.OpenFDs()
	if err != nil {
		t.Fatal(err)
	}
	held := false
	for _, target := range fds {
		if strings.HasPrefix(target, tempDir+"/") && strings.HasSuffix(target, " (deleted)") {
			held = true
		}
	}
	if !held {
		t.Fatalf("no temp file held while the body waits for a slow client: %v", fds)
	}
	if entries, _ := os.ReadDir(tempDir); len(entries) != 0 {
		t.Errorf("temp files left in the directory: %v", entries)
	}
	wantLog(t, s, "an upstream response is buffered to a temporary file")
	all, _ := c.ReadUntilClose()
	if !strings.HasSuffix(string(all), body) {
		t.Fatalf("body corrupted (%d bytes)", len(all))
	}
	if time.Since(upAt) < 0 {
		t.Fatal("clock")
	}
	rec := record(t)
	if rec.Finalizes != 1 || rec.FinalStatus != 0 {
		t.Errorf("finalize %d times with %d", rec.Finalizes, rec.FinalStatus)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		entries, _ := os.ReadDir(tempDir)
		if len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("temp file left behind: %v", entries)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientAbort: a client that goes away while the upstream holds its
// answer ends the exchange with 499 and the info line nginx logs on Linux
// (EPOLLRDHUP), whether it closes, shuts down its side later, or sends its
// request and shuts down at once (a hangup reported before the exchange
// began); with proxy_ignore_client_abort nginx does not watch, logs
// nothing and lets the exchange finish.
func TestClientAbort(t *testing.T) {
	const line = "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while "
	tests := []struct {
		name   string
		ignore bool
		// leave: after the backend has the request, or (early) right
		// after the request is written
		leave func(c *testutil.RawClient) error
		early bool
		// actions: what the line may end with
		actions []string
	}{
		{name: "close", leave: (*testutil.RawClient).Close, actions: []string{"sending request to upstream"}},
		{name: "close with ignore_client_abort", ignore: true, leave: (*testutil.RawClient).Close},
		{name: "shutdown of the write side", leave: (*testutil.RawClient).CloseWrite, actions: []string{"sending request to upstream"}},
		// as in nginx, the line names whatever the exchange was doing
		// when the hangup was seen
		{name: "request and shutdown at once", leave: (*testutil.RawClient).CloseWrite, early: true,
			actions: []string{"connecting to upstream", "sending request to upstream"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			release := make(chan struct{})
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Hold(release),
				testutil.Write(testutil.HTTPResponse(200, "late")), testutil.Drain()})
			extra := ""
			if tc.ignore {
				extra = "utest_ignore_client_abort on;"
			}
			s := start(t, "utest_pass "+b.Addr()+"; "+extra)
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			c.WriteString("GET /p HTTP/1.0\r\n\r\n")
			if tc.early {
				// the request may never reach the backend: nginx, too,
				// drops it when the hangup is seen while connecting
				tc.leave(c)
			} else {
				if !b.WaitRequests(1, 5*time.Second) {
					t.Fatal("request never reached the backend")
				}
				tc.leave(c)
			}
			var rec *utest.Record
			if tc.ignore {
				close(release)
				if rec = record(t); rec.Finalizes != 1 || rec.FinalStatus != 0 {
					t.Errorf("finalize %d times with %d, want once with 0", rec.Finalizes, rec.FinalStatus)
				}
				if strings.Contains(s.ErrorLog(), "prematurely") {
					t.Errorf("proxy_ignore_client_abort on, yet:\n%s", s.ErrorLog())
				}
				return
			}
			wantLog(t, s, line)
			// finalized with 499 while the backend still holds its answer
			rec = record(t)
			close(release)
			if rec.Finalizes != 1 || rec.FinalStatus != 499 {
				t.Errorf("finalize %d times with %d, want once with 499", rec.Finalizes, rec.FinalStatus)
			}
			log := s.ErrorLog()
			found := false
			for _, a := range tc.actions {
				found = found || strings.Contains(log, line+a+",")
			}
			if !found {
				t.Errorf("line not ending in any of %q:\n%s", tc.actions, log)
			}
		})
	}
}

// TestClientAbortAfterParking: a keepalive connection that was parked
// between requests (its socket switched to waiting for the next request
// and back) still reports its client leaving during the next exchange.
func TestClientAbortAfterParking(t *testing.T) {
	testutil.CheckLeaks(t)
	release := make(chan struct{})
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		if i == 0 {
			return testutil.Script{testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "first"))}
		}
		return testutil.Script{testutil.ReadHead(), testutil.Hold(release),
			testutil.Write(testutil.HTTPResponse(200, "late")), testutil.Drain()}
	})
	defer close(release)
	parked := httpd.Parked()
	s := start(t, "utest_pass "+b.Addr()+";")
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, err := c.ReadResponse(); err != nil || string(resp.Body) != "first" {
		t.Fatalf("first response %v %v", resp, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for httpd.Parked() != parked+1 {
		if time.Now().After(deadline) {
			t.Fatal("the keepalive connection was never parked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
	if !b.WaitRequests(2, 5*time.Second) {
		t.Fatal("second request never reached the backend")
	}
	c.Close()
	wantLog(t, s, "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream")
	deadline = time.Now().Add(5 * time.Second)
	var recs []*utest.Record
	for len(recs) < 2 && time.Now().Before(deadline) {
		recs = append(recs, utest.Records()...)
		time.Sleep(5 * time.Millisecond)
	}
	if len(recs) != 2 || recs[1].FinalStatus != 499 {
		t.Fatalf("finalize records %+v, want the second with 499", recs)
	}
}

// TestUpstreamCookieVariable: $upstream_cookie_NAME reads Set-Cookie lines
// as nginx's ngx_http_parse_set_cookie_lines (name at the start, spaces but
// no tabs around "=", value up to ";", first line wins).
func TestUpstreamCookieVariable(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  string // empty also when not found (add_header prints both alike)
	}{
		{"plain", []string{"tc=content"}, "content"},
		{"attributes", []string{"tc=con  tent; Domain=example.com"}, "con  tent"},
		{"spaces around =", []string{"tc = content"}, "content"},
		{"empty", []string{"tc= ;"}, ""},
		{"tabs", []string{"tc\t=\tcontent ;"}, ""},
		{"other cookie first", []string{"xtc=1", "tc=2"}, "2"},
		{"first line wins", []string{"tc=one;two", "tc=three"}, "one"},
		{"equals in value", []string{"tc==abc"}, "=abc"},
		{"name in the middle", []string{"=tc=content"}, ""},
		{"case-insensitive name", []string{"TC=up"}, "up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := "HTTP/1.1 204 No Content\r\n"
			for _, l := range c.lines {
				head += "Set-Cookie: " + l + "\r\n"
			}
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(head + "\r\n")})
			s := start(t, "utest_pass "+b.Addr()+"; add_header X-C \"[$upstream_cookie_tc]\";")
			resp := get(t, s, get1)
			got := resp.Get("X-C")
			if want := "[" + c.want + "]"; got != want {
				t.Errorf("X-C %q, want %q", got, want)
			}
		})
	}
}

// TestCloseDelimitedThroughFilter checks that a body whose protocol filter
// keeps Length at -1 (unknown) ends well at the upstream's close, as
// nginx's u->length == -1 does, in both relay modes.
func TestCloseDelimitedThroughFilter(t *testing.T) {
	for _, mode := range []string{"on", "off"} {
		t.Run("buffering "+mode, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
				testutil.Write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello, "), testutil.Write("world"), testutil.Close()})
			s := start(t, "utest_pass "+b.Addr()+"; utest_buffering "+mode+";")
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			c.WriteString("GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
			resp, err := c.ReadResponse()
			if err != nil || !resp.Complete || string(resp.Body) != "hello, world" {
				t.Fatalf("response %v %v", resp, err)
			}
			if rec := record(t); rec.FinalStatus != 0 {
				t.Errorf("finalized with %d, want 0", rec.FinalStatus)
			}
			if strings.Contains(s.ErrorLog(), "prematurely") {
				t.Errorf("a close-delimited body logged as cut:\n%s", s.ErrorLog())
			}
		})
	}
}

// TestBufferedClientAbortWhileReading checks that a client leaving while
// the pipe's reader is still taking a long body in ends the request: the
// reader, refused by the aborted pipe, must end it (it returned without
// doing so, and the request waited forever holding its temp file).
func TestBufferedClientAbortWhileReading(t *testing.T) {
	testutil.CheckLeaks(t)
	chunk := strings.Repeat("x", 64<<10)
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(),
		testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n"),
		testutil.Loop(testutil.Write(chunk))})
	s := start(t, "utest_pass "+b.Addr()+"; utest_buffers 4 4k; utest_temp_path %%PREFIX%%/utemp;")
	for i := 0; i < 5; i++ {
		c := testutil.Dial(t, s.Addr("A"))
		c.WriteString("GET /p HTTP/1.0\r\n\r\n")
		buf := make([]byte, 200<<10)
		if _, err := io.ReadAtLeast(c.Conn(), buf, len(buf)); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if rec := record(t); rec.FinalStatus != httpd.StatusClientClosedRequest {
			t.Fatalf("round %d: finalized with %d, want 499", i, rec.FinalStatus)
		}
	}
	if !b.WaitFor(5*time.Second, func(b *testutil.Backend) bool { return b.Open() == 0 }) {
		t.Fatal("upstream connections still open after the clients left")
	}
}
