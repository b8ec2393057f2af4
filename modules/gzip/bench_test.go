package gzip_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
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
    types { text/html html; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location /off/ { alias %%ROOT%%/; }
        location /level1/ { alias %%ROOT%%/; gzip on; }
        location /level6/ { alias %%ROOT%%/; gzip on; gzip_comp_level 6; }
    }
}`

// page10k is a typical 10 KiB HTML page: markup repeated with varying text.
func page10k() []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><title>A page</title><link rel=\"stylesheet\" href=\"/s.css\"></head>\n<body>\n")
	for i := 0; b.Len() < 10<<10-20; i++ {
		b.WriteString(`<div class="item"><a href="/article/` + strconv.Itoa(i*7919%10007) + `">Article number ` +
			strconv.Itoa(i) + `</a> <span class="date">2026-12-` + strconv.Itoa(1+i%28) + "</span></div>\n")
	}
	b.WriteString("</body></html>\n")
	return b.Bytes()
}

// keepalive returns a function doing one request on a keepalive
// connection and reading its chunked or sized response.
func keepalive(tb testing.TB, addr, path string) func() {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip, deflate\r\n\r\n")
	br := bufio.NewReaderSize(c, 64<<10)
	line := func() string {
		l, err := br.ReadString('\n')
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	return func() {
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		cl, chunked := 0, false
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
		if !chunked {
			if _, err := br.Discard(cl); err != nil {
				tb.Fatal(err)
			}
			return
		}
		for {
			n, err := strconv.ParseInt(strings.TrimSpace(line()), 16, 64)
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := io.CopyN(io.Discard, br, n+2); err != nil {
				tb.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
}

// BenchmarkGzip serves a 10 KiB HTML file on a keepalive connection,
// uncompressed and gzipped at levels 1 (nginx's default) and 6; with
// -benchmem the allocations are the whole process's (client included).
func BenchmarkGzip(b *testing.B) {
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "page.html"), page10k(), 0644); err != nil {
		b.Fatal(err)
	}
	s := servertest.Start(b, strings.ReplaceAll(benchConf, "%%ROOT%%", root))
	for _, loc := range []string{"off", "level1", "level6"} {
		b.Run(loc, func(b *testing.B) {
			round := keepalive(b, s.Addr("A"), "/"+loc+"/page.html")
			round()
			b.SetBytes(int64(len(page10k())))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				round()
			}
		})
	}
}
