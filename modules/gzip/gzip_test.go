package gzip_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and, for the differential test, in Debian's nginx.
// Port 0 is the server under test, port 1 a backend it proxies to.
const conf = `
http {
    types { text/html html; text/plain txt; application/json json; image/png png; }
    default_type text/html;
    root %%ROOT%%;
    gzip on;
    log_format ratio "$uri $gzip_ratio";
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        access_log %%ROOT%%/ratio.log ratio;
        location / { }
        location /types/ { alias %%ROOT%%/; gzip_types text/plain application/json; }
        location /any/ { alias %%ROOT%%/; gzip_types *; }
        location /minlen/ { alias %%ROOT%%/; gzip_min_length 4000; }
        location /off/ { alias %%ROOT%%/; gzip off; }
        location /v10/ { alias %%ROOT%%/; gzip_http_version 1.0; }
        location /vary/ { alias %%ROOT%%/; gzip_vary on; }
        location /level9/ { alias %%ROOT%%/; gzip_comp_level 9; gzip_buffers 4 1k; }
        location /nobuffer/ { alias %%ROOT%%/; gzip_no_buffer on; postpone_gzipping 1k; }
        location /proxied-any/ { alias %%ROOT%%/; gzip_proxied any; }
        location /proxied-expired/ { alias %%ROOT%%/; gzip_proxied expired; expires -1; }
        location /proxied-expired-future/ { alias %%ROOT%%/; gzip_proxied expired; expires 1h; }
        location /proxied-nocache/ { alias %%ROOT%%/; gzip_proxied no-cache; add_header Cache-Control "public, no-cache"; }
        location /proxied-private/ { alias %%ROOT%%/; gzip_proxied no-cache; add_header Cache-Control "private"; }
        location /proxied-noetag/ { alias %%ROOT%%/; gzip_proxied no_etag; }
        location /proxied-noetag-off/ { alias %%ROOT%%/; gzip_proxied no_etag; etag off; }
        location /proxied-nolm/ { alias %%ROOT%%/; gzip_proxied no_last_modified; }
        location /proxied-auth/ { alias %%ROOT%%/; gzip_proxied auth; }
        location /disable/ { alias %%ROOT%%/; gzip_disable "curl/" msie6; }
        location /add-encoding/ { alias %%ROOT%%/; add_header Content-Encoding br; }
        location /ssi/ { alias %%ROOT%%/; ssi on; gzip_vary on; }
        location /return { return 200 "$request_uri $request_uri $request_uri $request_uri\n"; }
        location /r403 { return 403; }
        location /r404 { return 404; }
        location /r500 { return 500; }
        location /r201 { return 201 "created created created created created created created\n"; }
        location /proxy/ { proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /proxy-unbuffered/ { proxy_buffering off; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /proxy-vary/ { gzip_vary on; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        gzip off;
        location / { }
        location /encoded/ { alias %%ROOT%%/; add_header Content-Encoding gzip; }
        location /identity/ { alias %%ROOT%%/; add_header Content-Encoding identity; }
    }
}
`

// files are the documents served; big.html is larger than the default
// gzip_buffers (128k) so that its compressed form needs several rounds.
func files() map[string][]byte {
	rnd := rand.New(rand.NewSource(1))
	var big bytes.Buffer
	for big.Len() < 400<<10 {
		big.WriteString("<p>line ")
		big.WriteString(strings.Repeat(string(rune('a'+rnd.Intn(26))), rnd.Intn(40)))
		big.WriteString(" of a big document</p>\n")
	}
	png := make([]byte, 3000)
	rnd.Read(png)
	return map[string][]byte{
		"index.html": bytes.Repeat([]byte("<p>hello, gzip</p>\n"), 200),
		"small.html": []byte("tiny page\n"),
		"edge.html":  bytes.Repeat([]byte("x"), 20),
		"below.html": bytes.Repeat([]byte("x"), 19),
		"empty.html": {},
		"page.txt":   bytes.Repeat([]byte("plain text, plain text\n"), 100),
		"data.json":  bytes.Repeat([]byte(`{"key": "value"},`), 100),
		"img.png":    png,
		"big.html":   big.Bytes(),
		"ssi.html":   []byte(`<p>before</p><!--#include virtual="/index.html" --><!--#include virtual="/proxy/big.html" --><p>after</p>`),
	}
}

func setup(t *testing.T) (cf, root string) {
	t.Helper()
	root = t.TempDir()
	for name, content := range files() {
		if err := os.WriteFile(filepath.Join(root, name), content, 0644); err != nil {
			t.Fatal(err)
		}
	}
	return strings.ReplaceAll(conf, "%%ROOT%%", root), root
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

// gunzip decompresses a gzip body, failing the test on a malformed one.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v (%q)", err, head(b))
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip stream: %v", err)
	}
	return out
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// request builds a request; extra are header lines.
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

func TestGzip(t *testing.T) {
	testutil.CheckLeaks(t)
	c, _ := setup(t)
	s := servertest.Start(t, sluiceConf(c))
	fs := files()
	tests := []struct {
		name    string
		uri     string
		proto   string
		headers []string
		gzipped bool
		status  int
		vary    bool
		body    []byte // the (decompressed) body, nil: not checked
	}{
		{"html", "/index.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["index.html"]},
		{"no accept-encoding", "/index.html", "HTTP/1.1", nil, false, 200, false, fs["index.html"]},
		{"deflate only", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: deflate, br"}, false, 200, false, nil},
		{"gzip alone", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: gzip"}, true, 200, false, fs["index.html"]},
		{"gzip upper case", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: br, GZIP"}, true, 200, false, nil},
		{"q=0", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: gzip;q=0"}, false, 200, false, nil},
		{"q=0.000", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: deflate, gzip; q=0.000"}, false, 200, false, nil},
		{"q=0.5", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: gzip;q=0.5, deflate"}, true, 200, false, nil},
		{"x-gzip is not gzip", "/index.html", "HTTP/1.1", []string{"Accept-Encoding: x-gzip"}, false, 200, false, nil},
		{"HTTP/1.0 below gzip_http_version", "/index.html", "HTTP/1.0", []string{ae}, false, 200, false, nil},
		{"HTTP/1.0 allowed", "/v10/index.html", "HTTP/1.0", []string{ae}, true, 200, false, fs["index.html"]},
		{"small", "/small.html", "HTTP/1.1", []string{ae}, false, 200, false, fs["small.html"]},
		{"min length edge", "/edge.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["edge.html"]},
		{"below min length", "/below.html", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"min length 4000", "/minlen/index.html", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"min length 4000 big", "/minlen/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"text/plain not listed", "/page.txt", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"text/plain listed", "/types/page.txt", "HTTP/1.1", []string{ae}, true, 200, false, fs["page.txt"]},
		{"json listed", "/types/data.json", "HTTP/1.1", []string{ae}, true, 200, false, fs["data.json"]},
		{"html always", "/types/index.html", "HTTP/1.1", []string{ae}, true, 200, false, nil},
		{"png with *", "/any/img.png", "HTTP/1.1", []string{ae}, true, 200, false, fs["img.png"]},
		{"png", "/img.png", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"off", "/off/index.html", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"big", "/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"level 9 small buffers", "/level9/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"no buffer, postponed", "/nobuffer/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"no buffer, postponed, small", "/nobuffer/index.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["index.html"]},
		{"vary gzipped", "/vary/index.html", "HTTP/1.1", []string{ae}, true, 200, true, nil},
		{"vary not accepted", "/vary/index.html", "HTTP/1.1", nil, false, 200, true, nil},
		{"vary wrong type", "/vary/img.png", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"return", "/return", "HTTP/1.1", []string{ae}, true, 200, false, []byte("/return /return /return /return\n")},
		{"403", "/r403", "HTTP/1.1", []string{ae}, true, 403, false, nil},
		{"404", "/r404", "HTTP/1.1", []string{ae}, true, 404, false, nil},
		{"missing file", "/missing.html", "HTTP/1.1", []string{ae}, true, 404, false, nil},
		{"500", "/r500", "HTTP/1.1", []string{ae}, false, 500, false, nil},
		{"201", "/r201", "HTTP/1.1", []string{ae}, false, 201, false, nil},
		{"via, proxied off", "/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, false, 200, false, nil},
		{"via, proxied any", "/proxied-any/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"via, expired", "/proxied-expired/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"via, not expired", "/proxied-expired-future/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, false, 200, false, nil},
		{"via, no-cache", "/proxied-nocache/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"via, private without the bit", "/proxied-private/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, false, 200, false, nil},
		{"via, no_etag with etag", "/proxied-noetag/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, false, 200, false, nil},
		{"via, no_etag without etag", "/proxied-noetag-off/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"via, no_last_modified, static", "/proxied-nolm/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"via, auth", "/proxied-auth/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache", "Authorization: Basic dTpw"}, true, 200, false, nil},
		{"via, auth missing", "/proxied-auth/index.html", "HTTP/1.1", []string{ae, "Via: 1.1 cache"}, true, 200, false, nil},
		{"disabled user agent", "/disable/index.html", "HTTP/1.1", []string{ae, "User-Agent: CURL/8.0"}, false, 200, false, nil},
		{"msie6", "/disable/index.html", "HTTP/1.1", []string{ae, "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"}, false, 200, false, nil},
		{"msie6 sv1", "/disable/index.html", "HTTP/1.1", []string{ae, "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"}, true, 200, false, nil},
		{"other user agent", "/disable/index.html", "HTTP/1.1", []string{ae, "User-Agent: Mozilla/5.0"}, true, 200, false, nil},
		{"range", "/index.html", "HTTP/1.1", []string{ae, "Range: bytes=0-9"}, true, 200, false, fs["index.html"]},
		{"range without gzip", "/index.html", "HTTP/1.1", []string{"Range: bytes=0-9"}, false, 206, false, fs["index.html"][:10]},
		{"proxied", "/proxy/index.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["index.html"]},
		{"proxied big", "/proxy/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"proxied unbuffered", "/proxy-unbuffered/big.html", "HTTP/1.1", []string{ae}, true, 200, false, fs["big.html"]},
		{"proxied already encoded", "/proxy/encoded/index.html", "HTTP/1.1", []string{ae}, false, 200, false, fs["index.html"]},
		{"proxied identity", "/proxy/identity/index.html", "HTTP/1.1", []string{ae}, false, 200, false, fs["index.html"]},
		{"proxied encoded, vary", "/proxy-vary/encoded/index.html", "HTTP/1.1", []string{ae}, false, 200, false, nil},
		{"proxied 206", "/proxy/index.html", "HTTP/1.1", []string{ae, "Range: bytes=0-9"}, false, 206, false, fs["index.html"][:10]},
		{"ssi", "/ssi/ssi.html", "HTTP/1.1", []string{ae}, true, 200, true,
			[]byte("<p>before</p>" + string(fs["index.html"]) + string(fs["big.html"]) + "<p>after</p>")},
		{"empty", "/empty.html", "HTTP/1.1", []string{ae}, false, 200, false, []byte{}},
		{"empty, length unknown", "/proxy-unbuffered/empty.html", "HTTP/1.1", []string{ae}, false, 200, false, []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), request("GET", tc.uri, tc.proto, tc.headers...))
			if r.StatusCode != tc.status || !r.Complete {
				t.Fatalf("want status %d, got:\n%s", tc.status, r)
			}
			ce := r.Get("Content-Encoding")
			if (ce == "gzip") != tc.gzipped && !strings.Contains(tc.uri, "encoded") {
				t.Fatalf("gzipped %v, want %v:\n%s", ce == "gzip", tc.gzipped, r.Head)
			}
			if r.Has("Vary") != tc.vary {
				t.Errorf("Vary present %v, want %v:\n%s", r.Has("Vary"), tc.vary, r.Head)
			}
			if tc.vary && r.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q", r.Get("Vary"))
			}
			body := r.Body
			if tc.gzipped {
				if r.Has("Content-Length") || r.Has("Accept-Ranges") {
					t.Errorf("a gzipped response keeps Content-Length or Accept-Ranges:\n%s", r.Head)
				}
				if et := r.Get("ETag"); et != "" && !strings.HasPrefix(et, `W/"`) {
					t.Errorf("ETag %q is not weak", et)
				}
				switch {
				case tc.proto == "HTTP/1.1" && r.Get("Transfer-Encoding") != "chunked":
					t.Errorf("HTTP/1.1 answer not chunked:\n%s", r.Head)
				case tc.proto == "HTTP/1.0" && r.Has("Transfer-Encoding"):
					t.Errorf("HTTP/1.0 answer chunked:\n%s", r.Head)
				}
				body = gunzip(t, r.Body)
			}
			if tc.body != nil && !bytes.Equal(body, tc.body) {
				t.Errorf("body (%d bytes) differs from the expected %d bytes: %q", len(body), len(tc.body), head(body))
			}
		})
	}
}

// TestHead: a HEAD request gets the head a GET would get, without a body.
func TestHead(t *testing.T) {
	c, _ := setup(t)
	s := servertest.Start(t, sluiceConf(c))
	for _, tc := range []struct {
		name, uri string
		headers   []string
		gzipped   bool
	}{
		{"static", "/index.html", []string{ae}, true},
		{"static, not accepted", "/index.html", nil, false},
		{"proxied", "/proxy/index.html", []string{ae}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := testutil.Dial(t, s.Addr("A"))
			defer cl.Close()
			if err := cl.WriteString(request("HEAD", tc.uri, "HTTP/1.1", tc.headers...)); err != nil {
				t.Fatal(err)
			}
			r, err := cl.ReadHeadResponse()
			if err != nil {
				t.Fatal(err)
			}
			if (r.Get("Content-Encoding") == "gzip") != tc.gzipped || r.StatusCode != 200 {
				t.Fatalf("gzipped %v:\n%s", tc.gzipped, r.Head)
			}
			if tc.gzipped && (r.Has("Content-Length") || r.Has("Transfer-Encoding")) {
				t.Errorf("HEAD head:\n%s", r.Head)
			}
			if rest, err := cl.ReadUntilClose(); err != nil || len(rest) != 0 {
				t.Errorf("bytes after the head: %q (%v)", rest, err)
			}
		})
	}
}

// TestRatio checks $gzip_ratio in the access log: the body size over the
// compressed size, and "-" for an uncompressed response.
func TestRatio(t *testing.T) {
	c, root := setup(t)
	s := servertest.Start(t, sluiceConf(c))
	zipped := roundTripClosed(t, s.Addr("A"), request("GET", "/index.html", "HTTP/1.1", ae))
	roundTripClosed(t, s.Addr("A"), request("GET", "/index.html", "HTTP/1.1"))
	if !zipped.LastChunk {
		t.Fatalf("not chunked:\n%s", zipped.Head)
	}
	want := "/index.html " + ratioText(len(files()["index.html"]), len(zipped.Body)) + "\n/index.html -\n"
	if b, _ := os.ReadFile(filepath.Join(root, "ratio.log")); string(b) != want {
		t.Errorf("log\n%q\nwant\n%q", b, want)
	}
}

// roundTripClosed sends req and reads the response until the server
// closes the connection, which it does after logging the request.
func roundTripClosed(t *testing.T, addr, req string) *testutil.Response {
	t.Helper()
	cl := testutil.Dial(t, addr)
	defer cl.Close()
	if err := cl.WriteString(req); err != nil {
		t.Fatal(err)
	}
	r, err := cl.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if rest, err := cl.ReadUntilClose(); err != nil || len(rest) != 0 {
		t.Fatalf("after the response: %q, %v", rest, err)
	}
	return r
}

// ratioText is nginx's rounding of in/out to two decimals.
func ratioText(in, out int) string {
	whole := in / out
	frac := in * 100 / out % 100
	if in*1000/out%10 > 4 {
		frac++
		if frac > 99 {
			whole++
			frac = 0
		}
	}
	return fmt.Sprintf("%d.%02d", whole, frac)
}

// TestOracleGzip compares sluice with nginx: status, the headers that say
// how the body is encoded and framed, and the decompressed bodies.
func TestOracleGzip(t *testing.T) {
	c, _ := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	cmp.Normalize["etag"] = weakness
	cmp.NormalizeBody = func(b []byte) []byte {
		if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return []byte("bad gzip header")
			}
			out, err := io.ReadAll(zr)
			if err != nil {
				return []byte("bad gzip stream")
			}
			b = append([]byte("gzip:"), out...)
		}
		return oracle.NormalizeServerTokens(b)
	}
	uris := []string{"/index.html", "/small.html", "/edge.html", "/below.html", "/empty.html", "/page.txt",
		"/types/page.txt", "/types/data.json", "/any/img.png", "/img.png", "/off/index.html", "/v10/index.html",
		"/vary/index.html", "/vary/img.png", "/minlen/index.html", "/big.html", "/level9/big.html", "/nobuffer/index.html",
		"/return", "/r403", "/r404", "/r500", "/r201", "/missing.html",
		"/proxied-any/index.html", "/proxied-expired/index.html", "/proxied-expired-future/index.html",
		"/proxied-nocache/index.html", "/proxied-private/index.html", "/proxied-noetag/index.html",
		"/proxied-noetag-off/index.html", "/proxied-nolm/index.html", "/proxied-auth/index.html",
		"/disable/index.html", "/proxy/index.html", "/proxy/big.html", "/proxy-unbuffered/index.html",
		"/proxy/encoded/index.html", "/proxy/identity/index.html", "/proxy-vary/encoded/index.html",
		"/proxy-vary/index.html", "/proxy-unbuffered/empty.html", "/ssi/ssi.html", "/add-encoding/index.html"}
	variants := []struct {
		name    string
		proto   string
		headers []string
	}{
		{"gzip", "HTTP/1.1", []string{ae}},
		{"none", "HTTP/1.1", nil},
		{"q0", "HTTP/1.1", []string{"Accept-Encoding: gzip;q=0, deflate"}},
		{"q0.001", "HTTP/1.1", []string{"Accept-Encoding: deflate,gzip; q=0.001"}},
		{"1.0", "HTTP/1.0", []string{ae}},
		{"via", "HTTP/1.1", []string{ae, "Via: 1.0 proxy"}},
		{"via auth", "HTTP/1.1", []string{ae, "Via: 1.0 proxy", "Authorization: Basic dTpw"}},
		{"curl", "HTTP/1.1", []string{ae, "User-Agent: curl/8.5.0"}},
		{"msie6", "HTTP/1.1", []string{ae, "User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)"}},
		{"range", "HTTP/1.1", []string{ae, "Range: bytes=1-5"}},
	}
	for _, uri := range uris {
		for _, v := range variants {
			t.Run(strings.TrimPrefix(uri, "/")+"_"+v.name, func(t *testing.T) {
				oracle.Compare(t, request("GET", uri, v.proto, v.headers...), ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	// Accept-Encoding as nginx reads it, quirks included
	for _, v := range acceptEncodings {
		t.Run("accept-encoding "+v, func(t *testing.T) {
			oracle.Compare(t, request("GET", "/index.html", "HTTP/1.1", "Accept-Encoding: "+v), ngx.Addr(0), s.Addr("A"), cmp)
		})
	}
	// the weak ETag of a gzipped answer revalidates (nginx compares
	// If-None-Match weakly): 304, without Content-Encoding or Vary
	first, _ := oracle.Compare(t, request("GET", "/vary/index.html", "HTTP/1.1", ae), ngx.Addr(0), s.Addr("A"), cmp)
	if first.Resp == nil || !strings.HasPrefix(first.Resp.Get("ETag"), "W/") {
		t.Fatalf("no weak ETag from nginx: %v", first.Resp)
	}
	for _, v := range []struct{ name, etag string }{
		{"weak", first.Resp.Get("ETag")},
		{"strong", strings.TrimPrefix(first.Resp.Get("ETag"), "W/")},
	} {
		t.Run("if-none-match "+v.name, func(t *testing.T) {
			r, _ := oracle.Compare(t, request("GET", "/vary/index.html", "HTTP/1.1", ae, "If-None-Match: "+v.etag), ngx.Addr(0), s.Addr("A"), cmp)
			if r.Resp == nil || r.Resp.StatusCode != 304 {
				t.Errorf("nginx did not answer 304: %v", r.Resp)
			}
		})
	}
	head := cmp
	head.NoBody = true
	for _, uri := range []string{"/index.html", "/proxy/index.html", "/vary/index.html", "/small.html"} {
		t.Run("HEAD"+uri, func(t *testing.T) {
			oracle.Compare(t, request("HEAD", uri, "HTTP/1.1", ae), ngx.Addr(0), s.Addr("A"), head)
		})
	}
}

// acceptEncodings are Accept-Encoding values for the differential test
// (those of TestAcceptsGzip among them).
var acceptEncodings = []string{"gzip", "GZIP", "Gzip", "deflate,gzip", "deflate, gzip", "gzip , deflate", "x-gzip",
	"x-gzip, gzip", "gzipx", "gzipx, gzip", "xgzipgzip", "deflate, br", "gzip;q=1", "gzip; q=1.0", "gzip;q=1.000",
	"gzip;q=1.001", "gzip;q=1.5", "gzip;q=0", "gzip;q=0.", "gzip;q=0.0", "gzip;q=0.000", "gzip;q=0.001", "gzip;q=0.5",
	"gzip;q=0.9999", "gzip; Q=0.5", "gzip;q=0, deflate", "gzip;q=0.5,deflate", "gzip;q=2", "gzip;q=", "gzip;q",
	"gzip;", "gzip;x=1", "gzip;q=0.5x", "gzip; ", "gzi", "*", "identity", "br;q=1, gzip;q=0.8"}

// weakness keeps of an ETag only whether it is weak (the values may differ
// in the modification time of files written for each server).
func weakness(v string) string {
	if strings.HasPrefix(v, "W/") {
		return "W/<present>"
	}
	return "<present>"
}
