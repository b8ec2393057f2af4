package cgiup

import (
	"testing"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// TestProcessHeader: an HTTP status line when the server starts with one,
// else a CGI header block; the status and the body length as nginx's scgi
// and uwsgi modules set them.
func TestProcessHeader(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		res    upstream.HeaderResult
		status int
		line   string
		length int64
		body   string
	}{
		{name: "status line", in: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", res: upstream.HeaderDone, status: 201, line: "201 Created", length: 2, body: "ok"},
		{name: "status line wins over Status", in: "HTTP/1.0 200 OK\r\nStatus: 404 Not Found\r\n\r\n", res: upstream.HeaderDone, status: 200, line: "200 OK", length: -1},
		{name: "cgi Status", in: "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nbody", res: upstream.HeaderDone, status: 404, line: "404 Not Found", length: -1, body: "body"},
		{name: "cgi Location", in: "Location: http://x/\n\n", res: upstream.HeaderDone, status: 302, line: "302 Moved Temporarily", length: -1},
		{name: "cgi default", in: "Content-Type: text/html\n\nSEE", res: upstream.HeaderDone, status: 200, line: "200 OK", length: -1, body: "SEE"},
		{name: "cgi empty head", in: "\r\nbody", res: upstream.HeaderDone, status: 200, line: "200 OK", length: -1, body: "body"},
		{name: "no content", in: "Status: 204\r\nContent-Length: 5\r\n\r\n", res: upstream.HeaderDone, status: 204, line: "", length: 0},
		{name: "not modified", in: "HTTP/1.1 304 Not Modified\r\n\r\n", res: upstream.HeaderDone, status: 304, line: "304 Not Modified", length: 0},
		{name: "invalid status", in: "Status: abc\r\n\r\n", res: upstream.Invalid},
		{name: "short status", in: "Status: 20\r\n\r\n", res: upstream.Invalid},
		{name: "invalid header", in: "Content-Type text\r\n\r\n", res: upstream.Invalid},
		{name: "looks like a status line", in: "HTTP/1.1 2xx\r\nX: y\r\n\r\n", res: upstream.HeaderDone, status: 200, line: "200 OK", length: -1},
		{name: "incomplete status line", in: "HTTP/1.1 200", res: upstream.NeedMore},
		{name: "incomplete block", in: "Status: 200 OK\r\nX: y\r\n", res: upstream.NeedMore},
		{name: "duplicate Content-Length", in: "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", res: upstream.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, split := range []bool{false, true} {
				var x Exchange
				u := upstream.Bare(4096)
				res := upstream.NeedMore
				if split {
					// byte by byte: the status line's fallback must
					// rewind to the line's start
					for i := 0; i < len(tc.in) && res == upstream.NeedMore; i++ {
						u.Feed([]byte(tc.in[i : i+1]))
						res = x.ProcessHeader(u)
					}
				} else {
					u.Feed([]byte(tc.in))
					res = x.ProcessHeader(u)
				}
				if res != tc.res {
					t.Fatalf("split %v: result %v, want %v", split, res, tc.res)
				}
				if res != upstream.HeaderDone {
					continue
				}
				in := &u.HeadersIn
				if in.StatusN != tc.status || in.StatusLine != tc.line || u.Length != tc.length {
					t.Fatalf("split %v: status %d %q length %d, want %d %q %d", split, in.StatusN, in.StatusLine, u.Length, tc.status, tc.line, tc.length)
				}
				if got := string(u.Buffer[u.Pos:u.Last]); !split && got != tc.body {
					t.Fatalf("body %q, want %q", got, tc.body)
				}
				if u.Keepalive {
					t.Fatal("keepalive set: neither protocol keeps the connection")
				}
			}
		})
	}
}

// TestReinit: a retry parses the next peer's head from scratch.
func TestReinit(t *testing.T) {
	var x Exchange
	u := upstream.Bare(256)
	u.Feed([]byte("HTTP/1.1 500 Oops\r\n\r\n"))
	if res := x.ProcessHeader(u); res != upstream.HeaderDone {
		t.Fatal(res)
	}
	if err := x.Reinit(u); err != nil {
		t.Fatal(err)
	}
	u = upstream.Bare(256)
	u.Feed([]byte("Status: 404 Gone\r\n\r\n"))
	if res := x.ProcessHeader(u); res != upstream.HeaderDone || u.HeadersIn.StatusN != 404 {
		t.Fatalf("%v %d", res, u.HeadersIn.StatusN)
	}
}

// TestProcessHeaderAllocs: parsing a usual head allocates nothing.
func TestProcessHeaderAllocs(t *testing.T) {
	head := []byte("Status: 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\nX-Powered-By: test\r\n\r\nbody")
	u := upstream.Bare(4096)
	list := make([]httpd.Header, 0, 8)
	var x Exchange
	n := testing.AllocsPerRun(100, func() {
		x.Reinit(u)
		u.Pos, u.Last = 0, 0
		u.HeadersIn = upstream.HeadersIn{List: list[:0], ContentLengthN: -1, LastModifiedTime: -1}
		u.Feed(head)
		if x.ProcessHeader(u) != upstream.HeaderDone {
			t.Fatal("not done")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per head", n)
	}
}
