package ascii

import (
	"strings"
	"testing"
)

// Strings that Go's Unicode folding equates with ASCII ones, and nginx
// does not.
const (
	longS  = "\u017f" // ſ, which strings.EqualFold matches with "s"
	kelvin = "\u212a" // K, which strings.EqualFold and ToLower take for "k"
	dotI   = "\u0130" // İ, which strings.ToLower makes three bytes long
)

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want bool
	}{
		{"same", "Content-Length", "Content-Length", true},
		{"case", "content-LENGTH", "Content-Length", true},
		{"empty", "", "", true},
		{"length", "Content-Length", "Content-Lengt", false},
		{"other letter", "Content-Lengti", "Content-Length", false},
		{"long s is not s", "Tran" + longS + "fer-Encoding", "Transfer-Encoding", false},
		{"kelvin is not k", kelvin + "eep-Alive", "Keep-Alive", false},
		{"punctuation is not folded", "a-b", "a_b", false},
		{"bytes past ASCII are compared as they are", "caf\xc3\xa9", "CAF\xc3\xa9", true},
		{"upper non-ASCII is not lowered", "\xc3\x89", "\xc3\xa9", false},
		{"@ and ` are not letters", "@", "`", false},
		{"[ and { are not letters", "[", "{", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EqualFold(tc.a, tc.b); got != tc.want {
				t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
	if !strings.EqualFold("Tran"+longS+"fer-Encoding", "Transfer-Encoding") {
		t.Fatal("strings.EqualFold no longer folds U+017F: the long-s case above tests nothing")
	}
}

func TestIndexFold(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s, sub string
		want   int
	}{
		{"start", "URL=/x", "url=", 0},
		{"middle", "5; Url=/x", "url=", 3},
		{"absent", "5; uri=/x", "url=", -1},
		{"after a multi-byte letter", dotI + "; url=/x", "url=", 4},
		{"empty sub", "abc", "", 0},
		{"longer sub", "ab", "abc", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IndexFold(tc.s, tc.sub); got != tc.want {
				t.Errorf("IndexFold(%q, %q) = %d, want %d", tc.s, tc.sub, got, tc.want)
			}
			if got := ContainsFold(tc.s, tc.sub); got != (tc.want >= 0) {
				t.Errorf("ContainsFold(%q, %q) = %v", tc.s, tc.sub, got)
			}
		})
	}
}

func TestHasPrefixFold(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s, prefix string
		want      bool
	}{
		{"prefix", "Basic abc", "basic ", true},
		{"whole", "basic", "basic", true},
		{"short", "bas", "basic", false},
		{"other", "Bearer x", "basic ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HasPrefixFold(tc.s, tc.prefix); got != tc.want {
				t.Errorf("HasPrefixFold(%q, %q) = %v, want %v", tc.s, tc.prefix, got, tc.want)
			}
		})
	}
}

func TestToLower(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		want string
	}{
		{"lower already", "keep-alive", "keep-alive"},
		{"mixed", "Keep-Alive", "keep-alive"},
		{"empty", "", ""},
		{"kelvin stays", kelvin + "eep-Alive", kelvin + "eep-alive"},
		{"dotted I keeps its length", dotI + "X", dotI + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ToLower(tc.s)
			if got != tc.want {
				t.Errorf("ToLower(%q) = %q, want %q", tc.s, got, tc.want)
			}
			if len(got) != len(tc.s) {
				t.Errorf("ToLower(%q) changed the length", tc.s)
			}
		})
	}
	if n := testing.AllocsPerRun(100, func() { _ = ToLower("keep-alive") }); n != 0 {
		t.Errorf("ToLower of a lower-case string allocates %v times", n)
	}
}

func TestVarNameMatches(t *testing.T) {
	for _, tc := range []struct {
		name, header, v string
		want            bool
	}{
		{"dash as underscore", "X-Real-IP", "x_real_ip", true},
		{"underscore", "X_Real_IP", "x_real_ip", true},
		{"other", "X-Real-IQ", "x_real_ip", false},
		{"length", "X-Real", "x_real_ip", false},
		{"kelvin", kelvin + "eep-Alive", "keep_alive", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VarNameMatches(tc.header, tc.v); got != tc.want {
				t.Errorf("VarNameMatches(%q, %q) = %v, want %v", tc.header, tc.v, got, tc.want)
			}
		})
	}
}
