package sub

import (
	"strings"
	"testing"
)

// FuzzSub checks that the streaming matcher gives the same output however
// the body is cut into pieces, and the same as the plain rule (reference).
// pats holds the patterns one a line (empty lines are dropped, at most 8
// are used); each byte of cuts is the length of the next piece (mod 64).
func FuzzSub(f *testing.F) {
	f.Add("foo", []byte("foofoo"), []byte{1, 2}, false)
	f.Add("aab", []byte("aaaab"), []byte{2}, true)
	f.Add("aab\nyyz", []byte("yyzyyzaabaabyyz"), []byte{3, 1, 4}, true)
	f.Add("abpatternyz\nabpa\ntter", []byte("abpatternyzABCDEabpatternyABCDE"), []byte{5, 5, 5}, false)
	f.Add("foobar\noob", []byte("xfoob"), []byte{3}, false)
	f.Fuzz(func(t *testing.T, pats string, body, cuts []byte, once bool) {
		var ps []string
		for _, p := range strings.Split(pats, "\n") {
			if p != "" && len(ps) < 8 {
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return
		}
		repl := make([]string, len(ps))
		for i := range repl {
			repl[i] = "<" + string(rune('0'+i)) + ">"
		}
		var pieces []string
		rest := string(body)
		for _, c := range cuts {
			n := min(int(c%64), len(rest))
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		pieces = append(pieces, rest)
		whole := runStream(t, ps, repl, once, []string{string(body)})
		if got := runStream(t, ps, repl, once, pieces); got != whole {
			t.Fatalf("patterns %q once=%v: pieces %q give %q, the whole body %q", ps, once, pieces, got, whole)
		}
		if want := reference(ps, repl, once, string(body)); whole != want {
			t.Fatalf("patterns %q once=%v body %q: %q, the reference %q", ps, once, body, whole, want)
		}
	})
}
