package gunzip_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestGunzipKeepaliveAllocs counts the allocations of a proxied keepalive
// request whose gzip body is decompressed, against the same request
// passed on compressed (a client that accepts gzip). The decompressor,
// its context and buffers are pooled; what remains is the coroutine that
// runs it: iter.Pull makes 6 objects per response (bounded here at 10).
func TestGunzipKeepaliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items)")
	}
	body := gz(small)
	addr := testutil.StartKeepaliveBackend(t, []byte(testutil.HTTPResponse(200, string(body), "Content-Type: text/html", "Content-Encoding: gzip")))
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    access_log off;
    upstream u { server BACKEND; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        keepalive_requests 100000000;
        gunzip on;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`, "BACKEND", addr))
	count := func(ae string, end []byte) float64 {
		c, err := net.Dial("tcp", s.Addr("A"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n" + ae + "\r\n")
		buf := make([]byte, 64<<10)
		round := func() {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			n := 0
			for !bytes.HasSuffix(buf[:n], end) {
				m, err := c.Read(buf[n:])
				n += m
				if err != nil {
					t.Fatalf("%v after %q", err, buf[:n])
				}
			}
		}
		for i := 0; i < 100; i++ {
			round()
		}
		return testing.AllocsPerRun(300, round)
	}
	passed := count("Accept-Encoding: gzip\r\n", body[len(body)-8:])
	gunzipped := count("", []byte("\r\n0\r\n\r\n"))
	t.Logf("allocations per request: passed compressed %.2f, decompressed %.2f", passed, gunzipped)
	if gunzipped > passed+10 {
		t.Errorf("decompressing costs %.2f allocations more than passing on", gunzipped-passed)
	}
}
