package proxy_test

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

// keepaliveBackend answers every request on every connection with the
// same small response, keeping connections open.
func keepaliveBackend(b testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for {
						l, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(l) <= 2 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// keepaliveProxy starts sluice proxying to a keepalive backend with a
// keepalive group, and returns a function making one request over one
// client keepalive connection: a lean client (one buffer, no parsing
// beyond the head's end), so that allocations are the server's and the
// backend's (none) alone.
func keepaliveProxy(tb testing.TB) (round func()) {
	addr := keepaliveBackend(tb)
	s := servertest.Start(tb, strings.ReplaceAll(`
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    upstream u { server BACKEND; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        keepalive_requests 100000000;
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
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	buf := make([]byte, 4096)
	endOfHead := []byte("\r\n\r\n")
	return func() {
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		n := 0
		for {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil {
				tb.Fatalf("%v after %q\n%s", err, buf[:n], s.ErrorLog())
			}
			if h := bytes.Index(buf[:n], endOfHead); h >= 0 && n >= h+len(endOfHead)+len("hello") {
				break
			}
		}
		if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 ")) || !bytes.HasSuffix(buf[:n], []byte("hello")) {
			tb.Fatalf("answer %q", buf[:n])
		}
	}
}

// BenchmarkProxyKeepalive is a proxied request end to end over a
// keepalive client connection and a kept-alive upstream connection
// (allocations are the whole process's: the server's, as the client and
// the backend allocate nothing per request).
func BenchmarkProxyKeepalive(b *testing.B) {
	round := keepaliveProxy(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

// TestProxyKeepaliveAllocs holds the steady-state proxied keepalive
// request to no allocation (the Upstream, the request context and the
// proxy's exchange are pooled; the client watch starts only for slow
// exchanges). The bound leaves room for a pool emptied by a GC cycle.
func TestProxyKeepaliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	round := keepaliveProxy(t)
	for i := 0; i < 100; i++ {
		round()
	}
	if a := testing.AllocsPerRun(500, round); a > 0.5 {
		t.Errorf("%.2f allocations per proxied keepalive request, want 0", a)
	}
}
