package http1

import (
	"fmt"
	"testing"
)

func TestStatusLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		res     Result
		code    int
		text    string
		version int
		pos     int
	}{
		{"ok", "HTTP/1.1 200 OK\r\n", OK, 200, "200 OK", 1001, 17},
		{"http10 no reason", "HTTP/1.0 404\r\n", OK, 404, "404", 1000, 14},
		{"bare LF", "HTTP/1.1 200 OK\n", OK, 200, "200 OK", 1001, 16},
		{"bare LF no reason", "HTTP/1.1 204\n", OK, 204, "204", 1001, 13},
		{"empty reason", "HTTP/1.1 200 \r\n", OK, 200, "200 ", 1001, 15},
		{"long reason", "HTTP/1.1 500 Internal Server Error\r\n", OK, 500, "500 Internal Server Error", 1001, 36},
		{"reason with controls", "HTTP/1.1 200 a\x00\tb\r\n", OK, 200, "200 a\x00\tb", 1001, 19},
		{"IIS substatus", "HTTP/1.1 403.1 Forbidden\r\n", OK, 403, "403.1 Forbidden", 1001, 26},
		{"spaces before code", "HTTP/1.1   200 OK\r\n", OK, 200, "200 OK", 1001, 19},
		{"space inside code", "HTTP/1.1 2 00 OK\r\n", OK, 200, " 00 OK", 1001, 18},
		{"code 000", "HTTP/1.1 000\r\n", OK, 0, "000", 1001, 14},
		{"code 999", "HTTP/1.1 999 X\r\n", OK, 999, "999 X", 1001, 16},
		{"http2 version", "HTTP/2.0 200 OK\r\n", OK, 200, "200 OK", 2000, 17},
		{"major 99", "HTTP/99.999 200\r\n", OK, 200, "200", 99999, 17},
		{"major 100", "HTTP/100.0 200\r\n", OK, 200, "200", 100000, 16},
		{"early hints", "HTTP/1.1 103 Early Hints\r\n", OK, 103, "103 Early Hints", 1001, 26},

		{"not http", "ICY 200 OK\r\n", Invalid, 0, "", 0, 0},
		{"lowercase", "http/1.1 200 OK\r\n", Invalid, 0, "", 0, 0},
		{"html body", "<html>", Invalid, 0, "", 0, 0},
		{"HTTX", "HTTX/1.1 200\r\n", Invalid, 0, "", 0, 3},
		{"no slash", "HTTP1.1 200\r\n", Invalid, 0, "", 0, 4},
		{"major 0", "HTTP/0.9 200\r\n", Invalid, 0, "", 0, 5},
		{"major 1000", "HTTP/1000.0 200\r\n", Invalid, 0, "", 0, 8},
		{"no minor", "HTTP/1 200\r\n", Invalid, 0, "", 0, 6},
		{"dot no minor", "HTTP/1. 200\r\n", Invalid, 0, "", 0, 7},
		{"minor 1000", "HTTP/1.1000 200\r\n", Invalid, 0, "", 0, 10},
		{"minor letter", "HTTP/1.x 200\r\n", Invalid, 0, "", 0, 7},
		{"no code", "HTTP/1.1 OK\r\n", Invalid, 0, "", 0, 9},
		{"no code CRLF", "HTTP/1.1 \r\n", Invalid, 0, "", 0, 9},
		{"short code", "HTTP/1.1 20 OK\r\n", Invalid, 0, "", 0, 12},
		{"long code", "HTTP/1.1 2000 OK\r\n", Invalid, 0, "", 0, 12},
		{"code letter", "HTTP/1.1 20x\r\n", Invalid, 0, "", 0, 11},
		{"tab after code", "HTTP/1.1 200\tOK\r\n", Invalid, 0, "", 0, 12},
		{"CR junk", "HTTP/1.1 200 OK\rX", Invalid, 0, "", 0, 16},
		{"CR CR", "HTTP/1.1 200 OK\r\r\n", Invalid, 0, "", 0, 16},
		{"tab before code", "HTTP/1.1\t200 OK\r\n", Invalid, 0, "", 0, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			checkSplits(t, len(in), func(ends []int) StatusLine {
				var s StatusLine
				for _, e := range ends {
					if s.Parse(in[:e]) != NeedMore {
						break
					}
				}
				return s
			})
			var s StatusLine
			res := s.Parse(in)
			if res != tt.res {
				t.Fatalf("Parse = %v, want %v (pos %d)", res, tt.res, s.Pos)
			}
			if s.Pos != tt.pos {
				t.Errorf("Pos = %d, want %d", s.Pos, tt.pos)
			}
			if res != OK {
				if s.LineStart != 0 {
					t.Errorf("LineStart = %d", s.LineStart)
				}
				if again := s.Parse(in); again != Invalid {
					t.Errorf("Parse after error = %v", again)
				}
				return
			}
			if s.Code != tt.code || string(in[s.Start:s.End]) != tt.text || s.Version != tt.version {
				t.Errorf("code %d text %q version %d, want %d %q %d",
					s.Code, in[s.Start:s.End], s.Version, tt.code, tt.text, tt.version)
			}
		})
	}
}

func TestStatusLineNeedMore(t *testing.T) {
	for _, in := range []string{"", "H", "HTTP/1.1", "HTTP/1.1 20", "HTTP/1.1 200", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r"} {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			var s StatusLine
			if res := s.Parse([]byte(in)); res != NeedMore || s.Pos != len(in) {
				t.Fatalf("Parse = %v, Pos %d", res, s.Pos)
			}
		})
	}
}

// responseSamples are upstream response heads used by the split and fuzz
// tests.
var responseSamples = []string{
	"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.0 302 Found\r\nLocation: http://a/\r\nSet-Cookie: a=1; Path=/\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX_Under: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"HTTP/1.1 100 Continue\r\nHTTP/1.1 200 OK\r\nX: 1\r\n\r\n",
	"HTTP/1.1 403.1 Forbidden\nX: 1\n\n",
	"HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n",
	"<html>hello</html>",
	"HTTP/1.1 2000 OK\r\n\r\n",
}

// responseOutcome is what parsing a whole response head produced.
type responseOutcome struct {
	status    StatusLine
	statusRes Result
	headers   string
	hdrRes    Result
	hdrPos    int
}

// feedResponse parses a status line and headers from in, growing the
// visible buffer through ends, as the proxy module does.
func feedResponse(in []byte, ends []int) responseOutcome {
	var out responseOutcome
	var s StatusLine
	h := HeaderParser{AllowUnderscores: true, Upstream: true}
	inHeaders := false
	out.statusRes, out.hdrRes = NeedMore, NeedMore
	for _, end := range ends {
		buf := in[:end]
		if !inHeaders {
			out.statusRes = s.Parse(buf)
			if out.statusRes == NeedMore {
				continue
			}
			if out.statusRes != OK {
				break
			}
			inHeaders = true
			h.Pos = s.Pos
		}
		for {
			res := h.Parse(buf)
			if res == OK {
				out.headers += fmt.Sprintf("%q|%q|%v|%q\n", h.Name(buf), h.Value(buf), h.Invalid, h.LowerName())
				continue
			}
			out.hdrRes = res
			break
		}
		if out.hdrRes != NeedMore {
			break
		}
	}
	out.status = s
	out.hdrPos = h.Pos
	return out
}

func TestResponseSplits(t *testing.T) {
	for i, in := range responseSamples {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			b := []byte(in)
			checkSplits(t, len(b), func(ends []int) responseOutcome {
				return feedResponse(b, ends)
			})
		})
	}
}
