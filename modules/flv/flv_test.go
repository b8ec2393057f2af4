package flv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice alike.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    types { video/x-flv flv; }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location / { flv; }
        location /quiet/ { alias %%PREFIX%%/html/; flv; log_not_found off; }
    }
}
`

// movie is the served file: 100 ten-byte records, as range_flv.t has.
func movie() string {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "X%03dXXXXXX", i)
	}
	return b.String()
}

// mtime is the files' modification time, so ETag and Last-Modified agree.
var mtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func writeTree(t *testing.T, prefix string) {
	t.Helper()
	html := filepath.Join(prefix, "html")
	if err := os.MkdirAll(filepath.Join(html, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"t.flv": movie(), "empty.flv": ""} {
		p := filepath.Join(html, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
}

func TestDifferentialFLV(t *testing.T) {
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	writeTree(t, n.Prefix())
	writeTree(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 200 * time.Millisecond
	delete(cmp.Normalize, "etag")
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	tests := []struct {
		name, req string
		head      bool
	}{
		{name: "whole", req: "GET /t.flv HTTP/1.0\r\n\r\n"},
		{name: "start", req: "GET /t.flv?start=100 HTTP/1.0\r\n\r\n"},
		{name: "start among args", req: "GET /t.flv?a=1&start=990&b=2 HTTP/1.0\r\n\r\n"},
		{name: "start zero", req: "GET /t.flv?start=0 HTTP/1.0\r\n\r\n"},
		{name: "start last byte", req: "GET /t.flv?start=999 HTTP/1.0\r\n\r\n"},
		{name: "start at size", req: "GET /t.flv?start=1000 HTTP/1.0\r\n\r\n"},
		{name: "start past size", req: "GET /t.flv?start=5000 HTTP/1.0\r\n\r\n"},
		{name: "start negative", req: "GET /t.flv?start=-5 HTTP/1.0\r\n\r\n"},
		{name: "start not a number", req: "GET /t.flv?start=1x HTTP/1.0\r\n\r\n"},
		{name: "start empty", req: "GET /t.flv?start= HTTP/1.0\r\n\r\n"},
		{name: "start huge", req: "GET /t.flv?start=99999999999999999999 HTTP/1.0\r\n\r\n"},
		{name: "other arg", req: "GET /t.flv?begin=100 HTTP/1.0\r\n\r\n"},
		{name: "head", req: "HEAD /t.flv?start=100 HTTP/1.0\r\n\r\n", head: true},
		{name: "range on cut", req: "GET /t.flv?start=100 HTTP/1.0\r\nRange: bytes=0-9\r\n\r\n"},
		{name: "range suffix on cut", req: "GET /t.flv?start=100 HTTP/1.0\r\nRange: bytes=-10\r\n\r\n"},
		{name: "range across header", req: "GET /t.flv?start=100 HTTP/1.0\r\nRange: bytes=5-30\r\n\r\n"},
		{name: "keepalive", req: "GET /t.flv?start=500 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{name: "empty file", req: "GET /empty.flv HTTP/1.0\r\n\r\n"},
		{name: "empty file start", req: "GET /empty.flv?start=1 HTTP/1.0\r\n\r\n"},
		{name: "post", req: "POST /t.flv HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
		{name: "missing", req: "GET /nope.flv HTTP/1.0\r\n\r\n"},
		{name: "missing quiet", req: "GET /quiet/nope.flv HTTP/1.0\r\n\r\n"},
		{name: "under a file", req: "GET /t.flv/x HTTP/1.0\r\n\r\n"},
		{name: "directory", req: "GET /dir HTTP/1.0\r\n\r\n"},
		{name: "directory slash", req: "GET /dir/ HTTP/1.0\r\n\r\n"},
		{name: "body discarded", req: "GET /t.flv?start=900 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	n.WaitErrorLog("t.flv/x", 5*time.Second)
	prefixed := func(log, prefix string) []string {
		return oracle.ErrorLines(strings.ReplaceAll(log, strings.TrimSuffix(prefix, "/")+"/", "PREFIX/"))
	}
	want, got := prefixed(n.ErrorLog(), n.Prefix()), prefixed(s.ErrorLog(), s.Prefix())
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("error log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

// TestNoLeaks: answers cut at start, whole, refused or abandoned by the
// client leave no descriptor open on the file and no goroutine.
func TestNoLeaks(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, diffConf)
	writeTree(t, s.Prefix())
	for _, req := range []string{
		"GET /t.flv?start=100 HTTP/1.0\r\n\r\n",
		"GET /t.flv HTTP/1.0\r\n\r\n",
		"HEAD /t.flv?start=100 HTTP/1.0\r\n\r\n",
		"GET /t.flv?start=100 HTTP/1.0\r\nRange: bytes=0-9\r\n\r\n",
	} {
		testutil.RoundTrip(t, s.Addr("0"), req)
	}
	c := testutil.Dial(t, s.Addr("0"))
	c.WriteString("GET /t.flv?start=1 HTTP/1.0\r\n\r\n")
	c.Close()
	testutil.CheckNoFDsUnder(t, filepath.Join(s.Prefix(), "html"))
}

// TestConfErrors checks flv's errors against Debian's "nginx -t".
func TestConfErrors(t *testing.T) {
	tests := []struct{ name, conf, want string }{
		{"argument", "events {}\nhttp {\n    server {\n        location / { flv on; }\n    }\n}\n",
			`invalid number of arguments in "flv" directive in FILE:4`},
		{"server level", "events {}\nhttp {\n    server {\n        flv;\n    }\n}\n",
			`"flv" directive is not allowed here in FILE:4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, tc.conf).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}
