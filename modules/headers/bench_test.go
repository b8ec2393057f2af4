package headers_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

const benchConf = `
events {}
http {
    keepalive_requests 100000000;
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location /none { return 200 "hello, world\n"; }
        location /headers {
            add_header X-URI $uri;
            add_header X-Mixed "u=$uri a=$http_user_agent";
            add_header Cache-Control private;
            expires 1h;
            return 200 "hello, world\n";
        }
        location /trailers { add_trailer X-T $uri; return 200 "hello, world\n"; }
    }
}`

// keepalive returns a function doing one request on a keepalive
// connection and reading its response (of a fixed size, learnt from the
// first one).
func keepalive(tb testing.TB, addr, path string) func() {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n")
	br := bufio.NewReaderSize(c, 4096)
	c.Write(req)
	size, cl, chunked := 0, 0, false
	line := func() string {
		l, err := br.ReadString('\n')
		if err != nil {
			tb.Fatal(err)
		}
		size += len(l)
		return l
	}
	for {
		l := line()
		if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
			cl, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		chunked = chunked || l == "Transfer-Encoding: chunked\r\n"
		if l == "\r\n" {
			break
		}
	}
	if chunked {
		for line() != "0\r\n" {
		}
		for line() != "\r\n" {
		}
	} else if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
		tb.Fatal(err)
	}
	size += cl
	buf := make([]byte, size)
	return func() {
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		if _, err := io.ReadFull(br, buf); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkHeaders(b *testing.B) {
	s := servertest.Start(b, benchConf)
	for _, path := range []string{"/none", "/headers", "/trailers"} {
		b.Run(path[1:], func(b *testing.B) {
			round := keepalive(b, s.Addr("A"), path)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				round()
			}
		})
	}
}

// TestHeadersAllocs checks that add_header, expires and add_trailer
// allocate nothing on a keepalive connection.
func TestHeadersAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	s := servertest.Start(t, benchConf)
	for _, path := range []string{"/headers", "/trailers"} {
		t.Run(path[1:], func(t *testing.T) {
			round := keepalive(t, s.Addr("A"), path)
			for i := 0; i < 100; i++ {
				round()
			}
			if a := testing.AllocsPerRun(500, round); a > 0 {
				t.Errorf("%.2f allocations per keepalive request, want 0", a)
			}
		})
	}
}
