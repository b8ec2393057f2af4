package memcached

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// splits are the ways a response is cut into reads.
var splits = map[string]func(i int) bool{
	"one read":     func(int) bool { return false },
	"byte by byte": func(int) bool { return true },
	"every third":  func(i int) bool { return i%3 == 0 },
	"every fifth":  func(i int) bool { return i%5 == 0 },
}

// feedHead gives the protocol the response in pieces, calling ProcessHeader
// after each as the framework does, and returns the answer.
func feedHead(t *testing.T, p *protocol, resp string, split func(i int) bool) (upstream.HeaderResult, *upstream.Upstream) {
	t.Helper()
	u := upstream.Bare(4096)
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
			return rc, u
		}
	}
	return upstream.NeedMore, u
}

func TestProcessHeader(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		gzipFlag uint64
		resp     string
		want     upstream.HeaderResult
		status   int
		length   int64
		gzip     bool
		rest     string
		keep     bool
	}{
		{name: "hit", key: "/", resp: "VALUE / 0 8\r\nSEE-THIS\r\nEND\r\n",
			want: upstream.HeaderDone, status: 200, length: 8, rest: "SEE-THIS\r\nEND\r\n"},
		{name: "hit empty value", key: "/k", resp: "VALUE /k 0 0\r\n\r\nEND\r\n",
			want: upstream.HeaderDone, status: 200, length: 0, rest: "\r\nEND\r\n"},
		{name: "miss", key: "/nf", resp: "END\r\n", want: upstream.HeaderDone, status: 404, length: 0, keep: true},
		{name: "miss then bytes", key: "/nf", resp: "END\r\nxyz", want: upstream.HeaderDone, status: 404, length: 0, rest: "xyz", keep: true},
		{name: "flags ignored without gzip_flag", key: "k", resp: "VALUE k abc 3\r\n",
			want: upstream.HeaderDone, status: 200, length: 3},
		{name: "gzip flag set", key: "k", gzipFlag: 2, resp: "VALUE k 3 3\r\n",
			want: upstream.HeaderDone, status: 200, length: 3, gzip: true},
		{name: "gzip flag clear", key: "k", gzipFlag: 4, resp: "VALUE k 3 3\r\n",
			want: upstream.HeaderDone, status: 200, length: 3},
		{name: "invalid flags with gzip_flag", key: "k", gzipFlag: 1, resp: "VALUE k x1 3\r\n", want: upstream.Invalid},
		{name: "empty flags with gzip_flag", key: "k", gzipFlag: 1, resp: "VALUE k  3\r\n", want: upstream.Invalid},
		{name: "escaped key", key: "a b%c", resp: "VALUE a%20b%25c 0 1\r\n",
			want: upstream.HeaderDone, status: 200, length: 1},
		{name: "other key", key: "/a", resp: "VALUE /b 0 1\r\n", want: upstream.Invalid},
		{name: "longer key", key: "/a", resp: "VALUE /ab 0 1\r\n", want: upstream.Invalid},
		{name: "no flags", key: "k", resp: "VALUE k 3\r\n", want: upstream.Invalid},
		{name: "key only", key: "k", resp: "VALUE k\r\n", want: upstream.Invalid},
		{name: "cas field", key: "k", resp: "VALUE k 0 3 17\r\n", want: upstream.Invalid},
		{name: "invalid length", key: "k", resp: "VALUE k 0 3x\r\n", want: upstream.Invalid},
		{name: "empty length", key: "k", resp: "VALUE k 0 \r\n", want: upstream.Invalid},
		{name: "huge length", key: "k", resp: "VALUE k 0 99999999999999999999\r\n", want: upstream.Invalid},
		{name: "bare lf", key: "k", resp: "END\n", want: upstream.Invalid},
		{name: "empty line", key: "k", resp: "\n", want: upstream.Invalid},
		{name: "error", key: "k", resp: "SERVER_ERROR out of memory\r\n", want: upstream.Invalid},
		{name: "end lowercase", key: "k", resp: "end\r\n", want: upstream.Invalid},
		{name: "end with space", key: "k", resp: "END \r\n", want: upstream.Invalid},
		{name: "incomplete", key: "k", resp: "VALUE k 0 3\r", want: upstream.NeedMore},
	}
	for _, tc := range tests {
		for sname, split := range splits {
			t.Run(tc.name+"/"+sname, func(t *testing.T) {
				p := newProtocol(tc.key, tc.gzipFlag)
				rc, u := feedHead(t, p, tc.resp, split)
				if rc != tc.want {
					t.Fatalf("result %v, want %v", rc, tc.want)
				}
				if rc != upstream.HeaderDone {
					return
				}
				if u.HeadersIn.StatusN != tc.status || u.HeadersIn.ContentLengthN != tc.length {
					t.Errorf("status %d length %d, want %d %d", u.HeadersIn.StatusN, u.HeadersIn.ContentLengthN, tc.status, tc.length)
				}
				if p.gzip != tc.gzip {
					t.Errorf("gzip %v, want %v", p.gzip, tc.gzip)
				}
				if u.Keepalive != tc.keep {
					t.Errorf("keepalive %v, want %v", u.Keepalive, tc.keep)
				}
				// what follows the line is body bytes, unless the split
				// stopped at the end of the line
				if got := string(u.Buffer[u.Pos:u.Last]); !strings.HasPrefix(tc.rest, got) {
					t.Errorf("body bytes %q, want a prefix of %q", got, tc.rest)
				}
			})
		}
	}
}

func TestCreateRequest(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{name: "plain", key: "/index.html", want: "get /index.html\r\n"},
		{name: "space and percent", key: "/a b%", want: "get /a%20b%25\r\n"},
		{name: "controls", key: "a\r\nb\x00\x1f", want: "get a%0D%0Ab%00%1F\r\n"},
		{name: "high bytes and del kept", key: "\x7f\xff/é", want: "get \x7f\xff/é\r\n"},
		{name: "query", key: "/p?a=1&b=2", want: "get /p?a=1&b=2\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := upstream.Bare(16)
			p := newProtocol(tc.key, 0)
			if err := p.CreateRequest(u); err != nil {
				t.Fatal(err)
			}
			var got []byte
			for _, pc := range u.Request.Pieces {
				got = append(got, pc.Data...)
			}
			if string(got) != tc.want {
				t.Errorf("request %q, want %q", got, tc.want)
			}
			if u.Schema != "memcached://" {
				t.Errorf("schema %q", u.Schema)
			}
		})
	}
}

// feedBody runs InitBody and FilterBody over body as the framework would
// (one call per read until the body is complete), and returns the value
// bytes passed on, whether the body completed, keepalive, and the bytes
// left unread.
func feedBody(p *protocol, u *upstream.Upstream, body string, split func(i int) bool) (out string, complete, keep bool, unread int) {
	if err := p.InitBody(u); err != nil {
		panic(err)
	}
	start := 0
	for i := 1; i <= len(body) && u.Length != 0; i++ {
		if i < len(body) && !split(i) {
			continue
		}
		if err := p.FilterBody(u, []byte(body[start:i])); err != nil {
			panic(err)
		}
		for _, b := range u.Out {
			out += string(b)
		}
		u.Out = u.Out[:0]
		start = i
	}
	return out, u.Length == 0, u.Keepalive, len(body) - start
}

func TestFilterBody(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		length   int64
		body     string
		out      string
		complete bool
		keep     bool
		// extra: bytes after the trailer that the filter never sees when
		// a read ends with the trailer (the framework stops reading); the
		// keepalive pool's liveness check catches them instead
		extra bool
	}{
		{name: "value and trailer", status: 200, length: 8, body: "SEE-THIS\r\nEND\r\n", out: "SEE-THIS", complete: true, keep: true},
		{name: "empty value", status: 200, length: 0, body: "\r\nEND\r\n", complete: true, keep: true},
		{name: "value with crlf inside", status: 200, length: 9, body: "a\r\nEND\r\nb\r\nEND\r\n", out: "a\r\nEND\r\nb", complete: true, keep: true},
		{name: "cut in the value", status: 200, length: 8, body: "SEE-", out: "SEE-"},
		{name: "cut in the trailer", status: 200, length: 8, body: "SEE-THIS\r\nEN", out: "SEE-THIS"},
		{name: "data after trailer", status: 200, length: 8, body: "SEE-THIS\r\nEND\r\n\x00111", out: "SEE-THIS", complete: true, extra: true},
		{name: "wrong trailer", status: 200, length: 8, body: "SEE-THIS\r\nEND\r\r", out: "SEE-THIS", complete: true},
		{name: "value longer than announced", status: 200, length: 4, body: "SEE-THIS\r\nEND\r\n", out: "SEE-", complete: true},
		{name: "short trailer", status: 200, length: 8, body: "SEE-THIS\r\nX", out: "SEE-THIS", complete: true},
		{name: "miss", status: 404, length: 0, body: "", complete: true},
	}
	for _, tc := range tests {
		for sname, split := range splits {
			t.Run(tc.name+"/"+sname, func(t *testing.T) {
				p := newProtocol("k", 0)
				u := upstream.Bare(16)
				u.HeadersIn.StatusN = tc.status
				u.HeadersIn.ContentLengthN = tc.length
				out, complete, keep, unread := feedBody(p, u, tc.body, split)
				if out != tc.out {
					t.Errorf("value %q, want %q", out, tc.out)
				}
				if complete != tc.complete {
					t.Errorf("complete %v, want %v", complete, tc.complete)
				}
				if want := tc.keep || (tc.extra && unread > 0); keep != want {
					t.Errorf("keepalive %v, want %v", keep, want)
				}
			})
		}
	}
}

// TestFilterBodyLengths checks every split of a value against the value:
// whatever the reads, the bytes passed on are the value, exactly.
func TestFilterBodyLengths(t *testing.T) {
	value := strings.Repeat("0123456789", 5)
	body := value + trailer
	for cut := 1; cut < len(body); cut++ {
		p := newProtocol("k", 0)
		u := upstream.Bare(16)
		u.HeadersIn.StatusN = 200
		u.HeadersIn.ContentLengthN = int64(len(value))
		out, complete, keep, unread := feedBody(p, u, body, func(i int) bool { return i == cut })
		if out != value || !complete || !keep || unread != 0 {
			t.Fatalf("cut at %d: value %q complete %v keep %v unread %d", cut, out, complete, keep, unread)
		}
	}
}

func TestReinit(t *testing.T) {
	p := newProtocol("k", 1)
	rc, u := feedHead(t, p, "VALUE k 1 3\r\n", splits["one read"])
	if rc != upstream.HeaderDone || !p.gzip {
		t.Fatalf("result %v gzip %v", rc, p.gzip)
	}
	if err := p.Reinit(u); err != nil {
		t.Fatal(err)
	}
	if p.gzip || p.rest != 0 {
		t.Errorf("state kept across reinit: gzip %v rest %d", p.gzip, p.rest)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    uint64
		ok   bool
	}{
		{name: "zero", in: "0", n: 0, ok: true},
		{name: "number", in: "1048576", n: 1048576, ok: true},
		{name: "max", in: "9223372036854775807", n: 1<<63 - 1, ok: true},
		{name: "overflow", in: "9223372036854775808"},
		{name: "empty"},
		{name: "sign", in: "-1"},
		{name: "space", in: " 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := decimal([]byte(tc.in))
			if n != tc.n || ok != tc.ok {
				t.Errorf("decimal(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
			}
		})
	}
}
