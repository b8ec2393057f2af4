package gzipstatic_test

import (
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

// TestGzipStaticAllocs: serving FILE.gz on a keepalive connection
// allocates no more than serving FILE without gzip_static (the path with
// ".gz" is built in the one allocation the plain path takes).
func TestGzipStaticAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector; scripts/test.sh runs the Allocs tests without -race")
	}
	root := t.TempDir()
	for name, b := range map[string][]byte{"a.html": plain, "a.html.gz": gz(zipped), "b.html": plain} {
		if err := os.WriteFile(filepath.Join(root, name), b, 0644); err != nil {
			t.Fatal(err)
		}
	}
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    access_log off;
    types { text/html html; }
    root ROOT;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        keepalive_requests 100000000;
        location / { }
        location /gz/ { alias ROOT/; gzip_static on; }
    }
}
`, "ROOT", root))
	count := func(uri, want string) float64 {
		c, err := net.Dial("tcp", s.Addr("A"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := []byte("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
		// the first answer gives the length of all (same head, same body)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		n, size := 0, -1
		for size < 0 || n < size {
			m, err := c.Read(buf[n:])
			if err != nil {
				t.Fatal(err)
			}
			n += m
			if end := bytes.Index(buf[:n], []byte("\r\n\r\n")); end >= 0 && size < 0 {
				_, v, _ := strings.Cut(string(buf[:end]), "Content-Length: ")
				v, _, _ = strings.Cut(v, "\r\n")
				cl, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("no Content-Length:\n%s", buf[:n])
				}
				size = end + 4 + cl
			}
		}
		if !bytes.Contains(buf[:n], []byte(want)) {
			t.Fatalf("%s: answer lacks %q:\n%s", uri, want, buf[:n])
		}
		round := func() {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf[:size]); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 100; i++ {
			round()
		}
		return testing.AllocsPerRun(500, round)
	}
	plainAllocs := count("/b.html", "Content-Length: 1100\r\n")
	gzAllocs := count("/gz/a.html", "Content-Encoding: gzip\r\n")
	noGzAllocs := count("/gz/b.html", "Content-Length: 1100\r\n")
	t.Logf("allocations per request: static %.2f, gzip_static hit %.2f, gzip_static miss %.2f", plainAllocs, gzAllocs, noGzAllocs)
	if gzAllocs > plainAllocs+0.5 {
		t.Errorf("a gzip_static hit allocates %.2f times, a plain static file %.2f", gzAllocs, plainAllocs)
	}
}
