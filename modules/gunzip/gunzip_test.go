package gunzip_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and in Debian's nginx; BACKEND is a Go backend both
// proxy to, sending gzip bodies as the path says (see answers).
const conf = `
http {
    types { text/html html; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /p/ { gunzip on; proxy_pass http://BACKEND/; }
        location /vary/ { gunzip on; gzip_vary on; proxy_pass http://BACKEND/; }
        location /unbuf/ { gunzip on; proxy_buffering off; proxy_pass http://BACKEND/; }
        location /small/ { gunzip on; gunzip_buffers 2 1k; proxy_pass http://BACKEND/; }
        location /off/ { gzip_vary on; proxy_pass http://BACKEND/; }
        location /gzip/ { gunzip on; gzip on; gzip_vary on; proxy_pass http://BACKEND/; }
        location /v10/ { gunzip on; gzip_http_version 1.0; proxy_pass http://BACKEND/; }
        location /proxied/ { gunzip on; gzip_proxied any; proxy_pass http://BACKEND/; }
        location /sub/ { gunzip on; sub_filter 'line' 'LINE'; sub_filter_once off; proxy_pass http://BACKEND/; }
        location /ssi/ { gunzip on; ssi on; proxy_pass http://BACKEND/; }
        location /static-ssi/ { alias %%ROOT%%/; ssi on; }
    }
}
`

// text is what the backend compresses: lines of varied words, 64 KiB and
// more so that several output buffers fill.
func text(n int) []byte {
	rnd := rand.New(rand.NewSource(int64(n)))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "<p>line %d %s</p>\n", b.Len(), strings.Repeat(string(rune('a'+rnd.Intn(26))), rnd.Intn(60)))
	}
	return b.Bytes()[:n]
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// flushed is b compressed with a sync flush every n bytes, as a
// streaming backend sends it.
func flushed(b []byte, n int) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	for len(b) > 0 {
		k := min(n, len(b))
		zw.Write(b[:k])
		zw.Flush()
		b = b[k:]
	}
	zw.Close()
	return out.Bytes()
}

// answer is what the backend sends for one path: head lines, the body,
// and how it is cut into writes (chunked: each piece a chunk).
type answer struct {
	head    string
	body    []byte
	pieces  int
	chunked bool
}

var (
	small = text(3000)
	big   = text(300 << 10)
)

func answers() map[string]answer {
	broken := gz(big)
	broken[len(broken)/2] ^= 0xff
	broken[len(broken)/2+1] ^= 0x55
	badCRC := gz(small)
	badCRC[len(badCRC)-6] ^= 1
	badLen := gz(small)
	badLen[len(badLen)-2] ^= 1
	ce := "Content-Type: text/html\r\nContent-Encoding: gzip\r\n"
	return map[string]answer{
		"/gz":            {head: ce, body: gz(small)},
		"/etag":          {head: ce + "ETag: \"abc\"\r\nLast-Modified: Fri, 01 Mar 2024 12:00:00 GMT\r\nAccept-Ranges: bytes\r\n", body: gz(small)},
		"/weak":          {head: ce + "ETag: W/\"abc\"\r\n", body: gz(small)},
		"/unquoted":      {head: ce + "ETag: abc\r\n", body: gz(small)},
		"/big":           {head: ce, body: gz(big)},
		"/pieces":        {head: ce, body: gz(big), pieces: 40},
		"/chunked":       {head: ce, body: flushed(big, 10000), pieces: 25, chunked: true},
		"/chunked-small": {head: ce, body: flushed(small, 100), pieces: 7, chunked: true},
		"/two":           {head: ce, body: append(gz(small), gz([]byte("and a second member\n"))...)},
		"/two-pieces":    {head: ce, body: append(gz(small), gz(big)...), pieces: 9},
		"/empty":         {head: ce},
		"/empty-chunked": {head: ce, chunked: true},
		"/empty-member":  {head: ce, body: gz(nil)},
		"/upper":         {head: "Content-Type: text/html\r\nContent-Encoding: GZIP\r\n", body: gz(small)},
		"/xgzip":         {head: "Content-Type: text/html\r\nContent-Encoding: x-gzip\r\n", body: gz(small)},
		"/list":          {head: "Content-Type: text/html\r\nContent-Encoding: gzip, identity\r\n", body: gz(small)},
		"/plain":         {head: "Content-Type: text/html\r\n", body: small},
		"/ssi-page":      {head: ce, body: gz([]byte(`<p>page</p><!--#include virtual="/p/gz" --><p>end</p>`))},
		"/head-404":      {head: ce, body: gz(small)},
		// broken streams
		"/broken":          {head: ce, body: broken},
		"/broken-pieces":   {head: ce, body: broken, pieces: 30},
		"/broken-chunked":  {head: ce, body: broken, pieces: 30, chunked: true},
		"/trailing":        {head: ce, body: append(gz(small), "garbage after the stream"...)},
		"/trailing-piece":  {head: ce, body: append(gz(small), "garbage after the stream"...), pieces: 2},
		"/trailing-zero":   {head: ce, body: append(gz(small), 0)},
		"/trailing-magic":  {head: ce, body: append(gz(small), 0x1f, 0x8b, 8, 0)},
		"/trailing-method": {head: ce, body: append(gz(small), 0x1f, 0x8b, 9)},
		"/truncated":       {head: ce, body: gz(big)[:20000]},
		"/truncated-head":  {head: ce, body: gz(small)[:5]},
		"/notgzip":         {head: ce, body: small},
		"/bad-crc":         {head: ce, body: badCRC},
		"/bad-length":      {head: ce, body: badLen},
		"/reserved-flags":  {head: ce, body: append([]byte{0x1f, 0x8b, 8, 0xe0}, gz(small)[4:]...)},
	}
}

// startBackend serves answers, one request per connection.
func startBackend(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	as := answers()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c, as)
		}
	}()
	return ln.Addr().String()
}

func serve(c net.Conn, as map[string]answer) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	head := false
	if strings.HasPrefix(line, "HEAD ") {
		head = true
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if l == "\r\n" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	a, ok := as[f[1]]
	if !ok {
		io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	h := "HTTP/1.1 200 OK\r\nConnection: close\r\n" + a.head
	if a.chunked {
		h += "Transfer-Encoding: chunked\r\n"
	} else {
		h += fmt.Sprintf("Content-Length: %d\r\n", len(a.body))
	}
	if _, err := io.WriteString(c, h+"\r\n"); err != nil || head {
		return
	}
	// the body comes after the head, never with it: what the servers do
	// at the first read does not depend on timing (nginx flushes the
	// head of an unbuffered response that came without body bytes)
	time.Sleep(5 * time.Millisecond)
	n := max(a.pieces, 1)
	size := (len(a.body) + n - 1) / n
	for b := a.body; len(b) > 0; {
		k := min(size, len(b))
		p := b[:k]
		if a.chunked {
			p = fmt.Appendf(nil, "%x\r\n%s\r\n", k, p)
		}
		if _, err := c.Write(p); err != nil {
			return
		}
		b = b[k:]
		if n > 1 {
			time.Sleep(3 * time.Millisecond)
		}
	}
	if a.chunked {
		io.WriteString(c, "0\r\n\r\n")
	}
}

func setup(t *testing.T) (cf string) {
	t.Helper()
	root := t.TempDir()
	page := `<p>static</p><!--#include virtual="/p/gz" --><!--#include virtual="/p/big" --><p>end</p>`
	if err := os.WriteFile(filepath.Join(root, "page.html"), []byte(page), 0644); err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("%%ROOT%%", root, "BACKEND", startBackend(t)).Replace(conf)
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%").Replace(c)
}

func request(method, uri string, extra ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

const ae = "Accept-Encoding: gzip, deflate"

// decompressed is a gzip body decompressed and marked as such (sluice's
// gzip filter makes other bytes than zlib), other bodies as they are.
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
		return append([]byte("bad gzip stream: "), out...)
	}
	return append([]byte("gzip:"), out...)
}

func comparison() oracle.Comparison {
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	delete(cmp.Normalize, "etag")
	norm := cmp.NormalizeBody
	cmp.NormalizeBody = func(b []byte) []byte { return norm(decompressed(b)) }
	return cmp
}

// TestOracleGunzip compares sluice with nginx for well-formed gzip
// bodies: the head (Content-Encoding, Content-Length, Vary, ETag and the
// rest) and the body.
func TestOracleGunzip(t *testing.T) {
	testutil.CheckLeaks(t)
	c := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := comparison()
	paths := []string{"/gz", "/etag", "/weak", "/unquoted", "/big", "/pieces", "/chunked", "/chunked-small", "/two",
		"/two-pieces", "/empty-member", "/upper", "/xgzip", "/list", "/plain"}
	prefixes := []string{"/p", "/vary", "/unbuf", "/small", "/off", "/gzip", "/v10", "/proxied", "/sub"}
	variants := []struct {
		name    string
		headers []string
	}{
		{"none", nil},
		{"gzip", []string{ae}},
		{"q0", []string{"Accept-Encoding: gzip;q=0"}},
		{"identity", []string{"Accept-Encoding: identity"}},
		{"via", []string{ae, "Via: 1.1 proxy"}},
		{"range", []string{"Range: bytes=0-9"}},
	}
	for _, pre := range prefixes {
		for _, p := range paths {
			for _, v := range variants {
				if (pre != "/p" && pre != "/gzip" && pre != "/proxied") && (v.name == "via" || v.name == "identity" || v.name == "range") {
					continue
				}
				t.Run(pre+p+"_"+v.name, func(t *testing.T) {
					oracle.Compare(t, request("GET", pre+p, v.headers...), ngx.Addr(0), s.Addr("A"), cmp)
				})
			}
		}
	}
	for _, uri := range []string{"/ssi/ssi-page", "/static-ssi/page.html"} {
		for _, v := range variants[:2] {
			t.Run(uri+"_"+v.name, func(t *testing.T) {
				oracle.Compare(t, request("GET", uri, v.headers...), ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	head := cmp
	head.NoBody = true
	for _, uri := range []string{"/p/gz", "/p/empty", "/vary/gz", "/gzip/gz", "/p/broken"} {
		for _, v := range variants[:2] {
			t.Run("HEAD"+uri+"_"+v.name, func(t *testing.T) {
				oracle.Compare(t, request("HEAD", uri, v.headers...), ngx.Addr(0), s.Addr("A"), head)
			})
		}
	}
}

// inflateLine finds the gunzip line of a request in an error log: the
// message and what the server was doing ("inflate() failed: 0, -3 while
// reading upstream").
var inflateLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: \*\d+ (inflate\(\)[^,]*(?:, -?\d+)?(?: while [a-z ]+)?), client: [^\n]*request: "GET ([^ ]+) `)

func inflateLines(log string) map[string]string {
	m := map[string]string{}
	for _, l := range inflateLine.FindAllStringSubmatch(log, -1) {
		m[l[3]] = "[" + l[1] + "] " + l[2]
	}
	return m
}

// TestOracleGunzipErrors: bodies that are not (only) gzip, or end too
// soon. Both servers cut the response (no complete body) and log the
// same line; the bytes sent before the cut may differ (compress/flate
// hands out its output at other points than zlib).
func TestOracleGunzipErrors(t *testing.T) {
	c := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := comparison()
	uris := []string{"/p/broken", "/p/broken-pieces", "/p/broken-chunked", "/unbuf/broken-pieces", "/unbuf/broken-chunked",
		"/p/trailing", "/p/trailing-piece", "/unbuf/trailing-piece", "/p/trailing-zero", "/p/trailing-magic",
		"/p/trailing-method", "/p/truncated", "/unbuf/truncated", "/p/truncated-head", "/p/notgzip",
		"/unbuf/notgzip", "/p/bad-crc", "/p/bad-length", "/p/reserved-flags", "/p/empty", "/p/empty-chunked",
		"/unbuf/empty", "/small/broken"}
	for _, uri := range uris {
		t.Run(uri, func(t *testing.T) {
			req := request("GET", uri)
			a := oracle.Exchange(ngx.Addr(0), []byte(req), cmp)
			b := oracle.Exchange(s.Addr("A"), []byte(req), cmp)
			for _, r := range []struct {
				name string
				res  oracle.Result
			}{{"nginx", a}, {"sluice", b}} {
				if r.res.Resp != nil && r.res.Resp.Complete {
					t.Errorf("%s: a complete answer:\n%s", r.name, r.res.Resp)
				}
			}
			if (a.Resp == nil) != (b.Resp == nil) {
				t.Errorf("nginx sent a head: %v, sluice: %v", a.Resp != nil, b.Resp != nil)
			}
			if a.Resp != nil && b.Resp != nil {
				if a.Resp.StatusLine != b.Resp.StatusLine || a.Resp.Get("Content-Encoding") != b.Resp.Get("Content-Encoding") ||
					a.Resp.Get("Transfer-Encoding") != b.Resp.Get("Transfer-Encoding") || a.Resp.Has("Content-Length") != b.Resp.Has("Content-Length") {
					t.Errorf("heads differ:\nnginx:\n%s\nsluice:\n%s", a.Resp.Head, b.Resp.Head)
				}
			}
			var want, got string
			for i := 0; i < 50; i++ {
				want, got = inflateLines(ngx.ErrorLog())[uri], inflateLines(s.ErrorLog())[uri]
				if want != "" && got != "" {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if want == "" || want != got {
				t.Errorf("log lines differ:\nnginx:  %q\nsluice: %q", want, got)
			}
		})
	}
}
