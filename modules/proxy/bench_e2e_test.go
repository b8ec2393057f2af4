package proxy_test

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// keepaliveBackend answers every request on every connection with the
// same small response, keeping connections open.
func keepaliveBackend(b *testing.B) string {
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

// BenchmarkProxyKeepalive is a proxied request end to end over a
// keepalive client connection and a kept-alive upstream connection
// (allocations are the whole process's).
func BenchmarkProxyKeepalive(b *testing.B) {
	addr := keepaliveBackend(b)
	s := servertest.Start(b, strings.ReplaceAll(`
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
	c := testutil.Dial(b, s.Addr("A"))
	defer c.Close()
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := c.ReadResponse()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("request %d: %v %v\n%s", i, resp, err, s.ErrorLog())
		}
	}
}
