package memcached_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/testutil"
)

// BenchmarkRequests measures whole requests over one keepalive loopback
// connection to sluice, which keeps one connection to a real memcached
// (client and server in this process: allocations of both are counted).
func BenchmarkRequests(b *testing.B) {
	m := startMemcached(b)
	m.set(b, "/small", 0, "SEE-THIS")
	m.set(b, "/16k", 0, strings.Repeat("x", 16<<10))
	s := serveWith(b, `
    keepalive_requests 100000000;
    upstream memd { server `+m.addr+`; keepalive 4; }`, `
        location / {
            set $memcached_key $uri;
            memcached_pass memd;
        }
`)
	for _, bc := range []struct{ name, path string }{
		{"hit_small", "/small"},
		{"hit_16k", "/16k"},
		{"miss", "/missing"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := testutil.Dial(b, s.Addr("A"))
			defer c.Close()
			req := "GET " + bc.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
			b.ReportAllocs()
			for b.Loop() {
				if err := c.WriteString(req); err != nil {
					b.Fatal(err)
				}
				if _, err := c.ReadResponse(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
