package fastcgi

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// rec builds a response record with nginx-style padding.
func rec(typ byte, content string) string {
	return string(appendHeader(nil, typ, len(content), padding(len(content)))) + content + strings.Repeat("\x00", padding(len(content)))
}

func end() string { return rec(typeEndRequest, "\x00\x00\x00\x00\x00\x00\x00\x00") }

func newProto(keep bool, catch ...string) *proto {
	lc := &LocConf{}
	lc.keepConn.Set(keep)
	lc.catch.Set(catch)
	return &proto{lc: lc}
}

// exchange feeds resp to a protocol in pieces of step bytes (0: at once)
// as the framework does: the head through ProcessHeader, then the body
// through InitBody and FilterBody. It returns the header result, the
// body, and the body's state.
func exchange(t *testing.T, p *proto, resp string, step int, buffering bool) (upstream.HeaderResult, *upstream.Upstream, string, error) {
	t.Helper()
	u := upstream.Bare(4096)
	u.Buffering = buffering
	if step <= 0 {
		step = len(resp) + 1
	}
	in := []byte(resp)
	rc := upstream.NeedMore
	for len(in) > 0 && rc == upstream.NeedMore {
		// the framework reads no more than the buffer's free space; a
		// full buffer still short of the head is "too big header"
		n := min(step, len(in), len(u.Buffer)-u.Last)
		if n == 0 {
			return rc, u, "", nil
		}
		if !u.Feed(in[:n]) {
			t.Fatalf("Feed refused %d bytes with %d free", n, len(u.Buffer)-u.Last)
		}
		in = in[n:]
		rc = p.ProcessHeader(u)
	}
	if rc != upstream.HeaderDone {
		return rc, u, "", nil
	}
	if err := p.InitBody(u); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	feed := func(raw []byte) error {
		u.Out = u.Out[:0]
		err := p.FilterBody(u, raw)
		for _, b := range u.Out {
			body.Write(b)
		}
		return err
	}
	var err error
	if pre := u.Buffer[u.Pos:u.Last]; len(pre) > 0 {
		err = feed(append([]byte(nil), pre...))
	}
	for len(in) > 0 && err == nil {
		n := min(step, len(in))
		err = feed(in[:n])
		in = in[n:]
	}
	return rc, u, body.String(), err
}

func TestProtocol(t *testing.T) {
	tests := []struct {
		name      string
		resp      string
		keep      bool
		unbuf     bool
		catch     []string
		rc        upstream.HeaderResult
		status    int
		body      string
		complete  bool // Length 0 at the end
		keepalive bool
		short     bool // ErrBodyShort
		// whole: only when the response arrives in one read (nginx looks
		// for fastcgi_catch_stderr strings in each piece of stderr read)
		whole bool
	}{
		{name: "simple", resp: rec(6, "Content-Type: text/plain\r\n\r\nhello") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "hello", complete: false},
		{name: "simple unbuffered", unbuf: true, resp: rec(6, "Status: 201 Created\r\n\r\nhello") + rec(6, " world") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 201, body: "hello world", complete: true},
		{name: "keep conn reusable", keep: true, resp: rec(6, "X: y\r\n\r\nab") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "ab", complete: true, keepalive: true},
		{name: "keep conn with data after the end", keep: true, resp: rec(6, "X: y\r\n\r\nab") + rec(6, "") + end() + "junk",
			rc: upstream.HeaderDone, status: 200, body: "ab", complete: true},
		{name: "header split across records", keep: true,
			resp: rec(6, "Status: 404 Not") + rec(7, "warning\n") + rec(6, " Found\r\nX-A") + rec(6, ": b\r\n\r") + rec(6, "\nbody") + rec(6, "") + end(),
			rc:   upstream.HeaderDone, status: 404, body: "body", complete: true, keepalive: true},
		{name: "location", resp: rec(6, "Location: http://x/\r\n\r\n") + rec(6, "") + end(), rc: upstream.HeaderDone, status: 302},
		{name: "content length cuts extra", keep: true, resp: rec(6, "Content-Length: 3\r\n\r\nabcdef") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "abc", complete: true},
		{name: "stdout closed short", resp: rec(6, "Content-Length: 10\r\n\r\nabc") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "abc", short: true},
		{name: "request ended short unbuffered", unbuf: true, resp: rec(6, "Content-Length: 10\r\n\r\nabc") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "abc", short: true},
		{name: "stderr in body", keep: true, resp: rec(6, "\r\nab") + rec(7, "oops") + rec(6, "cd") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "abcd", complete: true, keepalive: true},
		{name: "catch stderr", catch: []string{"FATAL"}, resp: rec(7, "PHP FATAL error") + rec(6, "\r\n"), rc: upstream.Invalid, whole: true},
		{name: "stderr not caught", catch: []string{"FATAL"}, resp: rec(7, "notice") + rec(6, "\r\nx") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "x"},
		{name: "bad version", resp: "\x02\x06\x00\x01\x00\x00\x00\x00", rc: upstream.Invalid},
		{name: "bad type", resp: "\x01\x05\x00\x01\x00\x00\x00\x00", rc: upstream.Invalid},
		{name: "end request before head", resp: end(), rc: upstream.Invalid},
		{name: "bad request id", resp: "\x01\x06\x00\x02\x00\x00\x00\x00", rc: upstream.Invalid},
		{name: "stdout closed before head", resp: rec(6, "X: y\r\n") + rec(6, ""), rc: upstream.Invalid},
		{name: "invalid status", resp: rec(6, "Status: abc\r\n\r\n"), rc: upstream.Invalid},
		{name: "head incomplete", resp: rec(6, "X: y\r\n"), rc: upstream.NeedMore},
		// stderr is logged as it arrives and frees the buffer, as nginx's
		// f->rest does: a message longer than the buffer is not a big head
		{name: "stderr longer than the buffer", resp: rec(7, strings.Repeat("e", 12000)) + rec(6, "\r\nx") + rec(6, "") + end(),
			rc: upstream.HeaderDone, status: 200, body: "x"},
		{name: "head longer than the buffer", resp: rec(6, "X: "+strings.Repeat("h", 5000)+"\r\n\r\n"), rc: upstream.NeedMore},
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 3, 7, 8, 9} {
			if tt.whole && step > 0 {
				continue
			}
			p := newProto(tt.keep, tt.catch...)
			rc, u, body, err := exchange(t, p, tt.resp, step, !tt.unbuf)
			if rc != tt.rc {
				t.Fatalf("%s/step %d: result %v, want %v", tt.name, step, rc, tt.rc)
			}
			if rc != upstream.HeaderDone {
				continue
			}
			if u.HeadersIn.StatusN != tt.status || body != tt.body {
				t.Errorf("%s/step %d: status %d body %q, want %d %q", tt.name, step, u.HeadersIn.StatusN, body, tt.status, tt.body)
			}
			if tt.short != (err == upstream.ErrBodyShort) || (!tt.short && err != nil) {
				t.Errorf("%s/step %d: error %v", tt.name, step, err)
			}
			if tt.short {
				continue
			}
			if (u.Length == 0) != tt.complete || u.Keepalive != tt.keepalive {
				t.Errorf("%s/step %d: Length %d keepalive %v, want complete %v keepalive %v", tt.name, step, u.Length, u.Keepalive, tt.complete, tt.keepalive)
			}
		}
	}
}

// TestCachedHead checks that Buffer[:Pos] after the head is a record
// stream ProcessHeader parses again (the cache stores it).
func TestCachedHead(t *testing.T) {
	p := newProto(false)
	resp := rec(7, "noise") + rec(6, "Status: 203 X\r\nA: ") + rec(6, "b\r\n\r\nbody") + rec(6, "") + end()
	rc, u, _, _ := exchange(t, p, resp, 5, true)
	if rc != upstream.HeaderDone {
		t.Fatal(rc)
	}
	stored := append([]byte(nil), u.Buffer[:u.Pos]...)
	q := newProto(false)
	u2 := upstream.Bare(4096)
	u2.Feed(stored)
	if rc := q.ProcessHeader(u2); rc != upstream.HeaderDone || u2.HeadersIn.StatusN != 203 || u2.Pos != u2.Last {
		t.Fatalf("replay: %v status %d pos %d last %d", rc, u2.HeadersIn.StatusN, u2.Pos, u2.Last)
	}
	if v, _ := u2.HeadersIn.Value("A"); v != "b" {
		t.Errorf("replayed A = %q", v)
	}
}

func TestRequestEncoding(t *testing.T) {
	var b []byte
	b = appendBeginRequest(b, true)
	if string(b) != "\x01\x01\x00\x01\x00\x08\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00" {
		t.Errorf("begin request % x", b)
	}
	for _, n := range []int{0, 1, 127, 128, 70000} {
		got := appendLength(nil, n)
		want := 1
		if n > 127 {
			want = 4
		}
		if len(got) != want || pairLen(n, 0) != want+1+n {
			t.Errorf("length %d encoded % x", n, got)
		}
	}
	if s := appendStdin(nil, make([]byte, stdinChunk+1)); len(s) != 2*headerLen+stdinChunk+1+7 {
		t.Errorf("stdin of 32k+1: %d bytes", len(s))
	}
}

func TestFilterBodyAllocs(t *testing.T) {
	raw := []byte(rec(6, "0123456789") + rec(7, "") + rec(6, "abc"))
	p := newProto(true)
	u := upstream.Bare(64)
	u.Buffering = true
	n := testing.AllocsPerRun(100, func() {
		p.dec = decoder{}
		p.done, p.rest = false, -1
		u.Out = u.Out[:0]
		p.FilterBody(u, raw)
	})
	if n != 0 {
		t.Errorf("FilterBody allocates %v times", n)
	}
}

func TestProcessHeaderAllocs(t *testing.T) {
	resp := []byte(rec(6, "Status: 200 OK\r\nContent-Type: text/html\r\nX-A: b") + rec(6, "\r\n\r\nbody") + rec(6, "") + end())
	p := newProto(true)
	u := upstream.Bare(4096)
	list := make([]httpd.Header, 0, 8)
	n := testing.AllocsPerRun(100, func() {
		*p = proto{lc: p.lc}
		u.Pos, u.Last = 0, 0
		u.HeadersIn = upstream.HeadersIn{List: list[:0], ContentLengthN: -1, LastModifiedTime: -1}
		u.Feed(resp)
		if p.ProcessHeader(u) != upstream.HeaderDone {
			t.Fatal("head not done")
		}
	})
	if n != 0 {
		t.Errorf("ProcessHeader allocates %v times", n)
	}
}
