package mp4_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// diffConf is served by Debian's nginx and by sluice alike.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    types { video/mp4 mp4; }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location / { mp4; }
        location /key/ { alias %%PREFIX%%/html/; mp4; mp4_start_key_frame on; }
        location /small/ { alias %%PREFIX%%/html/; mp4; mp4_buffer_size 1k; mp4_max_buffer_size 2k; }
        location /tiny/ { alias %%PREFIX%%/html/; mp4; mp4_buffer_size 100; }
    }
}
`

var mtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func writeMovies(t *testing.T, prefix string) {
	t.Helper()
	html := filepath.Join(prefix, "html")
	if err := os.MkdirAll(filepath.Join(html, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := movies()
	for _, c := range faults {
		files[c.name] = c.f(files["moovlast.mp4"])
	}
	files["empty.mp4"] = nil
	for name, body := range files {
		p := filepath.Join(html, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
}

func TestDifferential(t *testing.T) {
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	writeMovies(t, n.Prefix())
	writeMovies(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	delete(cmp.Normalize, "etag")
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	// the multipart boundary is a counter of each server's
	boundary := regexp.MustCompile(`[0-9]{20}`)
	cmp.Normalize["content-type"] = func(v string) string { return boundary.ReplaceAllString(v, "BOUNDARY") }
	cmp.NormalizeBody = func(b []byte) []byte {
		return boundary.ReplaceAll(oracle.NormalizeServerTokens(b), []byte("BOUNDARY"))
	}
	get := func(uri string) string { return "GET " + uri + " HTTP/1.0\r\n\r\n" }
	type tc struct {
		name, req string
		head      bool
	}
	var tests []tc
	for name := range movies() {
		for _, q := range []string{"", "?start=0", "?start=1", "?start=2.5", "?start=3.123456", "?end=4",
			"?start=2&end=5.5", "?start=9.9", "?start=9.99", "?start=7&end=7.01", "?start=0&end=10",
			"?start=20", "?end=0", "?start=5&end=3", "?start=abc", "?start=1..2", "?start=&end=",
			"?start=99999999999999999999"} {
			tests = append(tests, tc{name: name + q, req: get("/" + name + q)})
		}
		for _, q := range []string{"?start=1.1", "?start=2.5&end=6", "?start=0.03"} {
			tests = append(tests, tc{name: "key " + name + q, req: get("/key/" + name + q)})
		}
		tests = append(tests,
			tc{name: "small " + name, req: get("/small/" + name + "?start=1")},
			tc{name: "tiny " + name, req: get("/tiny/" + name + "?start=1")})
	}
	for _, c := range faults {
		for _, q := range []string{"?start=1", "?start=0", "?end=2", ""} {
			tests = append(tests, tc{name: c.name + q, req: get("/" + c.name + q)})
		}
	}
	tests = append(tests,
		tc{name: "head", req: "HEAD /moovlast.mp4?start=2 HTTP/1.0\r\n\r\n", head: true},
		tc{name: "range on cut", req: "GET /moovlast.mp4?start=2 HTTP/1.0\r\nRange: bytes=0-99\r\n\r\n"},
		tc{name: "range suffix on cut", req: "GET /co64.mp4?start=2 HTTP/1.0\r\nRange: bytes=-500\r\n\r\n"},
		tc{name: "two ranges on cut", req: "GET /moovlast.mp4?start=2 HTTP/1.0\r\nRange: bytes=0-9,20-29\r\n\r\n"},
		tc{name: "two ranges not cut", req: "GET /moovfirst.mp4?start=0 HTTP/1.0\r\nRange: bytes=0-9,20-29\r\n\r\n"},
		tc{name: "keepalive after 500", req: "GET /truncated.mp4?start=3 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		tc{name: "two ranges whole", req: "GET /moovlast.mp4 HTTP/1.0\r\nRange: bytes=0-9,20-29\r\n\r\n"},
		tc{name: "keepalive", req: "GET /moovlast.mp4?start=3 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		tc{name: "post", req: "POST /moovlast.mp4 HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
		tc{name: "missing", req: get("/nope.mp4?start=1")},
		tc{name: "directory", req: get("/dir?start=1")},
		tc{name: "empty", req: get("/empty.mp4?start=1")},
		tc{name: "empty whole", req: get("/empty.mp4")},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	n.WaitErrorLog("empty.mp4", 5*time.Second)
	prefixed := func(log, prefix string) (lines []string) {
		for _, l := range oracle.ErrorLines(strings.ReplaceAll(log, strings.TrimSuffix(prefix, "/")+"/", "PREFIX/")) {
			if !strings.Contains(l, "stsc-zero-chunk.mp4?") || strings.Contains(l, "?start=1 ") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	want, got := prefixed(n.ErrorLog(), n.Prefix()), prefixed(s.ErrorLog(), s.Prefix())
	// nginx 1.27.2 added the "zero chunk" check (1.22.1 goes on and finds
	// the chunk out of stco); sluice follows the newer nginx
	if !strings.Contains(s.ErrorLog(), `zero chunk in "`) {
		t.Errorf("no \"zero chunk\" line for stsc-zero-chunk.mp4")
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("error log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}
