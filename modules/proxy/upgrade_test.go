package proxy_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestUpgradeRequest checks the request a WebSocket handshake makes with
// nginx's recipe (proxy_http_version 1.1, Upgrade and Connection set by
// the configuration), and that without the recipe the client's Upgrade is
// not passed.
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

// TestUpgradeTunnel checks the relay after 101 Switching Protocols, as
// nginx-tests proxy_upgrade.t does: bytes the client sent right after its
// request head reach the upstream first, both directions carry data, the
// relayed bytes count in $bytes_sent and $body_bytes_sent, and a 101
// answered to a request without Upgrade is not a tunnel (its close-delimited
// body is buffered, and lost when the upstream times out, as nginx loses it).
func TestUpgradeTunnel(t *testing.T) {
	testutil.CheckLeaks(t)
	const switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\nhandshaked\r\n"
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		if i == 0 {
			return testutil.Script{testutil.ReadHead(), testutil.Write(switching),
				testutil.Expect("early\r\n"), testutil.Write("echo:early\r\n"),
				testutil.Expect("later\r\n"), testutil.Write("echo:later\r\n"),
				testutil.Close()}
		}
		return testutil.Script{testutil.ReadHead(), testutil.Write(switching), testutil.Drain()}
	})
	s := servertest.Start(t, `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format bytes "$request_uri $status $bytes_sent $body_bytes_sent $sent_http_connection";
    access_log %%PREFIX%%/bytes.log bytes;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            proxy_pass http://`+b.Addr()+`;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "Upgrade";
            proxy_read_timeout 1s;
        }
    }
}
`)
	t.Run("relay", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("A"))
		defer c.Close()
		c.WriteString("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\nearly\r\n")
		head, err := c.ReadHeadResponse()
		if err != nil || head.StatusCode != 101 {
			t.Fatalf("handshake: %v %v", head, err)
		}
		c.WriteString("later\r\n")
		rest, err := c.ReadUntilClose()
		if want := "handshaked\r\necho:early\r\necho:later\r\n"; string(rest) != want || err != nil {
			t.Fatalf("relayed %q (%v), want %q", rest, err, want)
		}
		if errs := b.Errors(); len(errs) > 0 {
			t.Fatalf("backend: %v", errs)
		}
	})
	t.Run("101 without Upgrade", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("A"))
		defer c.Close()
		c.WriteString("GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n")
		head, err := c.ReadHeadResponse()
		if err != nil || head.StatusCode != 101 {
			t.Fatalf("response: %v %v", head, err)
		}
		rest, err := c.ReadUntilClose()
		if len(rest) != 0 || err != nil {
			t.Fatalf("after the head: %q (%v), want the connection closed with nothing", rest, err)
		}
		waitLog(t, s, "upstream timed out (110: Connection timed out) while reading upstream")
	})
	// the access log is written after the request ends: wait for both lines
	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for len(lines) < 2 && time.Now().Before(deadline) {
		lines = strings.Fields(strings.ReplaceAll(s.ReadFile("bytes.log"), " ", "_"))
		time.Sleep(10 * time.Millisecond) // polling for a condition, bounded by deadline
	}
	if len(lines) != 2 {
		t.Fatalf("access log: %q", s.ReadFile("bytes.log"))
	}
	for i, want := range []struct{ uri, body string }{{"/ws", "36"}, {"/plain", "0"}} {
		f := strings.Split(lines[i], "_")
		if f[0] != want.uri || f[1] != "101" || f[3] != want.body || f[4] != "upgrade" {
			t.Errorf("log line %q, want %s 101 with $body_bytes_sent %s", lines[i], want.uri, want.body)
		}
		if sent, _ := strconv.Atoi(f[2]); sent <= 36 && want.body == "36" {
			t.Errorf("$bytes_sent %s does not count the relayed bytes", f[2])
		}
	}
}

// TestUpgradeTunnelUpstreamClosesAtOnce: an upstream that closes right
// after its 101 head ends the tunnel at once, the client's connection
// closed too (ngx_http_upstream_process_upgraded on the upstream's EOF),
// whichever direction of the relay started first. The direction reading
// the client used to arm its read deadline after the other had ended and
// woken it, and so waited out proxy_read_timeout (nginx-tests
// proxy_connection_headers.t, "upgrade in 101").
func TestUpgradeTunnelUpstreamClosesAtOnce(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadHead(),
			testutil.Write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
			testutil.Close()}
	})
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            proxy_pass http://`+b.Addr()+`;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection upgrade;
            proxy_read_timeout 60s;
        }
    }
}`)
	for i := 0; i < 10; i++ {
		c := testutil.Dial(t, s.Addr("A"))
		if err := c.WriteString("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		closed, data, _ := c.WaitClosed(10 * time.Second)
		c.Close()
		if !closed || !strings.HasPrefix(string(data), "HTTP/1.1 101 ") {
			t.Fatalf("attempt %d: closed %v after %q", i, closed, data)
		}
	}
}
