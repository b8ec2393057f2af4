package cgi

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

func TestHead(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       upstream.HeaderResult
		status     int
		statusLine string
		body       string // what follows the head
	}{
		{name: "no status is 200", in: "Content-Type: text/html\r\n\r\nbody",
			want: upstream.HeaderDone, status: 200, statusLine: "200 OK", body: "body"},
		{name: "Status header", in: "Status: 404 Not Found\r\nX: y\r\n\r\n",
			want: upstream.HeaderDone, status: 404, statusLine: "404 Not Found"},
		{name: "Status without text", in: "Status: 503\r\n\r\n",
			want: upstream.HeaderDone, status: 503, statusLine: ""},
		{name: "Status digits then more", in: "Status: 2000\r\n\r\n",
			want: upstream.HeaderDone, status: 200, statusLine: "2000"},
		{name: "Location is 302", in: "Location: http://x/\r\n\r\n",
			want: upstream.HeaderDone, status: 302, statusLine: "302 Moved Temporarily"},
		{name: "Status wins over Location", in: "Location: /x\r\nStatus: 301 Moved\r\n\r\n",
			want: upstream.HeaderDone, status: 301, statusLine: "301 Moved"},
		{name: "LF only lines", in: "Status: 201 Created\nA: b\n\nrest",
			want: upstream.HeaderDone, status: 201, statusLine: "201 Created", body: "rest"},
		{name: "invalid status", in: "Status: OK\r\n\r\n", want: upstream.Invalid},
		{name: "short status", in: "Status: 20\r\n\r\n", want: upstream.Invalid},
		{name: "invalid header line", in: "Bad\x00Header: x\r\n\r\n", want: upstream.Invalid},
		{name: "incomplete", in: "Status: 200 OK\r\nX-Foo: b", want: upstream.NeedMore},
		{name: "empty head", in: "\r\nbody", want: upstream.HeaderDone, status: 200, statusLine: "200 OK", body: "body"},
		{name: "repeated HTTP status line is skipped", in: "HTTP/1.1 500 Oops\r\nStatus: 202 A\r\n\r\n",
			want: upstream.HeaderDone, status: 202, statusLine: "202 A"},
		{name: "bad content length", in: "Content-Length: x\r\n\r\n", want: upstream.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, bytewise := range []bool{false, true} {
				u := upstream.Bare(4096)
				var h Head
				h.Reset(0)
				rc := upstream.NeedMore
				if bytewise {
					for i := 0; i < len(tt.in) && rc == upstream.NeedMore; i++ {
						u.Feed([]byte(tt.in[i : i+1]))
						rc = h.Parse(u, u.Buffer[:u.Last])
					}
				} else {
					u.Feed([]byte(tt.in))
					rc = h.Parse(u, u.Buffer[:u.Last])
				}
				if rc != tt.want {
					t.Fatalf("bytewise=%v: result %v, want %v", bytewise, rc, tt.want)
				}
				if rc != upstream.HeaderDone {
					continue
				}
				in := &u.HeadersIn
				if in.StatusN != tt.status || in.StatusLine != tt.statusLine {
					t.Errorf("status %d %q, want %d %q", in.StatusN, in.StatusLine, tt.status, tt.statusLine)
				}
				if !bytewise {
					if got := string(u.Buffer[h.Pos():u.Last]); got != tt.body {
						t.Errorf("body %q, want %q", got, tt.body)
					}
				}
			}
		})
	}
}

func TestHeadKeepsStatusLine(t *testing.T) {
	u := upstream.Bare(256)
	u.HeadersIn.StatusN, u.HeadersIn.StatusLine = 403, "403 Forbidden"
	u.Feed([]byte("Status: 200 OK\r\n\r\n"))
	var h Head
	if rc := h.Parse(u, u.Buffer[:u.Last]); rc != upstream.HeaderDone || u.HeadersIn.StatusN != 403 {
		t.Fatalf("rc %v status %d: a status line's status must stay", rc, u.HeadersIn.StatusN)
	}
}

// FuzzHead parses arbitrary heads at once and byte by byte: both must
// agree, never panic, and a complete head has a status in 0..999 and a
// body start inside the input.
func FuzzHead(f *testing.F) {
	f.Add([]byte("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nx"))
	f.Add([]byte("Location: /\n\n"))
	f.Add([]byte("X: y\r\n\r\n"))
	f.Add([]byte("Status: ab\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 2048 {
			return
		}
		u1 := upstream.Bare(4096)
		u1.Feed(in)
		var h1 Head
		rc1 := h1.Parse(u1, u1.Buffer[:u1.Last])
		u2 := upstream.Bare(4096)
		var h2 Head
		rc2 := upstream.NeedMore
		for i := 0; i < len(in) && rc2 == upstream.NeedMore; i++ {
			u2.Feed(in[i : i+1])
			rc2 = h2.Parse(u2, u2.Buffer[:u2.Last])
		}
		if rc1 != rc2 {
			t.Fatalf("at once %v, byte by byte %v", rc1, rc2)
		}
		if rc1 == upstream.HeaderDone {
			if s := u1.HeadersIn.StatusN; s < 0 || s > 999 {
				t.Fatalf("status %d", s)
			}
			if h1.Pos() > u1.Last || h1.Pos() != h2.Pos() {
				t.Fatalf("body at %d / %d of %d", h1.Pos(), h2.Pos(), u1.Last)
			}
		}
	})
}
