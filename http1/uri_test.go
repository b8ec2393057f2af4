package http1

import "testing"

func TestParseComplexURI(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		emptyPath bool
		merge     bool
		res       Result
		path      string
		args      string // "-" when absent
		ext       string // "-" when absent
		flags     string // q=quoted p=plus
	}{
		{"dot args", "/foo/bar/.?args", false, true, OK, "/foo/bar/", "args", "-", ""},
		{"dot frag", "/foo/bar/.#frag", false, true, OK, "/foo/bar/", "-", "-", ""},
		{"dot dot args", "/foo/bar/..?args", false, true, OK, "/foo/", "args", "-", ""},
		{"dot dot frag", "/foo/bar/..#frag", false, true, OK, "/foo/", "-", "-", ""},
		{"trailing dot", "/foo/bar/.", false, true, OK, "/foo/bar/", "-", "-", ""},
		{"trailing dot dot", "/foo/bar/..", false, true, OK, "/foo/", "-", "-", ""},
		{"dot segment", "/a/./b", false, true, OK, "/a/b", "-", "-", ""},
		{"dot dot segment", "/a/b/../c", false, true, OK, "/a/c", "-", "-", ""},
		{"dot dot to root", "/a/..", false, true, OK, "/", "-", "-", ""},
		{"many dot dots", "/a/b/c/../../d/./e/..", false, true, OK, "/a/d/", "-", "-", ""},
		{"three dots kept", "/a/.../b", false, true, OK, "/a/.../b", "-", "-", ""},
		{"dot dot prefix kept", "/a/..b/c", false, true, OK, "/a/..b/c", "-", "-", ""},
		{"dot prefix kept", "/a/.b", false, true, OK, "/a/.b", "-", "-", ""},
		{"dot plus", "/a/.+", false, true, OK, "/a/.+", "-", "-", "p"},
		{"dot dot plus", "/a/..+", false, true, OK, "/a/..+", "-", "-", "p"},
		{"above root", "/..", false, true, InvalidRequest, "", "-", "-", ""},
		{"above root slash", "/../", false, true, InvalidRequest, "", "-", "-", ""},
		{"above root later", "/a/../..", false, true, InvalidRequest, "", "-", "-", ""},
		{"above root args", "/..?a", false, true, InvalidRequest, "", "-", "-", ""},
		{"above root escaped", "/%2e%2e/x", false, true, InvalidRequest, "", "-", "-", "q"},
		{"merge slashes", "//a///b//", false, true, OK, "/a/b/", "-", "-", ""},
		{"no merge", "//a///b//", false, false, OK, "//a///b//", "-", "-", ""},
		{"no merge dot dot", "//..", false, false, OK, "/", "-", "-", ""},
		{"merge dot dot above root", "//..", false, true, InvalidRequest, "", "-", "-", ""},
		{"no merge dot dot empty segment", "/a//../b", false, false, OK, "/a/b", "-", "-", ""},
		{"percent", "/foo/bar%", false, true, InvalidRequest, "", "-", "-", ""},
		{"percent digit", "/foo/bar%1", false, true, InvalidRequest, "", "-", "-", "q"},
		{"percent bad", "/a%zz", false, true, InvalidRequest, "", "-", "-", "q"},
		{"percent bad second", "/a%2z", false, true, InvalidRequest, "", "-", "-", "q"},
		{"control escaped", "/%02", false, true, OK, "/\x02", "-", "-", "q"},
		{"space escaped", "/a%20b", false, true, OK, "/a b", "-", "-", "q"},
		{"NUL escaped", "/a%00", false, true, InvalidRequest, "", "-", "-", "q"},
		{"escaped slash", "/a%2fb/../c", false, true, OK, "/a/c", "-", "-", "q"},
		{"escaped slash merged", "/a%2F%2Fb", false, true, OK, "/a/b", "-", "-", "q"},
		{"escaped dots", "/a/%2e%2E/b", false, true, OK, "/b", "-", "-", "q"},
		{"mixed escaped dots", "/a/b/.%2e/c", false, true, OK, "/a/c", "-", "-", "q"},
		{"escaped query kept", "/a%3fb?c", false, true, OK, "/a?b", "c", "-", "q"},
		{"escaped percent kept", "/a%2541", false, true, OK, "/a%41", "-", "-", "q"},
		{"escaped hash kept", "/a%23b", false, true, OK, "/a#b", "-", "-", "q"},
		{"escaped plus", "/a%2bb", false, true, OK, "/a+b", "-", "-", "pq"},
		{"escaped high byte", "/%D0%B6", false, true, OK, "/\xd0\xb6", "-", "-", "q"},
		{"plus", "/a+b", false, true, OK, "/a+b", "-", "-", "p"},
		{"plus after slash", "/a/+b", false, true, OK, "/a/+b", "-", "-", "p"},
		{"ext", "/a/b.txt", false, true, OK, "/a/b.txt", "-", "txt", ""},
		{"ext with args", "/a//b.txt?x.y", false, true, OK, "/a/b.txt", "x.y", "txt", ""},
		{"ext reset", "/a.b//c", false, true, OK, "/a.b/c", "-", "-", ""},
		{"ext fragment", "/a.b#c.d", false, true, OK, "/a.b", "-", "b", ""},
		{"ext after dot segment", "/a/./b.c", false, true, OK, "/a/b.c", "-", "c", ""},
		{"no ext for dot file", "/a/.htaccess", false, true, OK, "/a/.htaccess", "-", "-", ""},
		{"args with fragment", "/a//b?x=1#frag", false, true, OK, "/a/b", "x=1", "-", ""},
		{"empty args", "/a//b?", false, true, OK, "/a/b", "", "-", ""},
		{"args with escape not decoded", "/a/./?%zz", false, true, OK, "/a/", "%zz", "-", ""},
		{"fragment ends path", "/a#b/../..", false, true, OK, "/a", "-", "-", ""},
		{"empty path args", "?args", true, true, OK, "/", "args", "-", ""},
		{"empty path args frag", "?args#frag", true, true, OK, "/", "args", "-", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte(tt.src)
			dst := make([]byte, ComplexURIDstLen(src))
			u, res := ParseComplexURI(dst, src, tt.emptyPath, tt.merge)
			if res != tt.res {
				t.Fatalf("res = %v, want %v", res, tt.res)
			}
			flags := ""
			if u.PlusInURI {
				flags += "p"
			}
			if u.QuotedURI {
				flags += "q"
			}
			if flags != tt.flags {
				t.Errorf("flags %q, want %q", flags, tt.flags)
			}
			if res != OK {
				return
			}
			args, ext := "-", "-"
			if u.ArgsStart >= 0 {
				args = string(src[u.ArgsStart:u.ArgsEnd])
			}
			if u.ExtStart >= 0 {
				ext = string(dst[u.ExtStart:u.Len])
			}
			if got := string(dst[:u.Len]); got != tt.path || args != tt.args || ext != tt.ext {
				t.Errorf("path %q args %q ext %q, want %q %q %q", got, args, ext, tt.path, tt.args, tt.ext)
			}
		})
	}
}

func TestParseComplexURIShortDst(t *testing.T) {
	if _, res := ParseComplexURI(make([]byte, 3), []byte("/abc"), false, true); res != Invalid {
		t.Errorf("res = %v, want Invalid", res)
	}
}

// TestComplexURIFromRequestLine runs the request-line flags into the
// normaliser as the server does.
func TestComplexURIFromRequestLine(t *testing.T) {
	tests := []struct {
		name, in, path string
	}{
		{"absolute query only", "GET http://h?x HTTP/1.1\r\n", "/"},
		{"dots", "GET /a/b/../c HTTP/1.1\r\n", "/a/c"},
		{"quoted", "GET /%41 HTTP/1.1\r\n", "/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var p RequestLine
			if res := p.Parse(in); res != OK {
				t.Fatal(res)
			}
			if !(p.ComplexURI || p.QuotedURI || p.EmptyPathInURI) {
				t.Fatal("request line did not ask for normalisation")
			}
			src := in[p.URIStart:p.URIEnd]
			dst := make([]byte, ComplexURIDstLen(src))
			u, res := ParseComplexURI(dst, src, p.EmptyPathInURI, true)
			if res != OK || string(dst[:u.Len]) != tt.path {
				t.Errorf("got %q %v", dst[:u.Len], res)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	tests := []struct {
		name  string
		uri   string
		res   Result
		flags string // c q p
		args  int
		ext   int
	}{
		{"root", "/", OK, "", -1, -1},
		{"plain", "/a/b.html", OK, "", -1, 5},
		{"args", "/a?b=1", OK, "", 3, -1},
		{"double slash", "/a//b", OK, "c", -1, -1},
		{"dot segment", "/./a", OK, "c", -1, -1},
		{"quoted", "/a%20", OK, "q", -1, -1},
		{"plus", "/a+b", OK, "p", -1, -1},
		{"fragment", "/a#b", OK, "c", -1, -1},
		{"fragment in args", "/a?b#c", OK, "c", 3, -1},
		{"ext reset", "/a.b/c", OK, "", -1, -1},
		{"empty", "", Invalid, "", -1, -1},
		{"not slash", "a/b", Invalid, "", -1, -1},
		{"asterisk", "*", Invalid, "", -1, -1},
		{"space", "/a b", Invalid, "", -1, -1},
		{"space in args", "/a?b c", Invalid, "", 3, -1},
		{"control", "/a\x01", Invalid, "", -1, -1},
		{"DEL after slash", "/\x7f", Invalid, "", -1, -1},
		{"NUL", "/a\x00", Invalid, "", -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, res := ParseURI([]byte(tt.uri))
			if res != tt.res {
				t.Fatalf("res = %v, want %v", res, tt.res)
			}
			if res != OK {
				return
			}
			flags := ""
			if info.ComplexURI {
				flags += "c"
			}
			if info.QuotedURI {
				flags += "q"
			}
			if info.PlusInURI {
				flags += "p"
			}
			if flags != tt.flags || info.ArgsStart != tt.args || info.ExtStart != tt.ext {
				t.Errorf("got %q args %d ext %d, want %q %d %d", flags, info.ArgsStart, info.ExtStart, tt.flags, tt.args, tt.ext)
			}
		})
	}
}

func TestParseUnsafeURI(t *testing.T) {
	tests := []struct {
		name       string
		uri        string
		ok         bool
		path, args string // args "-" when absent
	}{
		{"plain", "/a/b", true, "/a/b", "-"},
		{"args", "/a?b=1&c", true, "/a", "b=1&c"},
		{"empty args", "/a?", true, "/a", ""},
		{"relative", "a/b", true, "a/b", "-"},
		{"dots inside name", "/a/..b/c..", true, "/a/..b/c..", "-"},
		{"dot segment allowed", "/a/./b", true, "/a/./b", "-"},
		{"dot dot in args", "/a?../..", true, "/a", "../.."},
		{"dot dot before args", "/a/..?x", true, "/a/..", "x"},
		{"quoted", "/%41%42?%43", true, "/AB", "%43"},
		{"quoted bad escape kept", "/a%zz", true, "/azz", "-"},
		{"empty", "", false, "", "-"},
		{"args only", "?a", false, "", "-"},
		{"dot dot", "..", false, "", "-"},
		{"dot dot slash", "../a", false, "", "-"},
		{"slash dot dot", "/..", false, "", "-"},
		{"slash dot dot slash", "/a/../b", false, "", "-"},
		{"trailing dot dot", "/a/..", false, "", "-"},
		{"NUL", "/a\x00b", false, "", "-"},
		{"quoted dot dot", "/a/%2e%2e/b", false, "", "-"},
		{"quoted leading dot dot", "%2e%2e/b", false, "", "-"},
		{"quoted slash dot dot", "/a%2f..", false, "", "-"},
		{"quoted NUL", "/a%00", false, "", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]byte, 0, len(tt.uri))
			path, args, ok := ParseUnsafeURI(dst, []byte(tt.uri))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			a := "-"
			if args != nil {
				a = string(args)
			}
			if string(path) != tt.path || a != tt.args {
				t.Errorf("path %q args %q, want %q %q", path, a, tt.path, tt.args)
			}
		})
	}
}
