package addition_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and, for the differential test, in Debian's nginx.
const conf = `
http {
    types { text/html html; text/plain txt; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /regular { return 200 "body"; }
        location /b.html { add_before_body /add_before; return 200 "body"; }
        location /a.html { add_after_body /add_after; return 200 "body"; }
        location /ba.html { add_before_body /add_before; add_after_body /add_after; return 200 "body"; }
        location /notype { add_before_body /add_before; add_after_body /add_after; return 200 "body"; }
        location /notype2 { addition_types text/plain; add_after_body /add_after; return 200 "body"; }
        location /any { addition_types *; add_after_body /add_after; return 200 "body"; }
        location /notype.html { types {} add_before_body /add_before; return 200 "body"; }
        location /add_before { return 200 "before"; }
        location /add_after { return 200 "after"; }
        location /self.html { add_after_body /self.html; return 200 "self"; }
        location /return202.html { add_after_body /add_after; return 202 "body"; }
        location /missing.html { add_after_body /add_after; }
        location /files/ { add_before_body /add_before; add_after_body /files/after.html; }
        location /cancel/ {
            add_before_body /add_before;
            location /cancel/inner.html { add_before_body ""; }
        }
        location /broken.html { add_before_body /nope; add_after_body /add_after; return 200 "body"; }
        location /refresh.html { msie_refresh on; add_before_body /nope; add_after_body /add_after; return 302 /x; }
        location /proxied.html { add_before_body /add_before; add_after_body /add_after; proxy_pass http://127.0.0.1:%%PORT_1%%/files/page.html; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { }
    }
}
`

func setup(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range map[string]string{
		"files/page.html":   "PAGE",
		"files/after.html":  "AFTER",
		"files/empty.html":  "",
		"cancel/inner.html": "INNER",
		"cancel/outer.html": "OUTER",
	} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0644); err != nil {
			t.Fatal(err)
		}
	}
	return strings.ReplaceAll(conf, "%%ROOT%%", root)
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

func TestAddition(t *testing.T) {
	s := servertest.Start(t, sluiceConf(setup(t)))
	tests := []struct {
		uri, body string
		status    int
		length    bool // a Content-Length is kept
	}{
		{"/regular", "body", 200, true},
		{"/b.html", "beforebody", 200, false},
		{"/a.html", "bodyafter", 200, false},
		{"/ba.html", "beforebodyafter", 200, false},
		{"/notype", "body", 200, true},
		{"/notype2", "bodyafter", 200, false},
		{"/any", "bodyafter", 200, false},
		{"/notype.html", "body", 200, true},
		{"/self.html", "selfself", 200, false},
		{"/return202.html", "body", 202, true},
		{"/files/page.html", "beforePAGEAFTER", 200, false},
		{"/files/empty.html", "beforeAFTER", 200, false},
		{"/cancel/outer.html", "beforeOUTER", 200, false},
		{"/cancel/inner.html", "INNER", 200, true},
		{"/proxied.html", "beforePAGEafter", 200, false},
	}
	for _, tc := range tests {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			t.Run(strings.TrimPrefix(tc.uri, "/")+"_"+proto[5:], func(t *testing.T) {
				r := testutil.RoundTrip(t, s.Addr("A"), "GET "+tc.uri+" "+proto+"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
				if r.StatusCode != tc.status || string(r.Body) != tc.body || !r.Complete {
					t.Fatalf("want %d %q, got:\n%s", tc.status, tc.body, r)
				}
				if r.Has("Content-Length") != tc.length {
					t.Errorf("Content-Length present %v, want %v:\n%s", r.Has("Content-Length"), tc.length, r)
				}
			})
		}
	}
	// a HEAD request runs no subrequest
	r := testutil.RoundTrip(t, s.Addr("A"), "HEAD /ba.html HTTP/1.0\r\n\r\n")
	if r.StatusCode != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD:\n%s", r)
	}
}

func TestOracleAddition(t *testing.T) {
	c := setup(t)
	ngx := oracle.Start(t, c)
	s := servertest.Start(t, sluiceConf(c))
	cmp := oracle.DefaultComparison()
	for _, uri := range []string{"/regular", "/b.html", "/a.html", "/ba.html", "/notype", "/notype2", "/any",
		"/notype.html", "/self.html", "/return202.html", "/missing.html", "/files/page.html", "/files/empty.html",
		"/cancel/outer.html", "/cancel/inner.html", "/broken.html", "/proxied.html"} {
		for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
			req := "GET " + uri + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			t.Run(strings.TrimPrefix(uri, "/")+"_"+proto[5:], func(t *testing.T) {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), cmp)
			})
		}
	}
	// msie_refresh answers 200 with the connection's own chain, which the
	// 404 page of the before-body subrequest reuses
	oracle.Compare(t, "GET /refresh.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)\r\nConnection: close\r\n\r\n",
		ngx.Addr(0), s.Addr("A"), cmp)
	head := cmp
	head.NoBody = true
	oracle.Compare(t, "HEAD /ba.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ngx.Addr(0), s.Addr("A"), head)
}
