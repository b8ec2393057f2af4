package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf wraps server-level text into a complete configuration listening on
// %%PORT_A%%; BACKEND in the text is replaced by addr.
func conf(addr, server string) string {
	return `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
` + strings.ReplaceAll(server, "BACKEND", addr) + `
    }
}
`
}

// roundTrip sends raw request text and reads one response.
func roundTrip(t *testing.T, s *servertest.Server, req string) *testutil.Response {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	return resp
}

// get is a HTTP/1.0 GET with Host: localhost, as nginx-tests' http_get.
func get(uri string) string {
	return "GET " + uri + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
}

// lastRequest waits for the backend's n-th request and returns it.
func lastRequest(t *testing.T, b *testutil.Backend, n int) testutil.Request {
	t.Helper()
	if !b.WaitRequests(n, 5*time.Second) {
		t.Fatalf("backend got %d requests, want %d", len(b.Requests()), n)
	}
	reqs := b.Requests()
	return reqs[n-1]
}

// target is one of the two servers a differential test runs a scenario
// against: Debian's nginx or sluice.
type target struct {
	name, addr string
	log        func() string
	// waitLog waits up to five seconds for the error log to hold a
	// string, failing the test when it does not
	waitLog func(t testing.TB, want string)
}

// targets returns nginx's and sluice's, in that order, listening on their
// first port.
func targets(n *oracle.Nginx, s *servertest.Server) []target {
	waitNginx := func(t testing.TB, want string) {
		t.Helper()
		if !n.WaitErrorLog(want, 5*time.Second) {
			t.Fatalf("error log lacks %q:\n%s", want, n.ErrorLog())
		}
	}
	return []target{{"nginx", n.Addr(0), n.ErrorLog, waitNginx}, {"sluice", s.Addr("0"), s.ErrorLog, s.WaitErrorLog}}
}

// notify is a backend step that tells ch the backend got this far (a
// buffered ch serves both servers' backends).
func notify(ch chan<- struct{}) testutil.Step {
	return testutil.Func(func(*testutil.BackendConn) error { ch <- struct{}{}; return nil })
}

// await waits for a notify step, failing the test after five seconds.
func await(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("the backend did not %s", what)
	}
}
