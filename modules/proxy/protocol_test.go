package proxy

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// feed runs a response through the protocol the way the framework does:
// head bytes to ProcessHeader until it stops asking for more, then body
// bytes to the body filter in effect (the protocol's, or the framework's
// length-counting default), the reads cut by split.
func feed(t *testing.T, p *proto, resp string, split func(int) bool) (u *upstream.Upstream, head upstream.HeaderResult, body string, err error) {
	t.Helper()
	u = upstream.Bare(max(256, len(resp)))
	u.Proto = p
	var reads []string
	start := 0
	for i := 1; i <= len(resp); i++ {
		if i == len(resp) || split(i) {
			reads = append(reads, resp[start:i])
			start = i
		}
	}
	head = upstream.NeedMore
	for len(reads) > 0 && head == upstream.NeedMore {
		if !u.Feed([]byte(reads[0])) {
			t.Fatalf("head does not fit the buffer")
		}
		reads = reads[1:]
		head = p.ProcessHeader(u)
	}
	if head != upstream.HeaderDone {
		return u, head, "", nil
	}
	reads = append([]string{string(u.Buffer[u.Pos:u.Last])}, reads...)
	for _, r := range reads {
		if err != nil {
			break
		}
		u.Out = u.Out[:0]
		if bf, ok := u.Proto.(upstream.BodyFilter); ok {
			err = bf.FilterBody(u, []byte(r))
		} else {
			err = defaultFilter(u, []byte(r))
		}
		for _, b := range u.Out {
			body += string(b)
		}
	}
	return u, head, body, err
}

// defaultFilter is what the framework does without a protocol body filter:
// count Length down, drop (and refuse keepalive for) what exceeds it.
func defaultFilter(u *upstream.Upstream, raw []byte) error {
	if u.Length == 0 {
		if len(raw) > 0 {
			u.Keepalive = false
		}
		return nil
	}
	if u.Length > 0 && int64(len(raw)) > u.Length {
		raw = raw[:u.Length]
		u.Keepalive = false
	}
	if len(raw) > 0 {
		u.Out = append(u.Out, raw)
	}
	if u.Length > 0 {
		u.Length -= int64(len(raw))
	}
	return nil
}

var splits = map[string]func(int) bool{
	"one read":     func(int) bool { return false },
	"byte by byte": func(int) bool { return true },
	"every third":  func(i int) bool { return i%3 == 0 },
}

func newProto(trailers bool, head bool) *proto {
	lc := &LocConf{}
	lc.U.BufferSize.Set(256)
	lc.U.PassTrailers.Set(trailers)
	p := &proto{lc: lc, ctx: &reqCtx{}, head: head}
	p.filtered = &chunkedProto{proto: p}
	return p
}

// TestProtocol feeds responses to the protocol in several splits.
func TestProtocol(t *testing.T) {
	tests := []struct {
		name     string
		resp     string
		trailers bool
		headReq  bool
		want     upstream.HeaderResult
		status   int
		line     string
		body     string
		length   int64 // Length once the body was fed (0: complete)
		keep     bool
		err      bool
		check    func(t *testing.T, u *upstream.Upstream)
	}{
		{name: "content length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "hello", keep: true},
		{name: "content length, more data", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "he"},
		{name: "content length, short", resp: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "hello", length: 4, keep: true},
		{name: "connection close", resp: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "x"},
		{name: "http/1.0 closes", resp: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "x"},
		{name: "close delimited", resp: "HTTP/1.1 200 OK\r\n\r\nto the end",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "to the end", length: -1},
		{name: "zero length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want: upstream.HeaderDone, status: 200, line: "200 OK", keep: true},
		{name: "no content", resp: "HTTP/1.1 204 No Content\r\n\r\n",
			want: upstream.HeaderDone, status: 204, line: "204 No Content", keep: true},
		{name: "not modified with length", resp: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
			want: upstream.HeaderDone, status: 304, line: "304 Not Modified", keep: true},
		{name: "head request", resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", headReq: true,
			want: upstream.HeaderDone, status: 200, line: "200 OK", keep: true},
		{name: "chunked", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "hello world", keep: true},
		{name: "chunked, trailers dropped", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\n\r\n",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "a", keep: true,
			check: func(t *testing.T, u *upstream.Upstream) {
				if len(u.HeadersIn.Trailers) != 0 {
					t.Errorf("trailers %v", u.HeadersIn.Trailers)
				}
			}},
		{name: "chunked, trailers kept", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\nX-U: two\r\n\r\n", trailers: true,
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "a", keep: true,
			check: func(t *testing.T, u *upstream.Upstream) {
				tr := u.HeadersIn.Trailers
				if len(tr) != 2 || tr[0].Key != "X-T" || tr[0].Value != "1" || tr[1].Value != "two" {
					t.Errorf("trailers %v", tr)
				}
			}},
		{name: "chunked, data after the last chunk", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nextra",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "a"},
		{name: "chunked, invalid", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nzz\r\n",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "a", length: 1, err: true},
		{name: "chunked, cut", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "hel", length: 1},
		{name: "early hints skipped", resp: "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want: upstream.HeaderDone, status: 200, line: "200 OK", body: "ok", keep: true,
			check: func(t *testing.T, u *upstream.Upstream) {
				if _, ok := u.HeadersIn.Value("Link"); ok {
					t.Errorf("the 103's Link header was kept")
				}
			}},
		{name: "early hints over http/1.0", resp: "HTTP/1.0 103 Early Hints\r\n\r\n", want: upstream.Invalid},
		{name: "status without text", resp: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
			want: upstream.HeaderDone, status: 200, line: "200", keep: true},
		{name: "http/0.9", resp: "hello, no status line",
			want: upstream.HeaderDone, status: 0, body: "hello, no status line", length: -1},
		{name: "invalid header", resp: "HTTP/1.1 200 OK\r\nBad Header\x00: x\r\n\r\n", want: upstream.Invalid},
		{name: "duplicate content length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", want: upstream.Invalid},
		{name: "incomplete head", resp: "HTTP/1.1 200 OK\r\nX: y\r\n", want: upstream.NeedMore},
	}
	for _, tc := range tests {
		for sname, split := range splits {
			t.Run(tc.name+"/"+sname, func(t *testing.T) {
				p := newProto(tc.trailers, tc.headReq)
				u, head, body, err := feed(t, p, tc.resp, split)
				if head != tc.want {
					t.Fatalf("head %v, want %v", head, tc.want)
				}
				if head != upstream.HeaderDone {
					return
				}
				in := &u.HeadersIn
				if in.StatusN != tc.status || in.StatusLine != tc.line {
					t.Errorf("status %d %q, want %d %q", in.StatusN, in.StatusLine, tc.status, tc.line)
				}
				if body != tc.body || (err != nil) != tc.err || u.Length != tc.length || u.Keepalive != tc.keep {
					t.Errorf("body %q err %v length %d keepalive %v; want %q err %v length %d keepalive %v",
						body, err, u.Length, u.Keepalive, tc.body, tc.err, tc.length, tc.keep)
				}
				if !u.OwnServerDate && !strings.HasPrefix(tc.name, "http/0.9") {
					t.Errorf("OwnServerDate not set")
				}
				if tc.check != nil {
					tc.check(t, u)
				}
			})
		}
	}
}
