package proxy_test

import (
	"strings"
	"testing"
	"time"

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
