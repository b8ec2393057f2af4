package static_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const benchConf = `
events {}
http {
    keepalive_requests 100000000;
    types { text/html html; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /list/ { autoindex on; }
    }
}
`

// BenchmarkStatic measures whole requests for static content over one
// keepalive loopback connection (client and server in this process:
// allocations of both are counted).
func BenchmarkStatic(b *testing.B) {
	s := servertest.Start(b, benchConf)
	benchStatic(b, s.Addr("A"), s.Prefix())
}

// BenchmarkStaticNginx is BenchmarkStatic against Debian's nginx with the
// same configuration, for the ratio (the client's allocations only).
func BenchmarkStaticNginx(b *testing.B) {
	n := oracle.Start(b, strings.ReplaceAll(benchConf, "%%PORT_A%%", "%%PORT_0%%"))
	benchStatic(b, n.Addr(0), n.Prefix())
}

func benchStatic(b *testing.B, addr, prefix string) {
	html := filepath.Join(prefix, "html")
	write := func(name, body string) {
		p := filepath.Join(html, name)
		if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0644); err != nil {
			b.Fatal(err)
		}
	}
	write("small.html", strings.Repeat("s", 1024))
	write("big.bin", strings.Repeat("b", 1<<20))
	write("index.html", "index")
	for i := 0; i < 20; i++ {
		write("list/file-"+strings.Repeat("x", i)+".txt", "x")
	}
	fi, err := os.Stat(filepath.Join(html, "small.html"))
	if err != nil {
		b.Fatal(err)
	}
	ims := fi.ModTime().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	for _, bc := range []struct{ name, path, extra string }{
		{"small_1k", "/small.html", ""},
		{"big_1m", "/big.bin", ""},
		{"range", "/big.bin", "Range: bytes=1000-1999\r\n"},
		{"multirange", "/small.html", "Range: bytes=0-9,100-109\r\n"},
		{"not_modified", "/small.html", "If-Modified-Since: " + ims + "\r\n"},
		{"index", "/", ""},
		{"autoindex_20", "/list/", ""},
		{"not_found", "/nope.html", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := testutil.Dial(b, addr)
			defer c.Close()
			req := "GET " + bc.path + " HTTP/1.1\r\nHost: localhost\r\n" + bc.extra + "\r\n"
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
