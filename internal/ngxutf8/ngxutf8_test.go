package ngxutf8

import (
	"testing"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		n    uint32
		used int
	}{
		{"two bytes", []byte("\xd0\xb0"), 0x430, 2},
		{"three bytes", []byte("\xe2\x82\xac"), 0x20ac, 3},
		{"four bytes", []byte("\xf0\x9f\x98\x80"), 0x1f600, 4},
		{"cut", []byte("\xe2\x82"), Incomplete, 0},
		{"continuation lead", []byte("\x80"), Invalid, 1},
		{"overlong c0", []byte("\xc0\x80"), Invalid, 1},
		{"overlong e0", []byte("\xe0\x80\x80"), Invalid, 3},
		{"ascii inside", []byte("\xe2\x41\x80"), Invalid, 2},
		{"lead as continuation", []byte("\xd0\xd0"), 0x410, 2},
		{"f8", []byte("\xf8\x80\x80\x80"), Invalid, 1},
		{"above U+10FFFF", []byte("\xf4\x90\x80\x80"), 0x110000, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, used := Decode(tc.in)
			if n != tc.n || used != tc.used {
				t.Errorf("Decode(%q) = %#x, %d; want %#x, %d", tc.in, n, used, tc.n, tc.used)
			}
		})
	}
}

// FuzzDecode checks Decode against unicode/utf8 where Go accepts a
// character: the same code point and length (nginx accepts more: any
// continuation byte from 0x80, and surrogates).
func FuzzDecode(f *testing.F) {
	f.Add([]byte("\xd0\xb0"))
	f.Add([]byte("\xf0\x9f\x98\x80"))
	f.Add([]byte("\xed\xa0\x80"))
	f.Fuzz(func(t *testing.T, s []byte) {
		if len(s) == 0 || s[0] < 0x80 {
			return // ASCII is the callers' to handle
		}
		u, n := Decode(s)
		if n > len(s) || n < 0 {
			t.Fatalf("%q: used %d", s, n)
		}
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size <= 1 {
			return
		}
		if uint32(r) != u || size != n {
			t.Fatalf("%q: Decode %#x, %d; utf8 %#x, %d", s, u, n, r, size)
		}
		if u2, _ := Decode(string(s)); u2 != u {
			t.Fatalf("%q: string and bytes differ", s)
		}
	})
}
