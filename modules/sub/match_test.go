package sub

import (
	"bytes"
	"strings"
	"testing"
)

// collector is an emitter that builds the output text, replacing pattern
// i with repl[i].
type collector struct {
	repl []string
	b    bytes.Buffer
}

func (c *collector) raw(b []byte)    { c.b.Write(b) }
func (c *collector) replace(pat int) { c.b.WriteString(c.repl[pat]) }

// stream runs pieces through a fresh stream; it checks that the held tail
// never reaches the longest pattern's length.
func runStream(t testing.TB, pats, repl []string, once bool, pieces []string) string {
	t.Helper()
	tb := newTable(pats, nil)
	st := newStream(tb, once)
	c := &collector{repl: repl}
	for _, p := range pieces {
		st.feed([]byte(p), c)
		if len(st.held) >= tb.max {
			t.Fatalf("held %q, longer than the longest pattern less one (%d)", st.held, tb.max-1)
		}
		st.release()
	}
	st.end(c)
	return c.b.String()
}

// reference is the rule nginx follows, written plainly for a whole body:
// starts left to right once the shortest pattern fits, patterns in
// configuration order, a partial match at the end leaves the rest as is.
func reference(pats, repl []string, once bool, body string) string {
	minLen := len(pats[0])
	for _, p := range pats {
		minLen = min(minLen, len(p))
	}
	lb := asciiLower(body)
	applied := make([]bool, len(pats))
	nApplied := 0
	var out strings.Builder
	s, from := 0, 0
outer:
	for s+minLen <= len(body) {
		if once && nApplied == len(pats) {
			break
		}
		for i, p := range pats {
			if once && applied[i] {
				continue
			}
			p = asciiLower(p)
			rest := lb[s:]
			switch {
			case strings.HasPrefix(rest, p):
				out.WriteString(body[from:s])
				out.WriteString(repl[i])
				if !applied[i] {
					applied[i] = true
					nApplied++
				}
				s += len(p)
				from = s
				continue outer
			case len(rest) < len(p) && strings.HasPrefix(p, rest):
				break outer
			}
		}
		s++
	}
	out.WriteString(body[from:])
	return out.String()
}

// splits returns body cut in every way into two pieces, byte by byte, and
// whole; short bodies also in every way into three pieces.
func splits(body string) [][]string {
	out := [][]string{{body}}
	bytewise := make([]string, len(body))
	for i := 0; i < len(body); i++ {
		bytewise[i] = body[i : i+1]
	}
	out = append(out, bytewise)
	for i := 0; i <= len(body); i++ {
		out = append(out, []string{body[:i], body[i:]})
		if len(body) > 64 {
			continue
		}
		for j := i; j <= len(body); j++ {
			out = append(out, []string{body[:i], body[i:j], body[j:]})
		}
	}
	return out
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name string
		pats []string
		repl []string
		once bool
		body string
		want string
	}{
		{"simple", []string{"foo"}, []string{"bar"}, true, "foo", "bar"},
		{"caseless body", []string{"foo"}, []string{"bar"}, true, "xFoOx", "xbarx"},
		{"caseless pattern", []string{"FOO"}, []string{"bar"}, true, "xfoox", "xbarx"},
		{"replacement keeps its case", []string{"a"}, []string{"B"}, false, "aA", "BB"},
		{"once", []string{"foo"}, []string{"bar"}, true, "foofoo", "barfoo"},
		{"many", []string{"foo"}, []string{"bar"}, false, "foofoo", "barbar"},
		{"incomplete", []string{"foo"}, []string{"bar"}, false, "fo", "fo"},
		{"incomplete long", []string{"foo"}, []string{"bar"}, false, "foofo", "barfo"},
		{"complex", []string{"abac"}, []string{"_replaced"}, true, "abaabac", "aba_replaced"},
		{"complex 2nd char", []string{"abac"}, []string{"_replaced"}, true, "ababac", "ab_replaced"},
		{"complex2 long", []string{"ababx"}, []string{"_replaced"}, true, "abababX", "ab_replaced"},
		{"aab in aab", []string{"aab"}, []string{"_"}, true, "aab", "_"},
		{"aab in aaab", []string{"aab"}, []string{"_"}, true, "aaab", "a_"},
		{"aab in aaaab", []string{"aab"}, []string{"_"}, true, "aaaab", "aa_"},
		{"aab in aaxaaab", []string{"aab"}, []string{"_"}, true, "aaaaxaaab", "aaaaxa_"},
		{"single", []string{"a"}, []string{"B"}, true, "CAAC", "CBAC"},
		{"single many", []string{"a"}, []string{"B"}, false, "CAAC", "CBBC"},
		{"empty replacement", []string{"foo"}, []string{""}, false, "afoobfooc", "abc"},
		{"empty body", []string{"foo"}, []string{"bar"}, false, "", ""},
		{"multi", []string{"aab", "yyz"}, []string{"+", "-"}, false, "aabAyyzBaab", "+A-B+"},
		{"multi partial", []string{"aabb", "aaabb"}, []string{"+", "-"}, false, "aabbaaabbaabb", "+-+"},
		{"multi exact", []string{"aacbb", "aadbb"}, []string{"+", "-"}, false, "aadbbaacbb", "-+"},
		{"multi once 1", []string{"aab", "yyz"}, []string{"+", "-"}, true, "aabyyzaab", "+-aab"},
		{"multi once 2", []string{"aab", "yyz"}, []string{"+", "-"}, true, "yyzaabyyz", "-+yyz"},
		{"multi once 3", []string{"aab", "yyz"}, []string{"+", "-"}, true, "yyzyyzaabaabyyz", "-yyz+aabyyz"},
		{"minimal", []string{"ab", "cd", "ef", "gh", "x"}, []string{"+", "-", "*", "!", "_"}, false,
			"AAabcdefghBxBabCxCcdDDefEEghFF", "AA+-*!B_B+C_C-DD*EE!FF"},
		{"first configured wins at one start", []string{"ab", "abc"}, []string{"1", "2"}, false, "abc", "1c"},
		{"first configured wins, longer first", []string{"abc", "ab"}, []string{"2", "1"}, false, "abcabx", "21x"},
		{"a partial match at the end is left as is", []string{"abc", "ab"}, []string{"2", "1"}, false, "abcab", "2ab"},
		{"leftmost wins over configuration order", []string{"bc", "ab"}, []string{"1", "2"}, false, "abc", "2c"},
		{"overlapping prefixes", []string{"abpatternyz", "abpa", "tter"}, []string{"+", "-", "*"}, false,
			"abpatternyzABCDEabpatternyABCDE", "+ABCDE-*nyABCDE"},
		{"partial match hides a later one at the end", []string{"foobar", "oob"}, []string{"1", "2"}, false, "xfoob", "xfoob"},
		{"partial match hides a shorter one at the end", []string{"abcd", "ab"}, []string{"1", "2"}, false, "xabc", "xabc"},
		{"partial match fails, shorter one then", []string{"abcd", "ab"}, []string{"1", "2"}, false, "xabcx", "x2cx"},
		{"utf-8", []string{"模様", "паттерн"}, []string{"1", "2"}, false, "ТЕКСТ模様ТЕКСТпаттерн", "ТЕКСТ1ТЕКСТ2"},
		{"non-ASCII is case-sensitive", []string{"паттерн"}, []string{"2"}, false, "ПАТТЕРН", "ПАТТЕРН"},
		{"long pattern", []string{strings.Repeat("0123456789abcdef", 17), "yz"}, []string{"+", "-"}, false,
			"ABC" + strings.Repeat("0123456789abcdef", 17) + "yz" + "ABC" + strings.Repeat("0123456789ABCDEF", 17) + "XYZ",
			"ABC+-ABC+X-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := runStream(t, tc.pats, tc.repl, tc.once, []string{tc.body}); got != tc.want {
				t.Fatalf("whole: got %q, want %q", got, tc.want)
			}
			if got := reference(tc.pats, tc.repl, tc.once, tc.body); got != tc.want {
				t.Fatalf("the reference gives %q, want %q", got, tc.want)
			}
			for _, pieces := range splits(tc.body) {
				if got := runStream(t, tc.pats, tc.repl, tc.once, pieces); got != tc.want {
					t.Fatalf("split %q: got %q, want %q", pieces, got, tc.want)
				}
			}
		})
	}
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestHeld checks what is held back after a piece: only a possible match.
func TestHeld(t *testing.T) {
	tests := []struct {
		name string
		pats []string
		data string
		sent string
	}{
		{"no partial match: all sent", []string{"ab"}, "xyz", "xyz"},
		{"partial match of the last byte", []string{"za"}, "xyz", "xy"},
		{"partial match of a long pattern", []string{"abcdef", "xy"}, "0abcd", "0"},
		{"the scan waits at a partial match", []string{"abcdef", "dex"}, "0abcde", "0"},
		{"the short tail is kept from a partial match", []string{"abcdef", "dex"}, "0abxde", "0abx"},
		{"partial match inside a full-length window", []string{"abcd", "bc"}, "xabc", "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStream(newTable(tc.pats, nil), false)
			c := &collector{repl: make([]string, len(tc.pats))}
			st.feed([]byte(tc.data), c)
			if got := c.b.String(); got != tc.sent {
				t.Errorf("sent %q, want %q (held %q)", got, tc.sent, st.held)
			}
			if got := c.b.String() + string(st.held); got != tc.data {
				t.Errorf("sent+held %q, want %q", got, tc.data)
			}
		})
	}
}

// TestMatcherReference compares the stream with the plain rule over many
// small bodies and pattern sets, whole and byte by byte.
func TestMatcherReference(t *testing.T) {
	patSets := [][]string{
		{"a"}, {"ab"}, {"aab"}, {"aba"}, {"ab", "b"}, {"b", "ab"}, {"ab", "ba"},
		{"aab", "ab"}, {"ab", "aab"}, {"aaa", "aab", "ab"}, {"abab", "ba", "a"},
		{"bbb", "abba"}, {"a", "aa", "aaa"}, {"aaa", "aa", "a"},
	}
	repl := []string{"<0>", "<1>", "<2>", "<3>"}
	var bodies []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		bodies = append(bodies, prefix)
		if n == 0 {
			return
		}
		for _, c := range []string{"a", "b", "A", "x"} {
			gen(prefix+c, n-1)
		}
	}
	gen("", 5)
	for _, pats := range patSets {
		for _, once := range []bool{false, true} {
			for _, body := range bodies {
				want := reference(pats, repl, once, body)
				if got := runStream(t, pats, repl, once, []string{body}); got != want {
					t.Fatalf("%q once=%v %q: whole %q, reference %q", pats, once, body, got, want)
				}
				var bytewise []string
				for i := range body {
					bytewise = append(bytewise, body[i:i+1])
				}
				if got := runStream(t, pats, repl, once, bytewise); got != want {
					t.Fatalf("%q once=%v %q: byte by byte %q, reference %q", pats, once, body, got, want)
				}
			}
		}
	}
}
