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
// (allocations are the whole process's: the server's, as the client and
// the backend allocate nothing per request).
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
	// a lean client (one buffer, no parsing beyond the head's end), so that
	// allocs/op are the server's and the backend's (none) alone
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	buf := make([]byte, 4096)
	endOfHead := []byte("\r\n\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil {
				b.Fatalf("request %d: %v after %q\n%s", i, err, buf[:n], s.ErrorLog())
			}
			if h := bytes.Index(buf[:n], endOfHead); h >= 0 && n >= h+len(endOfHead)+len("hello") {
				break
			}
		}
		if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 ")) || !bytes.HasSuffix(buf[:n], []byte("hello")) {
			b.Fatalf("request %d: answer %q", i, buf[:n])
		}
	}
}
