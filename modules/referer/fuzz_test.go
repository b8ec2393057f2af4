package referer

import (
	"strings"
	"testing"
)

// FuzzValid runs the matcher on any Referer against a table with exact
// names, wildcards and URI prefixes: it must not panic, and the scheme and
// host compare case-insensitively (the path does not).
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "http://example.org/", "https://a.sub.example.org:8080/p", "http://www.example.net/x/y",
		"http://" + strings.Repeat("a", 256) + "/", "ftp://x", "http:/", "http://i.ru", "HTTP://EXAMPLE.ORG/path/"} {
		f.Add(s)
	}
	lc, _ := testConf(f)
	lc.blocked.Set(true)
	f.Fuzz(func(t *testing.T, ref string) {
		v := Valid(lc, ref, true, nil)
		host, path := ref, ""
		if len(ref) > 8 {
			if i := strings.IndexAny(ref[8:], "/?"); i >= 0 {
				host, path = ref[:8+i], ref[8+i:]
			}
		}
		if up := asciiUpper(host) + path; Valid(lc, up, true, nil) != v {
			t.Errorf("%q is %v, %q is not", ref, v, up)
		}
		if Valid(lc, "", false, nil) {
			t.Error("no Referer valid without none")
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
