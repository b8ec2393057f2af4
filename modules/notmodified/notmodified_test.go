package notmodified_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const nmConf = `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /ep/ { alias %%PREFIX%%/html/; error_page 412 /e412.html; }
        location = /e412.html { return 200 "precondition page\n"; }
        location /before/ { alias %%PREFIX%%/html/; if_modified_since before; }
        location /p/ { proxy_pass http://127.0.0.1:%%PORT_B%%/; }
    }
    server {
        listen 127.0.0.1:%%PORT_B%%;
        server_name backend;
        root %%PREFIX%%/html;
    }
}
`

const (
	lm   = "Thu, 04 Mar 2021 05:06:07 GMT"
	etag = `"60406abf-5"`
)

func TestNotModified(t *testing.T) {
	s := servertest.Start(t, nmConf)
	p := filepath.Join(s.Prefix(), "html/f.html")
	if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("hello"), 0644); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, req string
		status    int
		closed    bool
		headers   map[string]string // "" means absent
		body      string
	}{
		{name: "plain", req: "GET /f.html HTTP/1.1\r\nHost: a\r\n\r\n", status: 200,
			headers: map[string]string{"ETag": etag, "Last-Modified": lm}, body: "hello"},
		{name: "304 by date", req: "GET /f.html HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: " + lm + "\r\n\r\n", status: 304,
			headers: map[string]string{"ETag": etag, "Last-Modified": lm, "Content-Type": "", "Content-Length": "", "Accept-Ranges": "", "Connection": "keep-alive"}},
		{name: "304 by etag", req: "GET /f.html HTTP/1.1\r\nHost: a\r\nIf-None-Match: " + etag + "\r\n\r\n", status: 304},
		{name: "etag does not match, date does", req: "GET /f.html HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: " + lm + "\r\n\r\n", status: 200},
		{name: "before with a later date", req: "GET /before/f.html HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Fri, 05 Mar 2021 00:00:00 GMT\r\n\r\n", status: 304},
		{name: "412 closes", req: "GET /f.html HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", status: 412, closed: true,
			headers: map[string]string{"ETag": "", "Last-Modified": "", "Content-Type": "text/html"}},
		{name: "412 by date", req: "GET /f.html HTTP/1.1\r\nHost: a\r\nIf-Unmodified-Since: Wed, 03 Mar 2021 00:00:00 GMT\r\n\r\n", status: 412, closed: true},
		{name: "412 error page", req: "GET /ep/f.html HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", status: 412, closed: true, body: "precondition page\n"},
		{name: "proxied 304 is the backend's", req: "GET /p/f.html HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: " + lm + "\r\n\r\n", status: 304,
			headers: map[string]string{"ETag": etag}},
		{name: "not for errors", req: "GET /nope HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			resp, err := c.ReadResponse()
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
			// a close that is expected gets the time a loaded machine
			// may take; one that is not costs only the short wait
			wait := 300 * time.Millisecond
			if tc.closed {
				wait = testutil.DefaultTimeout
			}
			closed, _, _ := c.WaitClosed(wait)
			if closed != tc.closed {
				t.Errorf("connection closed: %v, want %v", closed, tc.closed)
			}
		})
	}
	if log := s.ErrorLog(); strings.Contains(log, "[alert]") || strings.Contains(log, "[crit]") {
		t.Errorf("error log:\n%s", log)
	}
}
