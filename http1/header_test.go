package http1

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/ascii"
)

func TestHeaderLine(t *testing.T) {
	type line struct {
		name, value string
		invalid     bool
		lower       string // "<nil>" when LowerName is nil
	}
	tests := []struct {
		name        string
		in          string
		underscores bool
		upstream    bool
		res         Result
		want        line // for OK
		pos         int  // for errors: offending byte; for OK: Pos
		logged      string
	}{
		{"simple", "Host: example.com\r\n", false, false, OK, line{"Host", "example.com", false, "host"}, 19, ""},
		{"no space", "Host:example.com\r\n", false, false, OK, line{"Host", "example.com", false, "host"}, 18, ""},
		{"bare LF", "Host: a\n", false, false, OK, line{"Host", "a", false, "host"}, 8, ""},
		{"spaces trimmed", "X:   a b  \r\n", false, false, OK, line{"X", "a b", false, "x"}, 12, ""},
		{"tabs kept", "X:\ta\tb\t\r\n", false, false, OK, line{"X", "\ta\tb\t", false, "x"}, 9, ""},
		{"empty value", "X:\r\n", false, false, OK, line{"X", "", false, "x"}, 4, ""},
		{"empty value spaces", "X:   \r\n", false, false, OK, line{"X", "", false, "x"}, 7, ""},
		{"empty value LF", "X:\n", false, false, OK, line{"X", "", false, "x"}, 3, ""},
		{"no colon", "X-Foo\r\n", false, false, OK, line{"X-Foo", "", false, "x-foo"}, 7, ""},
		{"no colon LF", "X-Foo\n", false, false, OK, line{"X-Foo", "", false, "x-foo"}, 6, ""},
		{"colon in value", "X: a:b\r\n", false, false, OK, line{"X", "a:b", false, "x"}, 8, ""},
		{"extra CR", "X: a\r\r\n", false, false, OK, line{"X", "a", false, "x"}, 7, ""},
		{"high bytes in value", "X: \xff\xfe\r\n", false, false, OK, line{"X", "\xff\xfe", false, "x"}, 7, ""},
		{"control in value kept", "X: a\x01b\x7f\r\n", false, false, OK, line{"X", "a\x01b\x7f", false, "x"}, 9, ""},
		{"digits in name", "X-1: 2\r\n", false, false, OK, line{"X-1", "2", false, "x-1"}, 8, ""},
		{"underscore refused", "X_Y: 1\r\n", false, false, OK, line{"X_Y", "1", true, "<nil>"}, 8, ""},
		{"underscore first refused", "_X: 1\r\n", false, false, OK, line{"_X", "1", true, "<nil>"}, 7, ""},
		{"underscore allowed", "X_Y: 1\r\n", true, false, OK, line{"X_Y", "1", false, "x_y"}, 8, ""},
		{"underscore first allowed", "_X: 1\r\n", true, false, OK, line{"_X", "1", false, "_x"}, 7, ""},
		{"odd name byte", "X@Y: 1\r\n", false, false, OK, line{"X@Y", "1", true, "<nil>"}, 8, ""},
		{"odd first byte", "{X: 1\r\n", false, false, OK, line{"{X", "1", true, "<nil>"}, 7, ""},
		{"dot in name", "X.Y: 1\r\n", false, false, OK, line{"X.Y", "1", true, "<nil>"}, 8, ""},
		{"high byte in name", "\xc3\x9c: 1\r\n", false, false, OK, line{"\xc3\x9c", "1", true, "<nil>"}, 7, ""},
		{"upstream status repeat", "HTTP/1.1 200 OK\r\nX: 1\r\n", false, true, OK, line{"X", "1", false, "x"}, 23, ""},
		{"status line not skipped for clients", "HTTP/1.1 200 OK\r\n", false, false, InvalidHeader, line{}, 8, "HTTP/1.1"},
		{"lowercase http not skipped", "http/1.1 200\r\n", false, true, InvalidHeader, line{}, 8, "http/1.1"},

		{"space in name", "X Y: 1\r\n", false, false, InvalidHeader, line{}, 1, "X"},
		{"space before colon", "Host : a\r\n", false, false, InvalidHeader, line{}, 4, "Host"},
		{"tab in name", "X\tY: 1\r\n", false, false, InvalidHeader, line{}, 1, "X"},
		{"obs-fold space", " folded\r\n", false, false, InvalidHeader, line{}, 0, ""},
		{"obs-fold tab", "\tfolded\r\n", false, false, InvalidHeader, line{}, 0, ""},
		{"leading colon", ":X: 1\r\n", false, false, InvalidHeader, line{}, 0, ""},
		{"NUL first", "\x00X: 1\r\n", false, false, InvalidHeader, line{}, 0, ""},
		{"NUL in name", "X\x00: 1\r\n", false, false, InvalidHeader, line{}, 1, "X"},
		{"DEL in name", "X\x7f: 1\r\n", false, false, InvalidHeader, line{}, 1, "X"},
		{"DEL first", "\x7fX: 1\r\n", false, false, InvalidHeader, line{}, 0, ""},
		{"NUL in value", "X: a\x00b\r\n", false, false, InvalidHeader, line{}, 4, "X: a"},
		{"NUL first in value", "X: \x00\r\n", false, false, InvalidHeader, line{}, 3, "X: "},
		{"NUL after value space", "X: a \x00\r\n", false, false, InvalidHeader, line{}, 5, "X: a "},
		{"CR then junk", "X: a\rb\r\n", false, false, InvalidHeader, line{}, 5, "X: a"},
		{"CR then junk no value", "X:\rb", false, false, InvalidHeader, line{}, 3, "X:"},
		{"empty line CR junk", "\rX", false, false, InvalidHeader, line{}, 1, ""},

		{"end CRLF", "\r\n", false, false, HeaderDone, line{}, 2, ""},
		{"end LF", "\n", false, false, HeaderDone, line{}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			checkSplits(t, len(in), func(ends []int) HeaderParser {
				h := HeaderParser{AllowUnderscores: tt.underscores, Upstream: tt.upstream}
				for _, e := range ends {
					if h.Parse(in[:e]) != NeedMore {
						break
					}
				}
				return h
			})
			h := HeaderParser{AllowUnderscores: tt.underscores, Upstream: tt.upstream}
			res := h.Parse(in)
			if res != tt.res {
				t.Fatalf("Parse = %v, want %v (pos %d)", res, tt.res, h.Pos)
			}
			if h.Pos != tt.pos {
				t.Errorf("Pos = %d, want %d", h.Pos, tt.pos)
			}
			switch res {
			case OK:
				lower := "<nil>"
				if l := h.LowerName(); l != nil {
					lower = string(l)
				}
				got := line{string(h.Name(in)), string(h.Value(in)), h.Invalid, lower}
				if got != tt.want {
					t.Errorf("got  %+v\nwant %+v", got, tt.want)
				}
			case InvalidHeader:
				if got := string(in[h.NameStart:h.ValueEnd]); got != tt.logged {
					t.Errorf("logged line %q, want %q", got, tt.logged)
				}
				if again := h.Parse(in); again != InvalidHeader {
					t.Errorf("Parse after error = %v", again)
				}
			}
		})
	}
}

func TestHeaderBlock(t *testing.T) {
	in := []byte("Host: a\r\nX_Y: 1\r\nHTTP/1.1 100\r\nUser-Agent: curl/8.5.0\r\n\r\nbody")
	tests := []struct {
		name                  string
		underscores, upstream bool
		want                  string
		res                   Result
	}{
		{"client", false, false, "Host=a X_Y=1!", InvalidHeader},
		{"upstream", true, true, "Host=a X_Y=1 User-Agent=curl/8.5.0", HeaderDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HeaderParser{AllowUnderscores: tt.underscores, Upstream: tt.upstream}
			var got []string
			var res Result
			for res = h.Parse(in); res == OK; res = h.Parse(in) {
				s := string(h.Name(in)) + "=" + string(h.Value(in))
				if h.Invalid {
					s += "!"
				}
				got = append(got, s)
			}
			if res != tt.res || strings.Join(got, " ") != tt.want {
				t.Fatalf("got %q %v, want %q %v", got, res, tt.want, tt.res)
			}
			if res == HeaderDone && string(in[h.Pos:]) != "body" {
				t.Errorf("body starts at %q", in[h.Pos:])
			}
		})
	}
}

func TestHeaderLowerName(t *testing.T) {
	tests := []struct {
		name string
		n    int
		ok   bool
	}{
		{"31 bytes", 31, true},
		{"32 bytes", 32, true},
		{"33 bytes", 33, false},
		{"100 bytes", 100, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.Repeat("AbC-", 25)[:tt.n]
			in := []byte(name + ": v\r\n")
			var h HeaderParser
			if res := h.Parse(in); res != OK {
				t.Fatal(res)
			}
			l := h.LowerName()
			if (l != nil) != tt.ok {
				t.Fatalf("LowerName = %q", l)
			}
			want := strings.ToLower(name)
			if l != nil && string(l) != want {
				t.Errorf("LowerName = %q", l)
			}
			if got := string(ascii.AppendLower(nil, h.Name(in))); got != want {
				t.Errorf("ascii.AppendLower = %q", got)
			}
		})
	}
}

func TestHeaderShift(t *testing.T) {
	in := []byte("GET / HTTP/1.1\r\nX-Long-Header: some value\r\n\r\n")
	var h HeaderParser
	h.Pos = 16
	if res := h.Parse(in[:30]); res != NeedMore || !h.InProgress() {
		t.Fatalf("Parse = %v", res)
	}
	start := h.NameStart
	moved := append([]byte(nil), in[start:]...)
	h.Shift(start)
	if res := h.Parse(moved); res != OK {
		t.Fatalf("Parse after Shift = %v", res)
	}
	if n, v := string(h.Name(moved)), string(h.Value(moved)); n != "X-Long-Header" || v != "some value" {
		t.Errorf("got %q: %q", n, v)
	}
	if res := h.Parse(moved); res != HeaderDone {
		t.Errorf("Parse = %v", res)
	}
}

// requestSamples are whole request heads used by the split and fuzz tests.
var requestSamples = []string{
	"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
	"GET /search?q=go+lang&lang=en HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\nUpgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nPriority: u=0, i\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
	"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\nX-Y_Z: 1\n\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	"GET /\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\rX",
}

func TestRequestSplits(t *testing.T) {
	for i, in := range requestSamples {
		for _, us := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/underscores=%v", i, us), func(t *testing.T) {
				b := []byte(in)
				out := checkSplits(t, len(b), func(ends []int) requestOutcome {
					return feedRequest(b, ends, us)
				})
				if out.lineRes == NeedMore || out.line.Version >= 1000 && out.hdrRes == NeedMore {
					t.Errorf("sample did not finish: %+v", out)
				}
			})
		}
	}
}
