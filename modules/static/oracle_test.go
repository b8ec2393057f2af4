package static_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// diffConf is served by Debian's nginx and by sluice alike, over the same
// tree (diffTree), so static files, index, autoindex, ranges and
// conditional requests can be compared answer by answer.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    types { text/html html htm; image/gif gif; text/css css; application/json json; text/plain txt; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /sub/ { index index.htm; }
        location /alias/ { alias %%PREFIX%%/html/sub/; }
        location /idx/ { index missing.html $arg_i.html /fallback.html; }
        location /auto/ { autoindex on; }
        location /auto-json/ { alias %%PREFIX%%/html/auto/; autoindex on; autoindex_format json; }
        location /auto-jsonp/ { alias %%PREFIX%%/html/auto/; autoindex on; autoindex_format jsonp; }
        location /auto-xml/ { alias %%PREFIX%%/html/auto/; autoindex on; autoindex_format xml; }
        location /auto-inexact/ { alias %%PREFIX%%/html/auto/; autoindex on; autoindex_exact_size off; }
        location /max1/ { alias %%PREFIX%%/html/; max_ranges 1; }
        location /max0/ { alias %%PREFIX%%/html/; max_ranges 0; }
        location /before/ { alias %%PREFIX%%/html/; if_modified_since before; }
        location /imsoff/ { alias %%PREFIX%%/html/; if_modified_since off; }
        location /noetag/ { alias %%PREFIX%%/html/; etag off; }
        location /quiet/ { alias %%PREFIX%%/html/; log_not_found off; }
    }
}
`

// diffMtime is the modification time of every file and directory of the
// tree, so ETag and Last-Modified agree between the two servers.
var diffMtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// diffETag is the ETag of html/data.txt (100 bytes).
var diffETag = `"` + strconv.FormatInt(diffMtime.Unix(), 16) + `-64"`

// diffTree creates the served tree under prefix: files with contents,
// and sparse files by size (for the listing's rounded sizes).
func diffTree(t *testing.T, prefix string) {
	t.Helper()
	data := strings.Repeat("0123456789", 10)
	files := map[string]string{
		"html/index.html":        "<p>index</p>\n",
		"html/a.html":            "hello html\n",
		"html/UPPER.GIF":         "GIF89a",
		"html/style.css":         "body{}",
		"html/data.txt":          data,
		"html/noext":             "plain",
		"html/empty.html":        "",
		"html/fallback.html":     "fallback\n",
		"html/sub/x.json":        `{"x":1}`,
		"html/sub/index.htm":     "sub index\n",
		"html/dir/inner.html":    "inner",
		"html/idx/found.html":    "found\n",
		"html/auto/b.txt":        "bbb",
		"html/auto/a.txt":        "a",
		"html/auto/.hidden":      "hidden",
		"html/auto/zdir/f":       "f",
		"html/auto/adir/f":       "f",
		"html/auto/amp&<>\".txt": "esc",
		"html/auto/" + strings.Repeat("long-name-", 6) + ".txt": "long",
		"html/auto/" + strings.Repeat("x", 50):                  "exactly fifty",
		"html/auto/" + strings.Repeat("y", 49) + "<":            "escaped forty-nine",
		"html/auto/" + strings.Repeat("é", 30) + ".txt":         "utf8",
		"html/auto/sp ace+plus%.txt":                            "space",
		"html/auto/ten-k.bin":                                   strings.Repeat("k", 10240),
		"html/auto/9999.bin":                                    strings.Repeat("n", 9999),
		"html/auto/" + strings.Repeat("d", 55) + "/f":           "long dir",
	}
	sparse := map[string]int64{
		"html/auto/one-and-half-m.bin": 1536 * 1024,
		"html/auto/three-g.bin":        3 << 30,
	}
	var dirs []string
	for name, body := range files {
		p := filepath.Join(prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	for name, size := range sparse {
		p := filepath.Join(prefix, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := os.Symlink("nowhere", filepath.Join(prefix, "html/auto/dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("adir", filepath.Join(prefix, "html/auto/linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := setTimes(filepath.Join(prefix, "html")); err != nil {
		t.Fatal(err)
	}
}

// setTimes gives everything under root, links included, the time
// diffMtime, so that the trees made for nginx and for sluice, maybe in
// two different seconds, answer with the same Last-Modified and ETag.
func setTimes(root string) error {
	return filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return lchtimes(p, diffMtime)
		}
		return os.Chtimes(p, diffMtime, diffMtime)
	})
}

// lchtimes sets a symbolic link's own times (utimensat with
// AT_SYMLINK_NOFOLLOW), which os.Chtimes cannot.
func lchtimes(path string, t time.Time) error {
	const atFDCWD, atSymlinkNofollow = -100, 0x100
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	ts := [2]syscall.Timespec{syscall.NsecToTimespec(t.UnixNano()), syscall.NsecToTimespec(t.UnixNano())}
	fd := atFDCWD
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(fd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&ts[0])), atSymlinkNofollow, 0, 0)
	if errno != 0 {
		return &os.PathError{Op: "utimensat", Path: path, Err: errno}
	}
	return nil
}

// diffRequests are the raw requests compared; head marks HEAD requests.
var diffRequests = []struct {
	name, req string
	head      bool
}{
	{name: "file", req: "GET /a.html HTTP/1.0\r\n\r\n"},
	{name: "head", req: "HEAD /a.html HTTP/1.0\r\n\r\n", head: true},
	{name: "upper-case extension", req: "GET /UPPER.GIF HTTP/1.0\r\n\r\n"},
	{name: "default type", req: "GET /noext HTTP/1.0\r\n\r\n"},
	{name: "empty file", req: "GET /empty.html HTTP/1.0\r\n\r\n"},
	{name: "keepalive", req: "GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{name: "args", req: "GET /a.html?x=y HTTP/1.0\r\n\r\n"},
	{name: "encoded", req: "GET /%61.html HTTP/1.0\r\n\r\n"},
	{name: "missing", req: "GET /nope.html HTTP/1.0\r\n\r\n"},
	{name: "missing quiet", req: "GET /quiet/nope.html HTTP/1.0\r\n\r\n"},
	{name: "file as directory", req: "GET /a.html/x HTTP/1.0\r\n\r\n"},
	{name: "directory redirect", req: "GET /dir HTTP/1.0\r\n\r\n"},
	{name: "directory redirect args", req: "GET /dir?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"},
	{name: "directory forbidden", req: "GET /dir/ HTTP/1.0\r\n\r\n"},
	{name: "post file", req: "POST /a.html HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "post missing", req: "POST /nope HTTP/1.0\r\n\r\n"},
	{name: "put", req: "PUT /a.html HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "delete directory", req: "DELETE /dir/ HTTP/1.0\r\n\r\n"},
	{name: "alias", req: "GET /alias/x.json HTTP/1.0\r\n\r\n"},
	{name: "etag off", req: "GET /noetag/a.html HTTP/1.0\r\n\r\n"},

	{name: "index", req: "GET / HTTP/1.0\r\n\r\n"},
	{name: "index head", req: "HEAD / HTTP/1.0\r\n\r\n", head: true},
	{name: "index other name", req: "GET /sub/ HTTP/1.0\r\n\r\n"},
	{name: "index alias", req: "GET /alias/ HTTP/1.0\r\n\r\n"},
	{name: "index variable", req: "GET /idx/?i=found HTTP/1.0\r\n\r\n"},
	{name: "index absolute", req: "GET /idx/ HTTP/1.0\r\n\r\n"},
	{name: "index missing directory", req: "GET /nodir/ HTTP/1.0\r\n\r\n"},
	{name: "index under a file", req: "GET /a.html/ HTTP/1.0\r\n\r\n"},
	{name: "index post", req: "POST / HTTP/1.0\r\n\r\n"},

	{name: "autoindex html", req: "GET /auto/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex head", req: "HEAD /auto/ HTTP/1.0\r\n\r\n", head: true},
	{name: "autoindex chunked", req: "GET /auto/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"},
	{name: "autoindex subdirectory", req: "GET /auto/adir/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex linked directory", req: "GET /auto/linkdir/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex missing", req: "GET /auto/nodir/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex post", req: "POST /auto/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex json", req: "GET /auto-json/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex json empty", req: "GET /auto-json/adir/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex jsonp", req: "GET /auto-jsonp/?callback=my.cb_1 HTTP/1.0\r\n\r\n"},
	{name: "autoindex jsonp without callback", req: "GET /auto-jsonp/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex jsonp bad callback", req: "GET /auto-jsonp/?callback=a-b HTTP/1.0\r\n\r\n"},
	{name: "autoindex jsonp long callback", req: "GET /auto-jsonp/?callback=" + strings.Repeat("c", 129) + " HTTP/1.0\r\n\r\n"},
	{name: "autoindex xml", req: "GET /auto-xml/ HTTP/1.0\r\n\r\n"},
	{name: "autoindex inexact sizes", req: "GET /auto-inexact/ HTTP/1.0\r\n\r\n"},

	{name: "range first bytes", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n"},
	{name: "range suffix", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=-3\r\n\r\n"},
	{name: "range open end", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=95-\r\n\r\n"},
	{name: "range past end clipped", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=90-1000\r\n\r\n"},
	{name: "range spaces and case", req: "GET /data.txt HTTP/1.0\r\nRange: BYTES= 1 - 2 \r\n\r\n"},
	{name: "range not satisfiable", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=100-\r\n\r\n"},
	{name: "range invalid", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=abc\r\n\r\n"},
	{name: "range reversed", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=5-2\r\n\r\n"},
	{name: "range zero suffix", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=-0\r\n\r\n"},
	{name: "range huge number", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=99999999999999999999-\r\n\r\n"},
	{name: "range multipart", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-0,2-2,-1\r\n\r\n"},
	{name: "range multipart overlapping", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-1,1-2\r\n\r\n"},
	{name: "range multipart too large", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-99,0-99\r\n\r\n"},
	{name: "range multipart with unsatisfiable", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-1,200-300\r\n\r\n"},
	{name: "range multipart keepalive", req: "GET /data.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2,5-6\r\n\r\n"},
	{name: "range empty spec", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=\r\n\r\n"},
	{name: "range other unit", req: "GET /data.txt HTTP/1.0\r\nRange: items=0-1\r\n\r\n"},
	{name: "range head", req: "HEAD /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n", head: true},
	{name: "range empty file", req: "GET /empty.html HTTP/1.0\r\nRange: bytes=0-0\r\n\r\n"},
	{name: "range empty file suffix", req: "GET /empty.html HTTP/1.0\r\nRange: bytes=-1\r\n\r\n"},
	{name: "range if-range etag", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Range: " + diffETag + "\r\n\r\n"},
	{name: "range if-range other etag", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Range: \"x\"\r\n\r\n"},
	{name: "range if-range date", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Range: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "range if-range old date", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Range: Thu, 04 Mar 2021 05:06:06 GMT\r\n\r\n"},
	{name: "range if-range without etag", req: "GET /noetag/data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Range: " + diffETag + "\r\n\r\n"},
	{name: "range max_ranges 1 single", req: "GET /max1/data.txt HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n"},
	{name: "range max_ranges 1 multi", req: "GET /max1/data.txt HTTP/1.0\r\nRange: bytes=0-0,2-2\r\n\r\n"},
	{name: "range max_ranges 0", req: "GET /max0/data.txt HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n"},
	{name: "range on a redirect", req: "GET /dir HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n"},

	{name: "ims exact", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims rfc850", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: Thursday, 04-Mar-21 05:06:07 GMT\r\n\r\n"},
	{name: "ims asctime", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: Thu Mar  4 05:06:07 2021\r\n\r\n"},
	{name: "ims later", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: Fri, 05 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims earlier", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: Wed, 03 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims invalid", req: "GET /data.txt HTTP/1.0\r\nIf-Modified-Since: yesterday\r\n\r\n"},
	{name: "ims before later", req: "GET /before/data.txt HTTP/1.0\r\nIf-Modified-Since: Fri, 05 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims before earlier", req: "GET /before/data.txt HTTP/1.0\r\nIf-Modified-Since: Wed, 03 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims off", req: "GET /imsoff/data.txt HTTP/1.0\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims keepalive", req: "GET /data.txt HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims head", req: "HEAD /data.txt HTTP/1.0\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n", head: true},
	{name: "inm etag", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: " + diffETag + "\r\n\r\n"},
	{name: "inm weak", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: W/" + diffETag + "\r\n\r\n"},
	{name: "inm list", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: \"a\", " + diffETag + " , \"b\"\r\n\r\n"},
	{name: "inm star", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: *\r\n\r\n"},
	{name: "inm other", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: \"other\"\r\n\r\n"},
	{name: "inm without etag", req: "GET /noetag/data.txt HTTP/1.0\r\nIf-None-Match: " + diffETag + "\r\n\r\n"},
	{name: "inm and ims later", req: "GET /data.txt HTTP/1.0\r\nIf-None-Match: " + diffETag + "\r\nIf-Modified-Since: Fri, 05 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "if-match other", req: "GET /data.txt HTTP/1.0\r\nIf-Match: \"other\"\r\n\r\n"},
	{name: "if-match etag", req: "GET /data.txt HTTP/1.0\r\nIf-Match: " + diffETag + "\r\n\r\n"},
	{name: "if-match weak", req: "GET /data.txt HTTP/1.0\r\nIf-Match: W/" + diffETag + "\r\n\r\n"},
	{name: "if-match star", req: "GET /data.txt HTTP/1.0\r\nIf-Match: *\r\n\r\n"},
	{name: "ius earlier", req: "GET /data.txt HTTP/1.0\r\nIf-Unmodified-Since: Wed, 03 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ius exact", req: "GET /data.txt HTTP/1.0\r\nIf-Unmodified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ius invalid", req: "GET /data.txt HTTP/1.0\r\nIf-Unmodified-Since: garbage\r\n\r\n"},
	{name: "ius keepalive", req: "GET /data.txt HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: Wed, 03 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "inm with range", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-None-Match: " + diffETag + "\r\n\r\n"},
	{name: "ius with range", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-4\r\nIf-Unmodified-Since: Wed, 03 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims on a directory index", req: "GET / HTTP/1.0\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
	{name: "ims on autoindex", req: "GET /auto/ HTTP/1.0\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT\r\n\r\n"},
}

// boundary matches a multipart boundary: the two servers number theirs
// independently.
var boundary = regexp.MustCompile(`[0-9]{20}`)

func TestDifferentialStatic(t *testing.T) {
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	diffTree(t, n.Prefix())
	diffTree(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	delete(cmp.Normalize, "etag")
	cmp.Normalize["content-type"] = func(v string) string { return boundary.ReplaceAllString(v, "BOUNDARY") }
	cmp.NormalizeBody = func(b []byte) []byte {
		return boundary.ReplaceAll(oracle.NormalizeServerTokens(b), []byte("BOUNDARY"))
	}
	for _, tc := range diffRequests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	// nginx may write its last line after answering: wait for it
	n.WaitErrorLog("callback name", 5*time.Second)
	want := requestLogLines(n.ErrorLog(), n.Prefix()+"/")
	got := requestLogLines(s.ErrorLog(), s.Prefix())
	if len(want) < 10 {
		t.Errorf("nginx logged only %d request lines:\n%s", len(want), n.ErrorLog())
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("error log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

// logLine matches an error log line about a request: level and message
// without time, process and connection number.
var logLine = regexp.MustCompile(`^\S+ \S+ \[(\w+)\] \d+#\d+: \*\d+ (.*, request: .*)$`)

// requestLogLines returns the log's lines about requests, normalized
// (the prefix directory replaced by "PREFIX/"), sorted.
func requestLogLines(log, prefix string) []string {
	var lines []string
	for _, l := range strings.Split(log, "\n") {
		m := logLine.FindStringSubmatch(l)
		if m == nil || m[1] == "debug" {
			continue
		}
		lines = append(lines, "["+m[1]+"] "+strings.ReplaceAll(m[2], prefix, "PREFIX/"))
	}
	sort.Strings(lines)
	return lines
}
