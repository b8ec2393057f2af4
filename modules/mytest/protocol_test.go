package mytest

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// feed gives the protocol the response in pieces, calling ProcessHeader
// after each as the framework does, and returns the final answer, the
// parsed state and the bytes not fed yet.
func feed(t *testing.T, resp string, split func(i int) bool) (upstream.HeaderResult, *upstream.Upstream, string) {
	t.Helper()
	u := upstream.Bare(4096)
	p := &protocol{}
	start := 0
	for i := 1; i <= len(resp); i++ {
		if i < len(resp) && !split(i) {
			continue
		}
		if !u.Feed([]byte(resp[start:i])) {
			t.Fatal("buffer too small")
		}
		start = i
		if rc := p.ProcessHeader(u); rc != upstream.NeedMore {
			return rc, u, resp[i:]
		}
	}
	return upstream.NeedMore, u, ""
}

func TestProtocolSplits(t *testing.T) {
	tests := []struct {
		name   string
		resp   string
		want   upstream.HeaderResult
		status int
		line   string
		length int64
		hdrs   int
		rest   string
	}{
		{name: "full", resp: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
			want: upstream.HeaderDone, status: 200, line: "200 OK", length: 5, hdrs: 2, rest: "hello"},
		{name: "no headers", resp: "HTTP/1.0 404 Not Found\r\n\r\n",
			want: upstream.HeaderDone, status: 404, line: "404 Not Found", length: -1},
		{name: "bare lf", resp: "HTTP/1.1 302 Found\nLocation: /x\n\nbody",
			want: upstream.HeaderDone, status: 302, line: "302 Found", length: -1, hdrs: 1, rest: "body"},
		{name: "http 0.9", resp: "<html>no status line</html>",
			want: upstream.HeaderDone, status: 200, length: -1, rest: "<html>no status line</html>"},
		{name: "invalid header", resp: "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", want: upstream.Invalid},
		{name: "duplicate content-length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", want: upstream.Invalid},
		{name: "incomplete", resp: "HTTP/1.1 200 OK\r\nX: y\r\n", want: upstream.NeedMore},
	}
	splits := map[string]func(int) bool{
		"one shot":     func(int) bool { return false },
		"byte by byte": func(int) bool { return true },
		"every third":  func(i int) bool { return i%3 == 0 },
	}
	for _, tc := range tests {
		for sname, split := range splits {
			t.Run(tc.name+"/"+sname, func(t *testing.T) {
				rc, u, unfed := feed(t, tc.resp, split)
				if rc != tc.want {
					t.Fatalf("result %v, want %v", rc, tc.want)
				}
				if rc != upstream.HeaderDone {
					return
				}
				if u.HeadersIn.StatusN != tc.status || u.HeadersIn.StatusLine != tc.line {
					t.Errorf("status %d %q, want %d %q", u.HeadersIn.StatusN, u.HeadersIn.StatusLine, tc.status, tc.line)
				}
				if u.Length != tc.length {
					t.Errorf("length %d, want %d", u.Length, tc.length)
				}
				if len(u.HeadersIn.List) != tc.hdrs {
					t.Errorf("%d headers, want %d", len(u.HeadersIn.List), tc.hdrs)
				}
				if got := string(u.Buffer[u.Pos:u.Last]) + unfed; tc.name != "http 0.9" && got != tc.rest {
					t.Errorf("body bytes %q, want %q", got, tc.rest)
				}
			})
		}
	}
}

func TestCreateRequest(t *testing.T) {
	// CreateRequest reads u.R.Args; covered end to end in cmd/sluice's
	// TestEmbeddedDefault. Here: the two-stage state is reset per protocol
	// value, so a fresh protocol starts at the status line.
	p := &protocol{}
	if p.inLines {
		t.Fatal("a new protocol must start with the status line")
	}
}
