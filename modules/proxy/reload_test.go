package proxy_test

import (
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
		return `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    upstream ka { server ` + b.Addr() + `; keepalive 2; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            proxy_pass http://ka;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
# ` + comment + "\n"
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
