package proxy_test

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// keepaliveProxy starts sluice proxying to a keepalive backend (its
// answer "hello", or a body of size bytes ending in "hello") with a
// keepalive group (none unless upstreamKeepalive: each request then dials
// the backend, whose accept and buffers count in the allocations), and
// returns a function making one request over one
// client keepalive connection: a lean client (one buffer, no parsing
// beyond the head's end), so that allocations are the server's and the
// backend's (none) alone.
func keepaliveProxy(tb testing.TB, size int, upstreamKeepalive bool) (round func()) {
	body := "hello"
	if size > 0 {
		body = strings.Repeat("x", size-5) + body
	}
	addr := testutil.StartKeepaliveBackend(tb, []byte(testutil.HTTPResponse(200, body, "Content-Type: text/plain")))
	keepalive := "keepalive 4;"
	if !upstreamKeepalive {
		keepalive = "keepalive 0;" // a group keeps connections by default
	}
	s := servertest.Start(tb, strings.NewReplacer("BACKEND", addr, "KEEPALIVE", keepalive).Replace(`
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    upstream u { server BACKEND; KEEPALIVE }
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
`))
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	buf := make([]byte, 4096)
	endOfHead := []byte("\r\n\r\n")
	if size > 0 {
		return func() {
			if _, err := c.Write(req); err != nil {
				tb.Fatal(err)
			}
			n, body := 0, -1
			for {
				m, err := c.Read(buf[n:])
				n += m
				if err != nil {
					tb.Fatalf("%v after %q\n%s", err, buf[:n], s.ErrorLog())
				}
				if body < 0 {
					h := bytes.Index(buf[:n], endOfHead)
					if h < 0 {
						continue
					}
					if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 ")) {
						tb.Fatalf("answer %q", buf[:n])
					}
					body = n - h - len(endOfHead)
				} else {
					body += m
				}
				if body >= size {
					if body > size || !bytes.HasSuffix(buf[:n], []byte("hello")) {
						tb.Fatalf("body of %d bytes, ending %q", body, buf[:n])
					}
					return
				}
				// keep the last bytes, where the end of the body is checked
				if n > len(buf)-512 {
					n = copy(buf, buf[n-8:n])
				}
			}
		}
	}
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
	round := keepaliveProxy(b, 0, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

// BenchmarkProxyNewUpstreamConnection is a proxied request over a
// keepalive client connection that dials a new upstream connection (no
// keepalive in the upstream group), as most first requests of the bench's
// 1,000-connection storm do: the dial, the exchange, the close.
func BenchmarkProxyNewUpstreamConnection(b *testing.B) {
	round := keepaliveProxy(b, 0, false)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

// BenchmarkProxyKeepalive1MiB is BenchmarkProxyKeepalive with a 1 MiB
// response, the bench's second scenario.
func BenchmarkProxyKeepalive1MiB(b *testing.B) {
	round := keepaliveProxy(b, 1<<20, true)
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

// TestProxyKeepaliveAllocs holds the steady-state proxied keepalive
// request to no allocation (the Upstream, the request context and the
// proxy's exchange are pooled; the client watch starts only for slow
// exchanges), a small response and a 1 MiB one through the buffered pipe
// (its segment queue, spill timer and reader function are kept by the
// pooled Upstream). The bound leaves room for a pool emptied by a GC
// cycle.
func TestProxyKeepaliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	for _, tc := range []struct {
		name       string
		size, runs int
	}{
		{"small", 0, 500},
		{"1MiB", 1 << 20, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			round := keepaliveProxy(t, tc.size, true)
			for i := 0; i < 100; i++ {
				round()
			}
			if a := testing.AllocsPerRun(tc.runs, round); a > 0.5 {
				t.Errorf("%.2f allocations per proxied keepalive request, want 0", a)
			}
		})
	}
}

// BenchmarkProxyNewConnection is a proxied request on a new client
// connection, closed after it (the first request of each connection in
// the bench's 1,000-connection storm): accept, connection state, first
// read, the exchange over a kept-alive upstream connection, close.
// Allocations include the client's dial (about a dozen, Go's net.Dial).
func BenchmarkProxyNewConnection(b *testing.B) {
	addr := testutil.StartKeepaliveBackend(b, []byte(testutil.HTTPResponse(200, "hello", "Content-Type: text/plain")))
	s := servertest.Start(b, strings.ReplaceAll(`
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    upstream u { server BACKEND; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`, "BACKEND", addr))
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", s.Addr("A"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil {
				break
			}
		}
		if !bytes.HasSuffix(buf[:n], []byte("hello")) {
			b.Fatalf("answer %q", buf[:n])
		}
		c.Close()
	}
}
