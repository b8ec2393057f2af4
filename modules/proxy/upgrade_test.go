package proxy_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestUpgradeRequest checks the request a WebSocket handshake makes with
// nginx's recipe (proxy_http_version 1.1, Upgrade and Connection set by
// the configuration), and that without the recipe the client's Upgrade is
// not passed.
//
// The tunnel itself (101 relayed, bytes both ways) is the framework's; see
// the report for the two gaps it has at the time of writing.
func TestUpgradeRequest(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write(testutil.HTTPResponse(200, "no")),
	})
	s := servertest.Start(t, conf(b.Addr(), `
        location /ws {
            proxy_pass http://BACKEND;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "Upgrade";
        }
        location /plain { proxy_pass http://BACKEND; }
`))
	tests := []struct {
		name, uri, line, upgrade, connection string
	}{
		{"recipe", "/ws", "GET /ws HTTP/1.1", "websocket", "Upgrade"},
		{"no recipe", "/plain", "GET /plain HTTP/1.0", "", "close"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, "GET "+tc.uri+" HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			r := lastRequest(t, b, i+1)
			if r.Line() != tc.line || r.Header("Upgrade") != tc.upgrade || r.Header("Connection") != tc.connection {
				t.Errorf("upstream request %q", r.Head)
			}
		})
	}
}
