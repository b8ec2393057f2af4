package static_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const staticConf = `
events {}
http {
    types { text/html html; image/gif gif; text/css css; application/json json; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /noetag/ { etag off; }
        location /quiet/ { log_not_found off; }
        location /alias/ { alias %%PREFIX%%/html/sub/; }
        location /rel/ { absolute_redirect off; }
        location /named/ { server_name_in_redirect on; }
        location /noport/ { port_in_redirect off; }
    }
}
`

// files creates the tree served by staticConf under prefix.
func files(t *testing.T, prefix string) {
	t.Helper()
	for name, body := range map[string]string{
		"html/index.html":       "<p>index</p>\n",
		"html/a.html":           "hello html\n",
		"html/UPPER.GIF":        "GIF89a",
		"html/style.css":        "body{}",
		"html/data.bin":         "0123456789",
		"html/noext":            "plain",
		"html/empty.html":       "",
		"html/sub/x.json":       `{"x":1}`,
		"html/noetag/f.html":    "no etag",
		"html/dir/inner.html":   "inner",
		"html/space dir/a.html": "spaced",
		"html/rel/d/a.html":     "rel",
		"html/named/d/a.html":   "named",
		"html/noport/d/a.html":  "noport",
	} {
		p := filepath.Join(prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
	}
}

// large is a 3 MB body with every offset distinguishable.
var large = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "%08d\n", i)
	}
	return b.String()
}()

// TestLargeFile checks a file much larger than socket buffers arrives
// whole and intact.
func TestLargeFile(t *testing.T) {
	s := servertest.Start(t, staticConf)
	files(t, s.Prefix())
	if err := os.WriteFile(filepath.Join(s.Prefix(), "html/large.bin"), []byte(large), 0644); err != nil {
		t.Fatal(err)
	}
	resp := testutil.RoundTrip(t, s.Addr("A"), "GET /large.bin HTTP/1.0\r\n\r\n")
	if resp.StatusCode != 200 || string(resp.Body) != large {
		t.Fatalf("status %d, %d bytes (want %d), intact %v", resp.StatusCode, len(resp.Body), len(large), string(resp.Body) == large)
	}
}

func TestStatic(t *testing.T) {
	s := servertest.Start(t, staticConf)
	files(t, s.Prefix())
	html := filepath.Join(s.Prefix(), "html")
	if err := syscall.Mkfifo(filepath.Join(html, "fifo"), 0644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop", filepath.Join(html, "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.html", filepath.Join(html, "link.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(html, "large.bin"), []byte(large), 0644); err != nil {
		t.Fatal(err)
	}
	port := s.Port("A")
	tests := []struct {
		name    string
		req     string
		status  int
		headers map[string]string
		body    string
		inLog   string
	}{
		{name: "html file", req: "GET /a.html HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "text/html", "Content-Length": "11", "Accept-Ranges": "bytes"}, body: "hello html\n"},
		{name: "upper-case extension", req: "GET /UPPER.GIF HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "image/gif"}},
		{name: "default type", req: "GET /noext HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "application/octet-stream"}, body: "plain"},
		{name: "empty file", req: "GET /empty.html HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Length": "0"}},
		{name: "head", req: "HEAD /a.html HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Length": "11"}},
		{name: "post", req: "POST /a.html HTTP/1.0\r\nContent-Length: 2\r\n\r\nab", status: 405},
		{name: "put", req: "PUT /a.html HTTP/1.0\r\nContent-Length: 2\r\n\r\nab", status: 405},
		{name: "delete missing", req: "DELETE /nope HTTP/1.0\r\n\r\n", status: 405},
		{name: "post missing", req: "POST /nope HTTP/1.0\r\n\r\n", status: 404},
		{name: "missing", req: "GET /nope.html HTTP/1.0\r\n\r\n", status: 404,
			inLog: `open() "` + s.Prefix() + `html/nope.html" failed (2: No such file or directory)`},
		{name: "not a directory", req: "GET /a.html/x HTTP/1.0\r\n\r\n", status: 404,
			inLog: `html/a.html/x" failed (20: Not a directory)`},
		{name: "directory redirect", req: "GET /dir HTTP/1.0\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "http://127.0.0.1:" + port + "/dir/"}},
		{name: "directory redirect host", req: "GET /dir?a=b HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "http://example.com:" + port + "/dir/?a=b"}},
		{name: "directory redirect escaped", req: "GET /space%20dir HTTP/1.0\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "http://127.0.0.1:" + port + "/space%20dir/"}},
		{name: "relative redirect", req: "GET /rel/d HTTP/1.0\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "/rel/d/"}},
		{name: "server name in redirect", req: "GET /named/d HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "http://localhost:" + port + "/named/d/"}},
		{name: "no port in redirect", req: "GET /noport/d HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n", status: 301,
			headers: map[string]string{"Location": "http://other/noport/d/"}},
		{name: "alias", req: "GET /alias/x.json HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "application/json"}, body: `{"x":1}`},
		{name: "etag off", req: "GET /noetag/f.html HTTP/1.0\r\n\r\n", status: 200,
			headers: map[string]string{"ETag": ""}},
		{name: "log_not_found off", req: "GET /quiet/nope HTTP/1.0\r\n\r\n", status: 404},
		{name: "fifo is not a regular file", req: "GET /fifo HTTP/1.0\r\n\r\n", status: 404,
			inLog: `[crit]`},
		{name: "symlink loop", req: "GET /loop HTTP/1.0\r\n\r\n", status: 403,
			inLog: `html/loop" failed (40: Too many levels of symbolic links)`},
		{name: "symlink to a file", req: "GET /link.html HTTP/1.0\r\n\r\n", status: 200, body: "hello html\n"},
		{name: "large file range", req: "GET /large.bin HTTP/1.0\r\nRange: bytes=1000000-1000009\r\n\r\n", status: 206,
			body: large[1000000:1000010]},
		{name: "keepalive 1.1", req: "GET /style.css HTTP/1.1\r\nHost: a\r\n\r\n", status: 200,
			headers: map[string]string{"Content-Type": "text/css", "Connection": "keep-alive"}, body: "body{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			var resp *testutil.Response
			var err error
			if strings.HasPrefix(tc.req, "HEAD") {
				resp, err = c.ReadHeadResponse()
			} else {
				resp, err = c.ReadResponse()
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			for k, v := range tc.headers {
				if got := resp.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tc.body != "" && string(resp.Body) != tc.body {
				t.Errorf("body %q, want %q", resp.Body, tc.body)
			}
			if tc.inLog != "" && !strings.Contains(s.ErrorLog(), tc.inLog) {
				t.Errorf("error log lacks %q:\n%s", tc.inLog, s.ErrorLog())
			}
		})
	}
	// every file opened was closed: no descriptor still points into the tree
	testutil.CheckNoFDsUnder(t, html)
}

// TestSendTimeout: a client that stops reading a large response is
// dropped after send_timeout with nginx's line ("client timed out" at
// info). The connection's first, small response armed the write
// deadline; the large one's writes leave it in place when it is close
// enough (see package deadline), so the test also checks that such a
// kept deadline still bounds the stalled write, and not much earlier than
// the timeout.
func TestSendTimeout(t *testing.T) {
	conf := strings.Replace(staticConf, "server_name localhost;", "server_name localhost; send_timeout 300ms;", 1)
	conf = strings.Replace(conf, "events {}", "error_log %%PREFIX%%/error.log info;\nevents {}", 1)
	s := servertest.Start(t, conf)
	files(t, s.Prefix())
	// sparse: more than the socket buffers hold, at no cost on disk
	big := filepath.Join(s.Prefix(), "html/big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(big, 256<<20); err != nil {
		t.Fatal(err)
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if resp, err := c.ReadResponse(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	start := time.Now()
	if err := c.WriteString("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	const line = "client timed out (110: Connection timed out)"
	for !strings.Contains(s.ErrorLog(), line) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no %q after 10 s:\n%s", line, s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("timed out after %v, send_timeout is 300ms", d)
	}
	if closed, _, err := c.WaitClosed(10 * time.Second); !closed {
		t.Fatalf("the connection stayed open after the timeout (%v)", err)
	}
}
