package http1

import (
	"fmt"
	"testing"
)

// seg renders buf[s:e], or "-" when the offset is absent.
func seg(buf []byte, s, e int) string {
	if s < 0 || e < 0 {
		return "-"
	}
	return string(buf[s:e])
}

// rlView is the readable form of a parsed request line.
type rlView struct {
	line, method   string
	m              Method
	schema, host   string
	port, uri      string
	args, ext      string
	proto          string
	version        int
	flags          string // c=complex q=quoted p=plus e=empty path
	requestEnd, at int    // RequestEnd and Pos
}

func viewRequestLine(buf []byte, p *RequestLine) rlView {
	v := rlView{
		line:    seg(buf, p.RequestStart, p.RequestEnd),
		method:  seg(buf, p.RequestStart, p.MethodEnd),
		m:       p.Method,
		schema:  seg(buf, p.SchemaStart, p.SchemaEnd),
		host:    seg(buf, p.HostStart, p.HostEnd),
		port:    seg(buf, p.PortStart, p.PortEnd),
		uri:     seg(buf, p.URIStart, p.URIEnd),
		args:    "-",
		ext:     "-",
		proto:   seg(buf, p.ProtocolStart, p.RequestEnd),
		version: p.Version,
		at:      p.Pos,

		requestEnd: p.RequestEnd,
	}
	if p.ArgsStart >= 0 {
		v.args = string(buf[p.ArgsStart:p.URIEnd])
	}
	v.ext = seg(buf, p.ExtStart, p.PathEnd())
	for _, f := range []struct {
		on bool
		c  string
	}{{p.ComplexURI, "c"}, {p.QuotedURI, "q"}, {p.PlusInURI, "p"}, {p.EmptyPathInURI, "e"}} {
		if f.on {
			v.flags += f.c
		}
	}
	return v
}

func TestRequestLine(t *testing.T) {
	type want struct {
		method string
		m      Method
		schema string
		host   string
		port   string
		uri    string
		args   string
		ext    string
		ver    int
		flags  string
	}
	tests := []struct {
		name string
		in   string
		res  Result
		want *want // checked when res is OK
		pos  int   // for errors: offset of the offending byte
	}{
		{"simple", "GET / HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 1001, ""}, 0},
		{"http10", "HEAD /index.html HTTP/1.0\r\n", OK, &want{"HEAD", MethodHead, "-", "-", "-", "/index.html", "-", "html", 1000, ""}, 0},
		{"bare LF", "GET / HTTP/1.1\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 1001, ""}, 0},
		{"leading CRLF skipped", "\r\n\r\n\nGET /a HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a", "-", "-", 1001, ""}, 0},
		{"spaces everywhere", "GET   /x   HTTP/1.1   \r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/x", "-", "-", 1001, ""}, 0},
		{"minor 10", "GET / HTTP/1.10\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 1010, ""}, 0},
		{"minor 999", "GET / HTTP/1.999\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 1999, ""}, 0},
		{"version 1.2", "GET / HTTP/1.2\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 1002, ""}, 0},
		{"http09", "GET /\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/", "-", "-", 9, ""}, 0},
		{"http09 LF", "GET /a.b\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a.b", "-", "b", 9, ""}, 0},
		{"http09 trailing space", "GET /x \r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/x", "-", "-", 9, ""}, 0},
		{"http09 after slash CR", "GET //\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "//", "-", "-", 9, "c"}, 0},
		{"http09 HEAD", "HEAD /\r\n", Invalid09Method, nil, 8},
		{"http09 POST LF", "POST /x\n", Invalid09Method, nil, 8},
		{"args", "GET /a/b.php?x=1&y=2 HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a/b.php?x=1&y=2", "x=1&y=2", "php", 1001, ""}, 0},
		{"args after slash", "GET /?a HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/?a", "a", "-", 1001, ""}, 0},
		{"ext reset by slash", "GET /a.b/c HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a.b/c", "-", "-", 1001, ""}, 0},
		{"ext last dot", "GET /a.tar.gz HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a.tar.gz", "-", "gz", 1001, ""}, 0},
		{"double slash complex", "GET /a//b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a//b", "-", "-", 1001, "c"}, 0},
		{"dot segment complex", "GET /a/./b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a/./b", "-", "-", 1001, "c"}, 0},
		{"hidden file complex", "GET /.htaccess HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/.htaccess", "-", "-", 1001, "c"}, 0},
		{"fragment complex", "GET /a#b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a#b", "-", "-", 1001, "c"}, 0},
		{"fragment in args complex", "GET /a?b#c HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a?b#c", "b#c", "-", 1001, "c"}, 0},
		{"quoted", "GET /a%20b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a%20b", "-", "-", 1001, "q"}, 0},
		{"plus", "GET /a+b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a+b", "-", "-", 1001, "p"}, 0},
		{"plus after slash", "GET /+ HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/+", "-", "-", 1001, "p"}, 0},
		{"plus in args not flagged", "GET /a?b+c HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/a?b+c", "b+c", "-", 1001, ""}, 0},
		{"high bytes", "GET /\xd0\xb6 HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "-", "-", "-", "/\xd0\xb6", "-", "-", 1001, ""}, 0},
		{"absolute", "GET http://example.com/a?b HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "example.com", "-", "/a?b", "b", "-", 1001, ""}, 0},
		{"absolute no path", "GET http://localhost HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "localhost", "-", "/", "-", "-", 1001, ""}, 0},
		{"absolute query only", "GET http://localhost?args HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "localhost", "-", "?args", "args", "-", 1001, "e"}, 0},
		{"absolute port", "GET http://localhost:8080/x HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "localhost:8080", "8080", "/x", "-", "-", 1001, ""}, 0},
		{"absolute port no path", "GET http://localhost:8080 HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "localhost:8080", "8080", "/", "-", "-", 1001, ""}, 0},
		{"absolute port query", "GET http://localhost:8080?a#f HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "localhost:8080", "8080", "?a#f", "a#f", "-", 1001, "ce"}, 0},
		{"absolute empty port", "GET http://h:/x HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "h:", "", "/x", "-", "-", 1001, ""}, 0},
		{"absolute empty host", "GET http:///x HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "", "-", "/x", "-", "-", 1001, ""}, 0},
		{"absolute ip literal", "GET http://[::1]:80/ HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "http", "[::1]:80", "80", "/", "-", "-", 1001, ""}, 0},
		{"absolute other scheme", "GET svn+ssh.1-x://h/ HTTP/1.1\r\n", OK, &want{"GET", MethodGet, "svn+ssh.1-x", "h", "-", "/", "-", "-", 1001, ""}, 0},
		{"absolute http09", "GET http://h\r\n", InvalidRequest, nil, 12},
		{"connect", "CONNECT example.com:443 HTTP/1.1\r\n", OK, &want{"CONNECT", MethodConnect, "-", "example.com:443", "443", "/", "-", "-", 1001, ""}, 0},
		{"connect spaces", "CONNECT   [::1]:443 HTTP/1.1\r\n", OK, &want{"CONNECT", MethodConnect, "-", "[::1]:443", "443", "/", "-", "-", 1001, ""}, 0},
		{"connect no port", "CONNECT example.com HTTP/1.1\r\n", InvalidRequest, nil, 19},
		{"connect empty port", "CONNECT example.com: HTTP/1.1\r\n", InvalidRequest, nil, 20},
		{"connect path", "CONNECT example.com:443/ HTTP/1.1\r\n", InvalidRequest, nil, 23},
		{"connect origin form", "CONNECT / HTTP/1.1\r\n", InvalidRequest, nil, 8},
		{"connect http09", "CONNECT h:1\r\n", InvalidRequest, nil, 11},
		{"connect http09 space", "CONNECT h:1 \r\n", Invalid09Method, nil, 14},
		{"unknown method", "FOO-BAR_X / HTTP/1.1\r\n", OK, &want{"FOO-BAR_X", MethodOther, "-", "-", "-", "/", "-", "-", 1001, ""}, 0},
		{"options", "OPTIONS * HTTP/1.1\r\n", InvalidRequest, nil, 8},
		{"propfind", "PROPFIND / HTTP/1.1\r\n", OK, &want{"PROPFIND", MethodPropfind, "-", "-", "-", "/", "-", "-", 1001, ""}, 0},
		{"proppatch", "PROPPATCH / HTTP/1.1\r\n", OK, &want{"PROPPATCH", MethodProppatch, "-", "-", "-", "/", "-", "-", 1001, ""}, 0},
		{"lowercase method", "get / HTTP/1.1\r\n", InvalidMethod, nil, 0},
		{"digit in method", "G3T / HTTP/1.1\r\n", InvalidMethod, nil, 1},
		{"tab after method", "GET\t/ HTTP/1.1\r\n", InvalidMethod, nil, 3},
		{"leading space", " GET / HTTP/1.1\r\n", InvalidMethod, nil, 0},
		{"NUL first", "\x00GET / HTTP/1.1\r\n", InvalidMethod, nil, 0},
		{"TLS handshake", "\x16\x03\x01\x02\x00\x01", InvalidMethod, nil, 0},
		{"no target", "GET HTTP/1.1\r\n", InvalidRequest, nil, 8},
		{"target without slash", "GET index.html HTTP/1.1\r\n", InvalidRequest, nil, 14},
		{"asterisk", "GET * HTTP/1.1\r\n", InvalidRequest, nil, 4},
		{"scheme digit", "GET 1http://h/ HTTP/1.1\r\n", InvalidRequest, nil, 4},
		{"scheme one slash", "GET http:/x HTTP/1.1\r\n", InvalidRequest, nil, 10},
		{"scheme no slash", "GET http:x HTTP/1.1\r\n", InvalidRequest, nil, 9},
		{"host underscore", "GET http://a_b/ HTTP/1.1\r\n", InvalidRequest, nil, 12},
		{"host at sign", "GET http://u@h/ HTTP/1.1\r\n", InvalidRequest, nil, 12},
		{"ip literal bad byte", "GET http://[::1/ HTTP/1.1\r\n", InvalidRequest, nil, 15},
		{"after ip literal", "GET http://[::1]x/ HTTP/1.1\r\n", InvalidRequest, nil, 16},
		{"port letter", "GET http://h:8a/ HTTP/1.1\r\n", InvalidRequest, nil, 14},
		{"space in uri", "GET /a b HTTP/1.1\r\n", InvalidRequest, nil, 7},
		{"control in uri", "GET /\x02 HTTP/1.1\r\n", InvalidRequest, nil, 5},
		{"control in check uri", "GET /a\x01 HTTP/1.1\r\n", InvalidRequest, nil, 6},
		{"control in args", "GET /a?\x7f HTTP/1.1\r\n", InvalidRequest, nil, 7},
		{"tab in uri", "GET /a\tb HTTP/1.1\r\n", InvalidRequest, nil, 6},
		{"NUL in uri", "GET /a\x00 HTTP/1.1\r\n", InvalidRequest, nil, 6},
		{"lowercase protocol", "GET / http/1.1\r\n", InvalidRequest, nil, 6},
		{"protocol typo", "GET / HTPP/1.1\r\n", InvalidRequest, nil, 8},
		{"version 2", "GET / HTTP/2.0\r\n", InvalidVersion, nil, 11},
		{"version 3", "GET / HTTP/3\r\n", InvalidVersion, nil, 11},
		{"version 10", "GET / HTTP/10.0\r\n", InvalidVersion, nil, 12},
		{"version 0.9", "GET / HTTP/0.9\r\n", InvalidRequest, nil, 11},
		{"version 01.1", "GET / HTTP/01.1\r\n", InvalidRequest, nil, 11},
		{"version no minor", "GET / HTTP/1\r\n", InvalidRequest, nil, 12},
		{"version dot end", "GET / HTTP/1.\r\n", InvalidRequest, nil, 13},
		{"minor 1000", "GET / HTTP/1.1000\r\n", InvalidRequest, nil, 16},
		{"version trailing junk", "GET / HTTP/1.1x\r\n", InvalidRequest, nil, 14},
		{"junk after version", "GET / HTTP/1.1 x\r\n", InvalidRequest, nil, 15},
		{"CR not followed by LF", "GET / HTTP/1.1\rX", InvalidRequest, nil, 15},
		{"two versions", "GET / HTTP/1.1 HTTP/1.1\r\n", InvalidRequest, nil, 15},
		{"CR CR LF", "GET / HTTP/1.1\r\r\n", InvalidRequest, nil, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			checkSplits(t, len(in), func(ends []int) RequestLine {
				var p RequestLine
				for _, e := range ends {
					if p.Parse(in[:e]) != NeedMore {
						break
					}
				}
				return p
			})
			var p RequestLine
			res := p.Parse(in)
			if res != tt.res {
				t.Fatalf("Parse = %v, want %v (pos %d)", res, tt.res, p.Pos)
			}
			if res != OK {
				if p.Pos != tt.pos {
					t.Errorf("error at %d, want %d", p.Pos, tt.pos)
				}
				if again := p.Parse(in); again != res {
					t.Errorf("second Parse after error = %v", again)
				}
				return
			}
			v := viewRequestLine(in, &p)
			w := tt.want
			got := want{v.method, v.m, v.schema, v.host, v.port, v.uri, v.args, v.ext, v.version, v.flags}
			if got != *w {
				t.Errorf("got  %+v\nwant %+v", got, *w)
			}
			if p.Pos != len(in) {
				t.Errorf("Pos = %d, want %d", p.Pos, len(in))
			}
		})
	}
}

func TestRequestLineParts(t *testing.T) {
	tests := []struct {
		name, in, path, args, ext string
	}{
		{"plain", "GET /a/b.txt HTTP/1.1\r\n", "/a/b.txt", "-", "txt"},
		{"query", "GET /a.php?x=1 HTTP/1.1\r\n", "/a.php", "x=1", "php"},
		{"empty query", "GET /a? HTTP/1.1\r\n", "/a", "-", "-"},
		{"dot in query only", "GET /a?b.c HTTP/1.1\r\n", "/a", "b.c", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p RequestLine
			in := []byte(tt.in)
			if res := p.Parse(in); res != OK {
				t.Fatal(res)
			}
			as, ae := p.Args()
			es, ee := p.Ext()
			path, args, ext := seg(in, p.URIStart, p.PathEnd()), seg(in, as, ae), seg(in, es, ee)
			if path != tt.path || args != tt.args || ext != tt.ext {
				t.Errorf("path %q args %q ext %q, want %q %q %q", path, args, ext, tt.path, tt.args, tt.ext)
			}
		})
	}
}

func TestRequestLineEnds(t *testing.T) {
	tests := []struct {
		name, in, line, proto string
	}{
		{"CRLF", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1", "HTTP/1.1"},
		{"LF", "GET / HTTP/1.1\n", "GET / HTTP/1.1", "HTTP/1.1"},
		{"trailing spaces kept", "GET / HTTP/1.1  \r\n", "GET / HTTP/1.1  ", "HTTP/1.1  "},
		{"http09", "GET /x\r\n", "GET /x", "-"},
		{"http09 LF", "GET /x\n", "GET /x", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p RequestLine
			in := []byte(tt.in)
			if res := p.Parse(in); res != OK {
				t.Fatalf("Parse = %v", res)
			}
			v := viewRequestLine(in, &p)
			if v.line != tt.line || v.proto != tt.proto {
				t.Errorf("line %q proto %q, want %q %q", v.line, v.proto, tt.line, tt.proto)
			}
		})
	}
}

func TestRequestLineNeedMore(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		inProgress bool
	}{
		{"empty", "", false},
		{"only CRLF", "\r\n\r\n", false},
		{"method", "GE", true},
		{"no final LF", "GET / HTTP/1.1\r", true},
		{"mid uri", "GET /abc", true},
		{"mid version", "GET / HTTP/1.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p RequestLine
			if res := p.Parse([]byte(tt.in)); res != NeedMore {
				t.Fatalf("Parse = %v, want NeedMore", res)
			}
			if p.Pos != len(tt.in) {
				t.Errorf("Pos = %d, want %d", p.Pos, len(tt.in))
			}
			if p.InProgress() != tt.inProgress {
				t.Errorf("InProgress = %v", p.InProgress())
			}
		})
	}
}

func TestRequestLineMethods(t *testing.T) {
	for _, m := range []Method{MethodGet, MethodHead, MethodPost, MethodPut,
		MethodDelete, MethodMkcol, MethodCopy, MethodMove, MethodOptions,
		MethodPropfind, MethodProppatch, MethodLock, MethodUnlock,
		MethodPatch, MethodTrace} {
		t.Run(m.String(), func(t *testing.T) {
			var p RequestLine
			in := []byte(m.String() + " / HTTP/1.1\r\n")
			if res := p.Parse(in); res != OK || p.Method != m {
				t.Fatalf("Parse = %v, method %v", res, p.Method)
			}
			if got := string(in[p.RequestStart:p.MethodEnd]); got != m.String() {
				t.Errorf("method bytes %q", got)
			}
		})
	}
	for _, name := range []string{"GETS", "GE", "PROPFINDX", "CONNECTX", "OPTION"} {
		t.Run("other "+name, func(t *testing.T) {
			var p RequestLine
			if res := p.Parse([]byte(name + " / HTTP/1.1\r\n")); res != OK || p.Method != MethodOther {
				t.Fatalf("Parse = %v, method %v", res, p.Method)
			}
		})
	}
}

func TestRequestLinePipelined(t *testing.T) {
	in := []byte("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n")
	var p RequestLine
	if res := p.Parse(in); res != OK || string(in[p.URIStart:p.URIEnd]) != "/a" {
		t.Fatalf("first: %v", res)
	}
	p.Pos += 2 // the caller's header parser consumed the empty line
	if res := p.Parse(in); res != OK || string(in[p.URIStart:p.URIEnd]) != "/b" {
		t.Fatalf("second: %v %+v", res, p)
	}
}

func TestRequestLineShift(t *testing.T) {
	in := []byte("\r\nGET http://h:1/a.b?c HTTP/1.1\r\n")
	var p RequestLine
	if res := p.Parse(in[:20]); res != NeedMore {
		t.Fatalf("Parse = %v", res)
	}
	// Move the request into a new buffer as nginx does for a large header.
	start := p.RequestStart
	moved := append([]byte(nil), in[start:]...)
	p.Shift(start)
	if res := p.Parse(moved); res != OK {
		t.Fatalf("Parse after Shift = %v", res)
	}
	var q RequestLine
	if res := q.Parse(in); res != OK {
		t.Fatal(res)
	}
	if a, b := viewRequestLine(moved, &p), viewRequestLine(in, &q); a.uri != b.uri ||
		a.host != b.host || a.args != b.args || a.ext != b.ext || a.line != b.line {
		t.Errorf("shifted %+v\nunshifted %+v", a, b)
	}
}

func TestRequestLineSplits(t *testing.T) {
	inputs := []string{
		"GET / HTTP/1.1\r\n",
		"\r\n\r\nGET /a//b/./c%20d+e.f?x=1#y HTTP/1.1\r\n",
		"GET http://[::1]:8080?a HTTP/1.0\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\n",
		"GET /x\n",
		"HEAD /\r\n",
		"GET / HTTP/2.0\r\n",
		"GET / HTTP/1.1000\r\n",
		"get / HTTP/1.1\r\n",
		"GET /\x01 HTTP/1.1\r\n",
	}
	for i, in := range inputs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			b := []byte(in)
			checkSplits(t, len(b), func(ends []int) RequestLine {
				var p RequestLine
				for _, e := range ends {
					if res := p.Parse(b[:e]); res != NeedMore {
						break
					}
				}
				return p
			})
		})
	}
}

func TestResultStatus(t *testing.T) {
	tests := []struct {
		r      Result
		status int
		log    string
	}{
		{OK, 0, ""},
		{NeedMore, 0, ""},
		{HeaderDone, 0, ""},
		{InvalidMethod, 400, "client sent invalid method"},
		{InvalidRequest, 400, "client sent invalid request"},
		{InvalidVersion, 505, "client sent invalid version"},
		{Invalid09Method, 400, "client sent invalid method in HTTP/0.9 request"},
		{InvalidHeader, 400, "client sent invalid header line"},
		{Invalid, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.r.String(), func(t *testing.T) {
			if got := tt.r.Status(); got != tt.status {
				t.Errorf("Status = %d, want %d", got, tt.status)
			}
			if got := tt.r.LogText(); got != tt.log {
				t.Errorf("LogText = %q, want %q", got, tt.log)
			}
		})
	}
}
