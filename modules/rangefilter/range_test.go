package rangefilter_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const rangeConf = `
events {}
http {
    types { text/plain txt; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /p/ {
            proxy_pass http://127.0.0.1:%%PORT_B%%/;
            proxy_force_ranges on;
            proxy_buffering off;
        }
        location /pb/ {
            proxy_pass http://127.0.0.1:%%PORT_B%%/;
            proxy_force_ranges on;
        }
        location /plain/ {
            proxy_pass http://127.0.0.1:%%PORT_B%%/;
        }
        location = /text { return 200 "0123456789"; }
    }
    server {
        listen 127.0.0.1:%%PORT_B%%;
        server_name backend;
        location / { return 200 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"; }
    }
}
`

func TestRanges(t *testing.T) {
	s := servertest.Start(t, rangeConf)
	p := filepath.Join(s.Prefix(), "html/data.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Repeat("0123456789", 10)), 0644); err != nil {
		t.Fatal(err)
	}
	boundary := regexp.MustCompile(`^multipart/byteranges; boundary=([0-9]{20})$`)
	tests := []struct {
		name, req     string
		status        int
		body          string
		contentRange  string
		acceptRanges  string
		multipartBody string // with B for the boundary
	}{
		{name: "single", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=10-14\r\n\r\n", status: 206, body: "01234", contentRange: "bytes 10-14/100"},
		{name: "single keepalive", req: "GET /data.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=-2\r\n\r\n", status: 206, body: "89", contentRange: "bytes 98-99/100"},
		{name: "no range", req: "GET /data.txt HTTP/1.0\r\n\r\n", status: 200, acceptRanges: "bytes"},
		{name: "unsatisfiable", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=500-\r\n\r\n", status: 416, contentRange: "bytes */100"},
		{name: "multipart", req: "GET /data.txt HTTP/1.0\r\nRange: bytes=0-1,98-\r\n\r\n", status: 206,
			multipartBody: "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/100\r\n\r\n01" +
				"\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 98-99/100\r\n\r\n89\r\n--B--\r\n"},
		{name: "not for return", req: "GET /text HTTP/1.0\r\nRange: bytes=0-1\r\n\r\n", status: 200, body: "0123456789"},
		{name: "http 0.9 gets everything", req: "GET /data.txt\r\n", status: 0},
		{name: "proxied unbuffered with force_ranges", req: "GET /p/x HTTP/1.0\r\nRange: bytes=95-97\r\n\r\n", status: 206, body: "567", contentRange: "bytes 95-97/100"},
		{name: "proxied buffered with force_ranges", req: "GET /pb/x HTTP/1.0\r\nRange: bytes=5-7\r\n\r\n", status: 206, body: "567", contentRange: "bytes 5-7/100"},
		{name: "proxied one range only", req: "GET /p/x HTTP/1.0\r\nRange: bytes=0-0,2-2\r\n\r\n", status: 200, acceptRanges: "bytes"},
		{name: "proxied without force_ranges", req: "GET /plain/x HTTP/1.0\r\nRange: bytes=95-97\r\n\r\n", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			if tc.status == 0 {
				b, err := c.ReadUntilClose()
				if err != nil || len(b) != 100 {
					t.Fatalf("HTTP/0.9 answer %q (%v)", b, err)
				}
				return
			}
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			if tc.body != "" && string(resp.Body) != tc.body {
				t.Errorf("body %q, want %q", resp.Body, tc.body)
			}
			if got := resp.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range %q, want %q", got, tc.contentRange)
			}
			if got := resp.Get("Accept-Ranges"); tc.acceptRanges != "" && got != tc.acceptRanges {
				t.Errorf("Accept-Ranges %q, want %q", got, tc.acceptRanges)
			}
			if tc.multipartBody != "" {
				m := boundary.FindStringSubmatch(resp.Get("Content-Type"))
				if m == nil {
					t.Fatalf("Content-Type %q", resp.Get("Content-Type"))
				}
				want := strings.ReplaceAll(tc.multipartBody, "B", m[1])
				if string(resp.Body) != want {
					t.Errorf("body\n%q\nwant\n%q", resp.Body, want)
				}
				if resp.Get("Content-Length") != "" && resp.Get("Content-Length") != itoa(len(want)) {
					t.Errorf("Content-Length %s, body %d", resp.Get("Content-Length"), len(want))
				}
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}
