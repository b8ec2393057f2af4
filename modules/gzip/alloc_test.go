package gzip_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestGzipKeepaliveAllocs: compressing a proxied response on keepalive
// connections allocates nothing in steady state (the context, the
// compressor and the buffers are pooled). The bound leaves room for a
// pool emptied by a GC cycle. The page is 3 KiB so that it comes with the
// upstream head in one buffer: a longer one goes through the proxy's pipe,
// which allocates on its own (its reader goroutine), gzip or not.
func TestGzipKeepaliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	for _, tc := range []struct {
		name   string
		header []string
		want   string // in the answer
	}{
		{"no ETag", []string{"Content-Type: text/html"}, "\r\nContent-Encoding: gzip\r\n"},
		// the weak ETag is built in the request's scratch memory
		{"strong ETag made weak", []string{"Content-Type: text/html", `ETag: "5f3e-1a"`}, "\r\nETag: W/\"5f3e-1a\"\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gzipAllocs(t, testutil.HTTPResponse(200, string(page10k()[:3<<10]), tc.header...), tc.want)
		})
	}
}

// gzipAllocs counts the allocations of a gzipped proxied request for a
// backend answering resp; want is a line the answer must have.
func gzipAllocs(t *testing.T, resp, want string) {
	addr := testutil.StartKeepaliveBackend(t, []byte(resp))
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    access_log off;
    upstream u { server BACKEND; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        keepalive_requests 100000000;
        gzip on;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`, "BACKEND", addr))
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
	buf := make([]byte, 64<<10)
	end := []byte("\r\n0\r\n\r\n")
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
		if !bytes.Contains(buf[:n], []byte("\r\nContent-Encoding: gzip\r\n")) {
			t.Fatalf("answer %q", buf[:n])
		}
	}
	for i := 0; i < 100; i++ {
		round()
	}
	if a := testing.AllocsPerRun(500, round); a > 0.5 {
		t.Errorf("%.2f allocations per gzipped proxied keepalive request, want 0", a)
	}
}
