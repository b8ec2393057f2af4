package httpd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
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
        location / { return 200 "[$http_x_a] [$http_x_b] $uri"; }
    }
}`)
	resp := testutil.RoundTrip(t, s.Addr("A"), "GET /join HTTP/1.0\r\nX-A: 1\r\nX-A: 2\r\nX-B: 3\r\n\r\n")
	if got := string(resp.Body); got != "[1, 2] [3] /join" {
		t.Errorf("body %q", got)
	}
}
