package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestReloadClosesIdleUpstreamConnections checks that the idle keepalive
// connections of a retired configuration are closed, as an old nginx
// worker's are: after a reload, once the old configuration's last client
// connection is gone, the backend sees its idle connection closed.
func TestReloadClosesIdleUpstreamConnections(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{testutil.Loop(testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "ok")))})
	cfg := func(comment string) string {
		return keepaliveConf(b.Addr(), "", "") + "# " + comment + "\n"
	}
	s := servertest.Start(t, cfg("first"))
	resp := roundTrip(t, s, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if b.Accepted() != 1 || b.Open() != 1 {
		t.Fatalf("backend: %d accepted, %d open; want one idle connection kept", b.Accepted(), b.Open())
	}
	s.Reload(cfg("second"))
	if !b.WaitFor(5*time.Second, func(b *testutil.Backend) bool { return b.Open() == 0 }) {
		t.Fatalf("the retired configuration's idle upstream connection is still open")
	}
}

// TestUpstreamBytesSentOnReusedConnection checks that $upstream_bytes_sent
// counts the request's own bytes on a kept-alive upstream connection, as
// nginx's keepalive module resets the connection's count when it reuses it
// (it counted every request the connection had carried).
func TestUpstreamBytesSentOnReusedConnection(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{testutil.Loop(testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "ok")))})
	s := servertest.Start(t, keepaliveConf(b.Addr(), "log_format sent $upstream_bytes_sent;", "access_log %%PREFIX%%/sent.log sent;"))
	for range 3 {
		resp := roundTrip(t, s, "GET /same HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if b.Accepted() != 1 {
		t.Fatalf("backend accepted %d connections, want 1 reused", b.Accepted())
	}
	// the log line is written once the response is out: wait for the third
	var sent []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if sent = strings.Fields(s.ReadFile("sent.log")); len(sent) >= 3 {
			break
		}
	}
	if len(sent) != 3 || sent[0] == "0" || sent[1] != sent[0] || sent[2] != sent[0] {
		t.Fatalf("$upstream_bytes_sent of three identical requests: %q", sent)
	}
}

// TestReuseOfClosedKeepaliveConnection covers a peer that closes each
// connection after its response without saying so. A connection idle only
// briefly is reused without a peek: the GET that finds it closed is retried
// on a new connection (one error line, as nginx logs when it meets a closed
// cached connection), and from then on every reuse is peeked at, so the
// next request sees no error. A POST, which could not be retried, always
// has the connection peeked at first.
func TestReuseOfClosedKeepaliveConnection(t *testing.T) {
	post := "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
	getReq := "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
	tests := []struct {
		name     string
		requests []string
		// errors is the number of [error] lines after each request
		errors []int
	}{
		{"GET retried, then peeked", []string{getReq, getReq, getReq}, []int{0, 1, 1}},
		{"POST peeked", []string{getReq, post, post}, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok"))})
			s := servertest.Start(t, keepaliveConf(b.Addr(), "", ""))
			for i, req := range tt.requests {
				if i > 0 {
					// the backend's close of the previous connection has arrived
					if !b.WaitFor(5*time.Second, func(b *testutil.Backend) bool { return b.Open() == 0 }) {
						t.Fatalf("the backend did not close its connection")
					}
				}
				resp := roundTrip(t, s, req)
				if resp.StatusCode != 200 {
					t.Fatalf("request %d: status %d", i, resp.StatusCode)
				}
				if n := strings.Count(s.ErrorLog(), "[error]"); n != tt.errors[i] {
					t.Fatalf("after request %d: %d error lines, want %d:\n%s", i, n, tt.errors[i], s.ErrorLog())
				}
			}
			// every request ends on a new connection
			if b.Accepted() != len(tt.requests) {
				t.Fatalf("backend accepted %d connections, want %d", b.Accepted(), len(tt.requests))
			}
		})
	}
}

// keepaliveConf proxies every request to addr through a group keeping two
// idle connections, with http and loc added to the http block and to the
// location.
func keepaliveConf(addr, http, loc string) string {
	return `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    ` + http + `
    upstream ka { server ` + addr + `; keepalive 2; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            proxy_pass http://ka;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            ` + loc + `
        }
    }
}
`
}

// TestReuseAfterReadTimeoutPassedWhileIdle: a kept-alive connection keeps
// its last exchange's read deadline while it waits in the pool (one timer
// change less per request). When that deadline passes before the
// connection is reused, the reuse must still work: the peek and the next
// exchange's wait would otherwise fail at once, dropping a good
// connection (a new dial) or timing the request out.
func TestReuseAfterReadTimeoutPassedWhileIdle(t *testing.T) {
	getReq := "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
	post := "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
	for _, tc := range []struct{ name, req string }{{"GET", getReq}, {"POST", post}} {
		t.Run(tc.name, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{testutil.Loop(testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok")))})
			s := servertest.Start(t, keepaliveConf(b.Addr(), "", "proxy_read_timeout 500ms;"))
			for i := range 3 {
				if i > 0 {
					// idle past the read deadline the last exchange armed
					// (the timeout leaves an exchange on a loaded machine
					// room not to time out)
					time.Sleep(600 * time.Millisecond)
				}
				if resp := roundTrip(t, s, tc.req); resp.StatusCode != 200 {
					t.Fatalf("request %d: status %d\n%s", i, resp.StatusCode, s.ErrorLog())
				}
			}
			if b.Accepted() != 1 {
				t.Fatalf("backend accepted %d connections, want 1 reused\n%s", b.Accepted(), s.ErrorLog())
			}
			if strings.Contains(s.ErrorLog(), "[error]") {
				t.Fatalf("error lines:\n%s", s.ErrorLog())
			}
		})
	}
}
