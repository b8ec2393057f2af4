package httpd_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

const basicConf = `
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        location /dir/ { }
        location = /exact { internal; }
    }
}
`

func TestCoreAnswers(t *testing.T) {
	s := servertest.Start(t, basicConf)
	if err := os.MkdirAll(s.Prefix()+"html/dir", 0755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    string
		status int
		closed bool
		inBody string
		inLog  string
	}{
		{name: "no file", req: "GET /x HTTP/1.0\r\n\r\n", status: 404, inLog: "html/x\" failed (2: No such file or directory)"},
		{name: "directory forbidden", req: "GET /dir/ HTTP/1.0\r\n\r\n", status: 403, inLog: "directory index of"},
		{name: "internal location", req: "GET /exact HTTP/1.0\r\n\r\n", status: 404},
		{name: "bad request line", req: "GET\r\n\r\n", status: 400, closed: true, inBody: "400 Bad Request"},
		{name: "http/1.1 without host", req: "GET / HTTP/1.1\r\n\r\n", status: 400, closed: true},
		{name: "version 2", req: "GET / HTTP/2.0\r\n\r\n", status: 505},
		{name: "unknown transfer-encoding", req: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501},
		{name: "cl and te", req: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", status: 400},
		{name: "duplicate host", req: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400},
		{name: "trace", req: "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", status: 405},
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
			if tc.inBody != "" && !strings.Contains(string(resp.Body), tc.inBody) {
				t.Errorf("body %q lacks %q", resp.Body, tc.inBody)
			}
			if tc.closed {
				if closed, _, _ := c.WaitClosed(2e9); !closed {
					t.Errorf("connection not closed")
				}
			}
			if tc.inLog != "" && !strings.Contains(s.ErrorLog(), tc.inLog) {
				t.Errorf("error log lacks %q:\n%s", tc.inLog, s.ErrorLog())
			}
		})
	}
}

// TestJoinedHeaderVariable: since nginx 1.23, $http_NAME joins several
// header lines with ", " (Debian's 1.22 oracle returns the first only, so
// this is not a differential case).
func TestJoinedHeaderVariable(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "[$http_x_a] [$http_x_b] [$http_user_agent] [$http_referer] [$http_via] [$content_type] [$http_cookie] $uri"; }
    }
}`)
	cases := []struct {
		name, head, want string
	}{
		{"unknown", "X-A: 1\r\nX-A: 2\r\nX-B: 3\r\n", "[1, 2] [3] [] [] [] [] [] /join"},
		{"user agent", "User-Agent: foo\r\nUser-Agent: bar\r\n", "[] [] [foo, bar] [] [] [] [] /join"},
		{"referer", "Referer: foo\r\nReferer: bar\r\n", "[] [] [] [foo, bar] [] [] [] /join"},
		{"via", "Via: a\r\nVia: b\r\nVia: c\r\n", "[] [] [] [] [a, b, c] [] [] /join"},
		{"content type", "Content-Type: a\r\nContent-Type: b\r\n", "[] [] [] [] [] [a, b] [] /join"},
		{"cookie", "Cookie: a\r\nCookie: b\r\n", "[] [] [] [] [] [] [a; b] /join"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := testutil.RoundTrip(t, s.Addr("A"), "GET /join HTTP/1.0\r\n"+c.head+"\r\n")
			if got := string(resp.Body); got != c.want {
				t.Errorf("body %q, want %q", got, c.want)
			}
		})
	}
}

// TestUniqueHeaders: a second line of a header that must be unique is a
// 400 (If-Match and If-None-Match joined that list in nginx 1.23).
func TestUniqueHeaders(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 204; }
    }
}`)
	for _, h := range []string{"Host", "If-Modified-Since", "If-Unmodified-Since", "If-Match",
		"If-None-Match", "Content-Length", "Content-Range", "If-Range", "Transfer-Encoding",
		"Expect", "Authorization"} {
		t.Run(h, func(t *testing.T) {
			v := "foo"
			if h == "Content-Length" {
				v = "0"
			}
			resp := testutil.RoundTrip(t, s.Addr("A"), "GET / HTTP/1.0\r\n"+h+": "+v+"\r\n"+h+": "+v+"\r\n\r\n")
			if resp.StatusCode != 400 {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

// TestVariableCycle: a variable that needs itself is cut after 100 levels
// with nginx's error line (naming "uri" and answering "[]", as Debian's
// nginx 1.22 does) instead of recursing until the stack runs out.
func TestVariableCycle(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    map $uri $a { default $b; }
    map $uri $b { default $a; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "[$a]"; }
    }
}`)
	resp := testutil.RoundTrip(t, s.Addr("A"), "GET / HTTP/1.0\r\n\r\n")
	if resp.StatusCode != 200 || string(resp.Body) != "[]" {
		t.Errorf("got %d %q", resp.StatusCode, resp.Body)
	}
	if log := s.ErrorLog(); !strings.Contains(log, `[error]`) || !strings.Contains(log, `cycle while evaluating variable "uri"`) {
		t.Errorf("no cycle line in the error log:\n%s", log)
	}
}

// TestOnRetire: functions registered with Config.OnRetire run once the
// configuration is replaced by a reload and its connections are gone.
func TestOnRetire(t *testing.T) {
	retired := make(chan int, 4)
	loads := 0
	mod := &httpd.Module{Name: "retire_test", Postconfiguration: func(cf *httpd.Config) error {
		loads++
		n := loads
		cf.OnRetire(func() { retired <- n })
		return nil
	}}
	conf := `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 204; }
    }
}`
	s := servertest.StartModules(t, conf, modules.AllWith(mod))
	c := testutil.Dial(t, s.Addr("A"))
	if err := c.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	s.Reload(conf)
	select {
	case n := <-retired:
		if n != 1 {
			t.Fatalf("configuration %d retired, want the first", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first configuration was not retired")
	}
	select {
	case n := <-retired:
		t.Fatalf("configuration %d retired too", n)
	default:
	}
	c.Close()
}
