package http1

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	const printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"
	tests := []struct {
		name string
		mode EscapeMode
		in   string
		want string
	}{
		{"uri printable", EscapeURI, printable,
			"%20!%22%23$%25&'()*+,-./0123456789:;%3C=%3E%3F@ABCXYZ[%5C]%5E_%60abcxyz%7B%7C%7D~"},
		{"args printable", EscapeArgs, printable,
			"%20!%22%23$%25%26'()*%2B,-./0123456789:%3B%3C=%3E%3F@ABCXYZ[%5C]%5E_%60abcxyz%7B%7C%7D~"},
		{"component printable", EscapeURIComponent, printable,
			"%20%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F%40ABCXYZ%5B%5C%5D%5E_%60abcxyz%7B%7C%7D~"},
		{"html printable", EscapeHTMLAttr, printable,
			"%20!%22%23$%25&%27()*+,-./0123456789:;%3C=%3E?@ABCXYZ[%5C]%5E_%60abcxyz%7B%7C%7D~"},
		{"refresh printable", EscapeRefresh, printable,
			"%20!%22#$%&%27()*+,-./0123456789:;%3C=%3E?@ABCXYZ[%5C]%5E_%60abcxyz%7B%7C}%7E"},
		{"memcached printable", EscapeMemcached, printable,
			"%20!\"#$%25&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"},
		{"mail auth printable", EscapeMailAuth, printable,
			"%20!\"#$%25&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"},
		{"xtext printable", EscapeMailXtext, printable,
			"+20!\"#$%&'()*+2B,-./0123456789:;<+3D>?@ABCXYZ[\\]^_`abcxyz{|}~"},
		{"uri controls and high", EscapeURI, "\x00\x1f\x7f\x80\xff", "%00%1F%7F%80%FF"},
		{"memcached controls and high", EscapeMemcached, "\x00\x1f\x7f\x80\xff", "%00%1F\x7f\x80\xff"},
		{"empty", EscapeURI, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Escape([]byte("pre:"), []byte(tt.in), tt.mode))
			if got != "pre:"+tt.want {
				t.Errorf("Escape =\n%q\nwant\n%q", got, "pre:"+tt.want)
			}
			if n := EscapeCount([]byte(tt.in), tt.mode); len(tt.in)+2*n != len(tt.want) {
				t.Errorf("EscapeCount = %d, output length %d", n, len(tt.want))
			}
		})
	}
}

func TestEscapeHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"all", `<a href="x">&amp;'</a>`, "&lt;a href=&quot;x&quot;&gt;&amp;amp;'&lt;/a&gt;"},
		{"none", "plain text", "plain text"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(EscapeHTML(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("EscapeHTML = %q, want %q", got, tt.want)
			}
			if n := EscapeHTMLLen([]byte(tt.in)); n != len(tt.want) {
				t.Errorf("EscapeHTMLLen = %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		name     string
		mode     UnescapeMode
		in, want string
		consumed int
	}{
		{"plain", UnescapePlain, "/a%20b%2Fc%2fd", "/a b/c/d", 14},
		{"plain query kept", UnescapePlain, "/a?b%3Fc", "/a?b?c", 8},
		{"plain invalid first", UnescapePlain, "%zz", "zz", 3},
		{"plain invalid second", UnescapePlain, "%2z", "", 3},
		{"plain truncated", UnescapePlain, "a%2", "a", 3},
		{"plain lone percent", UnescapePlain, "a%", "a", 2},
		{"plain NUL", UnescapePlain, "%00", "\x00", 3},
		{"plain plus kept", UnescapePlain, "a+b", "a+b", 3},
		{"uri stops at query", UnescapeURI, "/a%20?b%20", "/a ?", 6},
		{"uri stops at escaped query", UnescapeURI, "/a%3Fb", "/a?", 5},
		{"uri lowercase escaped query", UnescapeURI, "/a%3fb", "/a?", 5},
		{"redirect stops at query", UnescapeRedirect, "/a?b", "/a?", 3},
		{"redirect keeps low bytes escaped", UnescapeRedirect, "%20%25%26%7E%7F%80%0A", "%20%25&~%7F%80%0A", 21},
		{"redirect letter escapes", UnescapeRedirect, "%2F%3f%3Fx", "/?", 6},
		{"redirect high escaped letter", UnescapeRedirect, "%C3%A9", "%C3%A9", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Unescape(nil, []byte(tt.in), tt.mode)
			if string(got) != tt.want || n != tt.consumed {
				t.Errorf("Unescape = %q, %d; want %q, %d", got, n, tt.want, tt.consumed)
			}
			// In place gives the same result.
			buf := []byte(tt.in)
			got2, _ := Unescape(buf[:0], buf, tt.mode)
			if string(got2) != tt.want {
				t.Errorf("in place = %q", got2)
			}
		})
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for _, mode := range []EscapeMode{EscapeURI, EscapeArgs, EscapeURIComponent, EscapeHTMLAttr, EscapeRefresh, EscapeMemcached} {
		esc := Escape(nil, all, mode)
		if mode != EscapeMemcached && strings.ContainsAny(string(esc), " \"<>") {
			t.Errorf("mode %d left a delimiter unescaped", mode)
		}
		if mode == EscapeRefresh || mode == EscapeHTMLAttr {
			continue // these keep '%' or '#' as is; not reversible
		}
		back, _ := Unescape(nil, esc, UnescapePlain)
		if string(back) != string(all) {
			t.Errorf("mode %d: round trip differs", mode)
		}
	}
}
