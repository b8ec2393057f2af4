package gzipstatic_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and in Debian's nginx, on the same files. Port 1 is
// a server the first proxies to, for gzip_proxied with Via.
const conf = `
http {
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    root %%ROOT%%;
    gzip_static on;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { }
        location /vary/ { alias %%ROOT%%/; gzip_vary on; }
        location /off/ { alias %%ROOT%%/; gzip_static off; gzip_vary on; }
        location /always/ { alias %%ROOT%%/; gzip_static always; }
        location /always-vary/ { alias %%ROOT%%/; gzip_static always; gzip_vary on; }
        location /always-gunzip/ { alias %%ROOT%%/; gzip_static always; gunzip on; }
        location /always-gunzip-vary/ { alias %%ROOT%%/; gzip_static always; gunzip on; gzip_vary on; }
        location /v10/ { alias %%ROOT%%/; gzip_http_version 1.0; }
        location /proxied-any/ { alias %%ROOT%%/; gzip_proxied any; }
        location /proxied-noetag/ { alias %%ROOT%%/; gzip_proxied no_etag; gzip on; }
        location /disable/ { alias %%ROOT%%/; gzip_disable "curl/"; gzip_vary on; }
        location /nosym/ { alias %%ROOT%%/; disable_symlinks on; gzip_vary on; }
        location /gzip/ { alias %%ROOT%%/; gzip on; gzip_min_length 1; }
        location /post { gzip_static always; }
    }
}
`

// plain and zipped are different texts, so that the answer tells which
// file was served.
var (
	plain  = bytes.Repeat([]byte("<p>the plain file</p>\n"), 50)
	zipped = bytes.Repeat([]byte("<p>the gzipped file's text</p>\n"), 80)
)

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// setup writes the files: index.html and its .gz (a day older, so that
// Last-Modified tells them apart), nogz.html without one, a directory
// dir.html.gz, a FIFO fifo.html.gz, a symbolic link link.html.gz, an
// empty empty.html.gz and a broken broken.html.gz.
func setup(t *testing.T) (cf, root string) {
	t.Helper()
	root = t.TempDir()
	write := func(name string, b []byte, age time.Duration) {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, b, 0644); err != nil {
			t.Fatal(err)
		}
		mt := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).Add(-age)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", plain, 0)
	write("index.html.gz", gz(zipped), 24*time.Hour)
	write("page.txt", plain, 0)
	write("page.txt.gz", gz(zipped), time.Hour)
	write("nogz.html", plain, 0)
	write("dir.html", plain, 0)
	write("fifo.html", plain, 0)
	write("link.html", plain, 0)
	write("empty.html", plain, 0)
	write("empty.html.gz", nil, 0)
	write("broken.html", plain, 0)
	write("broken.html.gz", []byte("this is not gzip at all"), 0)
	write("onlygz.html.gz", gz(zipped), 0)
	if err := os.Mkdir(filepath.Join(root, "dir.html.gz"), 0755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.html.gz"), 0644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("index.html.gz", filepath.Join(root, "link.html.gz")); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(conf, "%%ROOT%%", root), root
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

func request(method, uri, proto string, extra ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + uri + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

const ae = "Accept-Encoding: gzip, deflate"

// comparison compares every header that matters here exactly, ETag and
// Last-Modified included: both servers serve the same files.
func comparison() oracle.Comparison {
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	delete(cmp.Normalize, "etag")
	return cmp
}

// TestOracleGzipStatic compares sluice with nginx over every location and
// a set of request variants.
func TestOracleGzipStatic(t *testing.T) {
	c, root := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := comparison()
	uris := []string{"/index.html", "/page.txt", "/nogz.html", "/dir.html", "/link.html", "/onlygz.html",
		"/missing.html", "/", "/fifo.html", "/vary/index.html", "/vary/nogz.html", "/vary/dir.html", "/off/index.html",
		"/always/index.html", "/always/nogz.html", "/always-vary/index.html", "/always/empty.html",
		"/always-gunzip/index.html", "/always-gunzip-vary/index.html", "/always-gunzip/nogz.html",
		"/v10/index.html", "/proxied-any/index.html", "/proxied-noetag/index.html", "/proxied-noetag/nogz.html",
		"/disable/index.html", "/nosym/index.html", "/nosym/link.html", "/gzip/index.html", "/gzip/nogz.html",
		"/vary/link.html"}
	variants := []struct {
		name    string
		proto   string
		headers []string
	}{
		{"gzip", "HTTP/1.1", []string{ae}},
		{"none", "HTTP/1.1", nil},
		{"identity", "HTTP/1.1", []string{"Accept-Encoding: identity"}},
		{"q0", "HTTP/1.1", []string{"Accept-Encoding: gzip;q=0"}},
		{"q0.5", "HTTP/1.1", []string{"Accept-Encoding: deflate, gzip;q=0.5"}},
		{"1.0", "HTTP/1.0", []string{ae}},
		{"via", "HTTP/1.1", []string{ae, "Via: 1.0 proxy"}},
		{"curl", "HTTP/1.1", []string{ae, "User-Agent: curl/8.5.0"}},
		{"range", "HTTP/1.1", []string{ae, "Range: bytes=0-9"}},
		{"range, no gzip", "HTTP/1.1", []string{"Range: bytes=5-14"}},
		{"ranges", "HTTP/1.1", []string{ae, "Range: bytes=0-1,-3"}},
	}
	for _, uri := range uris {
		for _, v := range variants {
			t.Run(strings.TrimPrefix(uri, "/")+"_"+v.name, func(t *testing.T) {
				compareGz(t, request("GET", uri, v.proto, v.headers...), ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	head := cmp
	head.NoBody = true
	for _, uri := range []string{"/index.html", "/vary/index.html", "/always/index.html", "/always-gunzip/index.html", "/nogz.html"} {
		for _, h := range [][]string{{ae}, nil} {
			t.Run("HEAD"+uri+"_"+strings.Join(h, ""), func(t *testing.T) {
				compareGz(t, request("HEAD", uri, "HTTP/1.1", h...), ngx.Addr(0), s.Addr("A"), head)
			})
		}
	}
	// POST is not gzip_static's: static answers 405
	t.Run("POST", func(t *testing.T) {
		compareGz(t, request("POST", "/post/index.html", "HTTP/1.1", ae, "Content-Length: 0"), ngx.Addr(0), s.Addr("A"), cmp)
	})
	// conditional requests against the validators of the .gz
	fi, err := os.Stat(filepath.Join(root, "index.html.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lm := fi.ModTime().UTC().Format(http.TimeFormat)
	first := oracle.Exchange(ngx.Addr(0), []byte(request("GET", "/vary/index.html", "HTTP/1.1", ae)), cmp)
	if first.Resp == nil || first.Resp.Get("Last-Modified") != lm {
		t.Fatalf("nginx's Last-Modified is not the .gz's %q: %v", lm, first.Resp)
	}
	etag := first.Resp.Get("ETag")
	for _, tc := range []struct {
		name, uri string
		headers   []string
	}{
		{"ims", "/vary/index.html", []string{ae, "If-Modified-Since: " + lm}},
		{"ims, not gzip", "/vary/index.html", []string{"If-Modified-Since: " + lm}},
		{"inm", "/vary/index.html", []string{ae, "If-None-Match: " + etag}},
		{"inm weak", "/vary/index.html", []string{ae, "If-None-Match: W/" + etag}},
		{"inm, not gzip", "/vary/index.html", []string{"If-None-Match: " + etag}},
		{"inm, always-gunzip", "/always-gunzip/index.html", []string{"If-None-Match: " + etag}},
		{"inm, always-gunzip, gzip", "/always-gunzip/index.html", []string{ae, "If-None-Match: " + etag}},
		{"if-range", "/index.html", []string{ae, "Range: bytes=0-9", "If-Range: " + etag}},
		{"if-match wrong", "/index.html", []string{ae, `If-Match: "x"`}},
		{"ius old", "/index.html", []string{ae, "If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compareGz(t, request("GET", tc.uri, "HTTP/1.1", tc.headers...), ngx.Addr(0), s.Addr("A"), cmp)
		})
	}
	// a broken .gz served with "always" and decompressed by gunzip: the
	// connection closes with nothing sent (the head waits for the body),
	// with nginx's log line
	t.Run("always-gunzip broken", func(t *testing.T) {
		req := request("GET", "/always-gunzip/broken.html", "HTTP/1.1")
		for _, side := range []struct {
			name, addr string
			log        func() string
		}{{"nginx", ngx.Addr(0), ngx.ErrorLog}, {"sluice", s.Addr("A"), s.ErrorLog}} {
			res := oracle.Exchange(side.addr, []byte(req), cmp)
			if res.Resp != nil && res.Resp.Complete {
				t.Errorf("%s: want a cut answer, got %v (%v)", side.name, res.Resp, res.Err)
			}
			if !waitLog(side.log, `inflate() failed: 4, -3`) {
				t.Errorf("%s: no inflate() line in\n%s", side.name, side.log())
			}
		}
	})
	// the log lines nginx writes for .gz files it cannot serve
	for _, want := range []string{
		`[error]`, `openat() "` + root + `/link.html.gz" failed (40: Too many levels of symbolic links)`,
		`[crit]`, `"` + root + `/fifo.html.gz" is not a regular file`,
	} {
		if !strings.Contains(ngx.ErrorLog(), want) {
			t.Errorf("nginx's log lacks %q", want)
		}
		if !strings.Contains(s.ErrorLog(), want) {
			t.Errorf("sluice's log lacks %q:\n%s", want, s.ErrorLog())
		}
	}
}

// boundary is a multipart boundary, a counter of the server's.
var boundary = regexp.MustCompile(`\b0{10,}\d+\b`)

// compareGz compares the answers of nginx and sluice to req. The oracle,
// Debian's nginx 1.22, predates gzip_static's support of ranges (nginx
// 1.23.3, ticket #2349) which sluice follows: where nginx served a .gz
// (Content-Encoding: gzip and Content-Length), sluice's answer must have
// "Accept-Ranges: bytes", and to a single range it must answer 206 with
// the very bytes of nginx's whole answer; Accept-Ranges is not compared
// there, and ranges not otherwise.
func compareGz(t *testing.T, req string, ngx, sl string, cmp oracle.Comparison) {
	t.Helper()
	a := oracle.Exchange(ngx, []byte(req), cmp)
	b := oracle.Exchange(sl, []byte(req), cmp)
	if a.Resp != nil && a.Resp.Get("Content-Encoding") == "gzip" && a.Resp.Has("Content-Length") && a.Resp.StatusCode == 200 {
		if b.Resp == nil || b.Resp.Get("Accept-Ranges") != "bytes" && b.Resp.StatusCode != 206 && b.Resp.StatusCode != 416 {
			t.Errorf("sluice does not allow ranges on a .gz:\n%v", b.Resp)
		}
		if rng := rangeOf(req); rng != "" {
			if len(a.Resp.Body) > 0 { // an empty one has no ranges to serve
				checkRange(t, rng, a.Resp.Body, b.Resp)
			}
			return
		}
		cmp.Headers = slices.DeleteFunc(slices.Clone(cmp.Headers), func(h string) bool { return h == "Accept-Ranges" })
	}
	cmp.Normalize = maps.Clone(cmp.Normalize)
	cmp.Normalize["content-type"] = func(v string) string { return boundary.ReplaceAllString(v, "N") }
	norm := cmp.NormalizeBody
	cmp.NormalizeBody = func(b []byte) []byte { return norm(boundary.ReplaceAll(decompressed(b), []byte("N"))) }
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("answers differ for request %q:\n%s", req, d)
	}
}

// decompressed is a gzip body decompressed, marked as such (the gzip
// filter's output differs from zlib's), other bodies as they are.
func decompressed(b []byte) []byte {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return []byte("bad gzip header")
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return []byte("bad gzip stream")
	}
	return append([]byte("gzip:"), out...)
}

// rangeOf is the Range header of a request, "" for none.
func rangeOf(req string) string {
	_, after, ok := strings.Cut(req, "\r\nRange: bytes=")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, "\r\n")
	return v
}

// checkRange checks sluice's answer to a range of a .gz whose whole
// content is full.
func checkRange(t *testing.T, rng string, full []byte, r *testutil.Response) {
	t.Helper()
	if r == nil || r.StatusCode != 206 {
		t.Fatalf("range %s of a .gz: want 206, got %v", rng, r)
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok || strings.Contains(rng, ",") {
		if !strings.HasPrefix(r.Get("Content-Type"), "multipart/byteranges; boundary=") {
			t.Errorf("ranges %s: %s", rng, r.Head)
		}
		return
	}
	i, _ := strconv.Atoi(first)
	j, _ := strconv.Atoi(last)
	want := fmt.Sprintf("bytes %d-%d/%d", i, j, len(full))
	if r.Get("Content-Range") != want || r.Get("Content-Encoding") != "gzip" || !bytes.Equal(r.Body, full[i:j+1]) {
		t.Errorf("range %s of %d bytes: want %s of the .gz, got\n%s%q", rng, len(full), want, r.Head, r.Body)
	}
}

func waitLog(log func() string, want string) bool {
	for i := 0; i < 50; i++ {
		if strings.Contains(log(), want) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestGzipStatic checks what sluice serves (without nginx): which file,
// its encoding, and the body.
func TestGzipStatic(t *testing.T) {
	testutil.CheckLeaks(t)
	c, _ := setup(t)
	s := servertest.Start(t, sluiceConf(c))
	for _, tc := range []struct {
		name, uri string
		headers   []string
		status    int
		encoded   bool
		body      []byte // decompressed
		vary      bool
	}{
		{"gz served", "/index.html", []string{ae}, 200, true, zipped, false},
		{"not accepted", "/index.html", nil, 200, false, plain, false},
		{"q=0", "/index.html", []string{"Accept-Encoding: gzip;q=0"}, 200, false, plain, false},
		{"no .gz", "/nogz.html", []string{ae}, 200, false, plain, false},
		{"directory .gz", "/dir.html", []string{ae}, 200, false, plain, false},
		{"vary, not accepted", "/vary/index.html", nil, 200, false, plain, true},
		{"vary, no .gz", "/vary/nogz.html", nil, 200, false, plain, false},
		{"vary, directory", "/vary/dir.html", nil, 200, false, plain, true},
		{"always", "/always/index.html", nil, 200, true, zipped, false},
		{"always, gunzip", "/always-gunzip/index.html", nil, 200, false, zipped, false},
		{"always, gunzip, vary", "/always-gunzip-vary/index.html", nil, 200, false, zipped, true},
		{"always, gunzip, gzip accepted", "/always-gunzip/index.html", []string{ae}, 200, true, zipped, false},
		{"only .gz", "/onlygz.html", []string{ae}, 200, true, zipped, false},
		{"only .gz, not accepted", "/onlygz.html", nil, 404, false, nil, false},
		{"symlink refused", "/nosym/link.html", []string{ae}, 200, false, plain, false},
		{"fifo", "/fifo.html", []string{ae}, 404, false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), request("GET", tc.uri, "HTTP/1.1", tc.headers...))
			if r.StatusCode != tc.status || !r.Complete {
				t.Fatalf("want %d, got\n%s", tc.status, r)
			}
			if (r.Get("Content-Encoding") == "gzip") != tc.encoded {
				t.Fatalf("encoded %v:\n%s", tc.encoded, r.Head)
			}
			if r.Has("Vary") != tc.vary {
				t.Errorf("Vary %v:\n%s", tc.vary, r.Head)
			}
			if tc.body == nil {
				return
			}
			body := r.Body
			if tc.encoded {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if _, err := out.ReadFrom(zr); err != nil {
					t.Fatal(err)
				}
				body = out.Bytes()
			}
			if !bytes.Equal(body, tc.body) {
				t.Errorf("body %q", body)
			}
		})
	}
}
