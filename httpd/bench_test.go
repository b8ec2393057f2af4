package httpd_test

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

// BenchmarkKeepaliveReturn measures one keepalive request answered by
// "return 200" over loopback (client work included: the request is
// pre-built, the response read with a fixed-size buffer).
func BenchmarkKeepaliveReturn(b *testing.B) {
	s := servertest.Start(b, `
events {}
http {
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "hello, world\n"; }
    }
}`)
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	br := bufio.NewReaderSize(c, 4096)
	// the response is fixed-size: learn it once
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	size := readResponse(b, br)
	buf := make([]byte, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func readResponse(b *testing.B, br *bufio.Reader) int {
	n := 0
	cl := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		n += len(line)
		if len(line) > 16 && line[:16] == "Content-Length: " {
			for _, ch := range line[16:] {
				if ch >= '0' && ch <= '9' {
					cl = cl*10 + int(ch-'0')
				}
			}
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
		b.Fatal(err)
	}
	return n + cl
}

// TestKeepaliveAllocs asserts the core request path allocates nothing in
// steady state: a keepalive request answered by "return" (client side
// included; its buffers are reused).
func TestKeepaliveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	s := servertest.Start(t, `
events {}
http {
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "hello, world\n"; }
    }
}`)
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReaderSize(c, 4096)
	c.Write(req)
	buf := make([]byte, readResponseT(t, br))
	round := func() {
		c.Write(req)
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		round()
	}
	// AllocsPerRun counts the whole process: server and client.
	if a := testing.AllocsPerRun(500, round); a > 0 {
		t.Errorf("%.2f allocations per keepalive request, want 0", a)
	}
}

func readResponseT(t *testing.T, br *bufio.Reader) int {
	t.Helper()
	n, cl := 0, 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		n += len(line)
		if len(line) > 16 && line[:16] == "Content-Length: " {
			for _, ch := range line[16:] {
				if ch >= '0' && ch <= '9' {
					cl = cl*10 + int(ch-'0')
				}
			}
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
		t.Fatal(err)
	}
	return n + cl
}
