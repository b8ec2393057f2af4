package autoindex

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRoundedSize(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
	}{
		{"zero", 0, "      0"},
		{"bytes", 9999, "   9999"},
		{"ten thousand", 10000, "    10K"},
		{"round down", 10240 + 511, "    10K"},
		{"round up", 10240 + 512, "    11K"},
		{"almost a megabyte", 1024*1024 - 1, "  1024K"},
		{"megabyte", 1024 * 1024, "     1M"},
		{"one and a half megabytes", 1536 * 1024, "     2M"},
		{"gigabyte", 1 << 30, "     1G"},
		{"three gigabytes", 3 << 30, "     3G"},
		{"huge", 5 << 50, "5242880G"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendRoundedSize(nil, tc.n)); got != tc.want {
				t.Errorf("%d: %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}

func TestUTF8(t *testing.T) {
	tests := []struct {
		name   string
		s      string
		length int
		prefix int // bytes of the first 2 characters
	}{
		{"ascii", "abc", 3, 2},
		{"two-byte", "éé", 2, 4},
		{"three-byte", "€x", 2, 4},
		{"four-byte", "😀a", 2, 5},
		{"invalid lead stops the copy", "a\xffb", 3, 1},
		{"overlong", "\xc0\xafa", 3, 0},
		{"truncated", "é\xc3", 3, 2},
		{"bad continuation", "\xc3a", 2, 0},
		{"surrogate-range accepted as nginx does", "\xed\xa0\x80", 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := utf8Length(tc.s); got != tc.length {
				t.Errorf("utf8Length(%q) = %d, want %d", tc.s, got, tc.length)
			}
			if got := utf8Prefix(tc.s, 2); got != tc.prefix {
				t.Errorf("utf8Prefix(%q, 2) = %d, want %d", tc.s, got, tc.prefix)
			}
		})
	}
}

func TestJSONEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "a.txt", "a.txt"},
		{"quote and backslash", `a"b\c`, `a\"b\\c`},
		{"controls", "a\nb\r\t\b\f", `a\nb\r\t\b\f`},
		{"other control", "\x01\x1f", `\u0001\u001F`},
		{"utf-8 kept", "é", "é"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendJSONEscaped(nil, tc.in)); got != tc.want {
				t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidCallback(t *testing.T) {
	tests := []struct {
		name, cb string
		ok       bool
	}{
		{"empty", "", true},
		{"letters digits", "aZ09_.x", true},
		{"dash", "a-b", false},
		{"bracket", "a[0]", false},
		{"max length", strings.Repeat("c", 128), true},
		{"too long", strings.Repeat("c", 129), false},
		{"high byte", "caf\xc3\xa9", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidCallback(tc.cb); got != tc.ok {
				t.Errorf("ValidCallback(%q) = %v", tc.cb, got)
			}
		})
	}
}

// TestHTMLEntry checks the layout of listing lines: the name column is
// 50 characters wide, cut to 47 and "..>" when longer.
func TestHTMLEntry(t *testing.T) {
	const mtime = 1614834367 // 04-Mar-2021 05:06
	tests := []struct {
		name string
		e    Entry
		o    HTMLOptions
		want string
	}{
		{"file", Entry{Name: "a.txt", File: true, Mtime: mtime, Size: 3}, HTMLOptions{ExactSize: true},
			`<a href="a.txt">a.txt</a>` + strings.Repeat(" ", 45) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "3\r\n"},
		{"directory", Entry{Name: "d", Dir: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="d/">d/</a>` + strings.Repeat(" ", 48) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "-\r\n"},
		{"inexact directory", Entry{Name: "d", Dir: true, Mtime: mtime}, HTMLOptions{},
			`<a href="d/">d/</a>` + strings.Repeat(" ", 48) + " 04-Mar-2021 05:06       -\r\n"},
		{"escaped", Entry{Name: `a&"b`, File: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="a%26%22b">a&amp;&quot;b</a>` + strings.Repeat(" ", 46) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"exactly fifty", Entry{Name: strings.Repeat("x", 50), File: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="` + strings.Repeat("x", 50) + `">` + strings.Repeat("x", 50) + "</a> 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"fifty-character directory gets no slash", Entry{Name: strings.Repeat("x", 50), Dir: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="` + strings.Repeat("x", 50) + `/">` + strings.Repeat("x", 50) + "</a> 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "-\r\n"},
		{"long", Entry{Name: strings.Repeat("y", 60), File: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="` + strings.Repeat("y", 60) + `">` + strings.Repeat("y", 47) + "..&gt;</a> 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"long utf-8", Entry{Name: strings.Repeat("é", 60), File: true, Mtime: mtime}, HTMLOptions{UTF8: true, ExactSize: true},
			`<a href="` + strings.Repeat("%C3%A9", 60) + `">` + strings.Repeat("é", 47) + "..&gt;</a> 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"short utf-8", Entry{Name: "éé", File: true, Mtime: mtime}, HTMLOptions{UTF8: true, ExactSize: true},
			`<a href="%C3%A9%C3%A9">éé</a>` + strings.Repeat(" ", 48) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"utf-8 counted as bytes without charset", Entry{Name: "éé", File: true, Mtime: mtime}, HTMLOptions{ExactSize: true},
			`<a href="%C3%A9%C3%A9">éé</a>` + strings.Repeat(" ", 46) + " 04-Mar-2021 05:06" + strings.Repeat(" ", 19) + "0\r\n"},
		{"before 1970 shows the epoch", Entry{Name: "old", File: true, Mtime: -5}, HTMLOptions{ExactSize: true},
			`<a href="old">old</a>` + strings.Repeat(" ", 47) + " 01-Jan-1970 00:00" + strings.Repeat(" ", 19) + "0\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendHTMLEntry(nil, &tc.e, tc.o, 0)); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestSort(t *testing.T) {
	es := []Entry{{Name: "b"}, {Name: "Z", Dir: true}, {Name: "a"}, {Name: "B"}, {Name: "a", Dir: true}}
	Sort(es)
	var got []string
	for _, e := range es {
		got = append(got, e.Name)
	}
	if strings.Join(got, ",") != "Z,a,B,a,b" {
		t.Errorf("order %v", got)
	}
}

func FuzzHTMLEntry(f *testing.F) {
	for _, s := range []string{"a.txt", `a&"<>`, strings.Repeat("é", 60), "\xc3", strings.Repeat("x", 50)} {
		f.Add(s, true, false)
	}
	f.Fuzz(func(t *testing.T, name string, utf8Mode, dir bool) {
		if name == "" {
			return
		}
		line := string(appendHTMLEntry(nil, &Entry{Name: name, Dir: dir, File: !dir}, HTMLOptions{UTF8: utf8Mode, ExactSize: true}, 0))
		if !strings.HasPrefix(line, `<a href="`) || !strings.HasSuffix(line, "\r\n") || !strings.Contains(line, "</a>") {
			t.Fatalf("malformed line %q", line)
		}
		// the visible column is 50 characters, plus a space, when the
		// name fits and is plain ASCII
		if !utf8Mode && len(name) <= 50 && !needsHTMLEscape(name) && utf8.ValidString(name) && isASCII(name) {
			shown := line[strings.Index(line, `">`)+2:]
			shown = strings.Replace(shown, "</a>", "", 1)
			if got := strings.Index(shown, " 01-Jan-1970"); got != 50 {
				t.Fatalf("%q: date at column %d", line, got)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

func FuzzValidCallback(f *testing.F) {
	for _, s := range []string{"cb", "a-b", "my.cb_1", strings.Repeat("c", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidCallback(s) {
			for i := 0; i < len(s); i++ {
				if strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", s[i]) < 0 {
					t.Fatalf("%q accepted", s)
				}
			}
		}
	})
}
