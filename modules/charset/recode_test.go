package charset

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// testPair is a koi8-r to utf-8 map of two letters and a single-byte map.
func testPairs(t testing.TB) (toUTF8, single *mapPair) {
	toUTF8 = newMapPair(0, 1, true)
	for _, l := range [][2]string{{"C1", "D0B0"}, {"C2", "D0B1"}, {"9A", "C2A0"}} { // а, б, nbsp
		if bad, ok := toUTF8.set(l[0], l[1]); !ok {
			t.Fatalf("bad %q", bad)
		}
	}
	single = newMapPair(0, 2, false)
	if bad, ok := single.set("58", "59"); !ok {
		t.Fatalf("bad %q", bad)
	}
	return toUTF8, single
}

func TestRecode(t *testing.T) {
	toUTF8, single := testPairs(t)
	tests := []struct {
		name   string
		t      table
		pieces []string
		want   string
	}{
		{"single", single.src2dst, []string{"XaX\x80"}, "YaY?"},
		{"single back", single.dst2src, []string{"YXy"}, "XXy"},
		{"to utf-8", toUTF8.src2dst, []string{"a\xc1\xc2\x9a\xff"}, "a\u0430\u0431\u00a0?"},
		{"from utf-8", toUTF8.dst2src, []string{"a\u0430\u0431\u00a0"}, "a\xc1\xc2\x9a"},
		{"entity", toUTF8.dst2src, []string{"\u20ac\U0001f600"}, "&#8364;&#128512;"},
		{"surrogate", toUTF8.dst2src, []string{"\xed\xa0\x80"}, "&#55296;"},
		{"invalid", toUTF8.dst2src, []string{"\x80\xc0\x80\xf4\x90\x80\x80x"}, "???" + "?x"},
		{"split", toUTF8.dst2src, []string{"\xd0", "\xb0\xe2\x82", "\xac"}, "\xc1&#8364;"},
		{"split in three", toUTF8.dst2src, []string{"\xf0", "\x9f", "\x98", "\x80!"}, "&#128512;!"},
		{"split invalid", toUTF8.dst2src, []string{"\xe2\x41", "\x80z"}, "??z"},
		{"split above range", toUTF8.dst2src, []string{"\xf4\x90", "\x80\x80z"}, "?z"},
		{"cut at the end", toUTF8.dst2src, []string{"a\xd0"}, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recoder{t: tc.t}
			var out []byte
			for _, p := range tc.pieces {
				out = rc.recode(out, []byte(p))
			}
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// FuzzRecodeFromUTF8 checks that recoding valid UTF-8 gives the same
// bytes however the input is cut (each byte of cuts is the next piece's
// length), and that nothing panics on any input. Invalid input may come
// out differently when cut, as in nginx: the bytes kept from the previous
// piece after a bad one are dropped with it.
func FuzzRecodeFromUTF8(f *testing.F) {
	f.Add([]byte("a\u0430\u20ac\U0001f600\xe2\x41\x80\xf4\x90\x80\x80"), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in, cuts []byte) {
		m, _ := testPairs(t)
		whole := (&recoder{t: m.dst2src}).recode(nil, in)
		rc := &recoder{t: m.dst2src}
		var out []byte
		rest := in
		for _, c := range cuts {
			k := min(int(c%8), len(rest))
			out = rc.recode(out, rest[:k])
			rest = rest[k:]
		}
		out = rc.recode(out, rest)
		if utf8.Valid(in) && !bytes.Equal(out, whole) {
			t.Fatalf("%q cut by %v: %q, whole: %q", in, cuts, out, whole)
		}
	})
}

// FuzzMapLine feeds charset_map lines to both kinds of map: a line is
// taken or refused, never a panic, and a UTF-8 line taken recodes its
// byte into a sequence whose first character recodes back to it (nginx
// keeps bytes after the first character in the sequence too).
func FuzzMapLine(f *testing.F) {
	f.Add("C1", "D0B0")
	f.Add("80", "E282AC")
	f.Add("100", "41")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, from, to string) {
		single := newMapPair(0, 1, false)
		if _, ok := single.set(from, to); ok {
			s, _ := hexByte(from)
			d, _ := hexByte(to)
			if single.src2dst.single[s] != d || single.dst2src.single[d] != s {
				t.Fatalf("%q %q: tables not set", from, to)
			}
		}
		m := newMapPair(0, 1, true)
		if _, ok := m.set(from, to); !ok {
			return
		}
		s, _ := hexByte(from)
		seq := m.src2dst.toUTF8[s]
		rc := &recoder{t: m.dst2src}
		if got := rc.recode(nil, seq); !bytes.HasPrefix(got, []byte{s}) && s != 0 {
			t.Fatalf("%q %q: %q recodes back to %q", from, to, seq, got)
		}
	})
}
