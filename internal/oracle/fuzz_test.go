package oracle

import (
	"strings"
	"testing"
)

// FuzzScanConf checks that the configuration scanner never panics, that the
// offsets it reports point at the directive names, and that a block's body
// offset follows a '{'.
func FuzzScanConf(f *testing.F) {
	f.Add("events {} http { server { listen 127.0.0.1:80; location / { return 200 \"ok\"; } } }")
	f.Add("# comment\nuser 'a b'; set $x \"${y}\\\"\";")
	f.Fuzz(func(t *testing.T, text string) {
		dirs, err := scanConf(text)
		if err != nil {
			return
		}
		for _, d := range dirs {
			if d.start < 0 || !strings.HasPrefix(text[d.start:], d.name) && text[d.start] != '"' && text[d.start] != '\'' {
				t.Fatalf("directive %q reported at %d: %q", d.name, d.start, text[d.start:])
			}
			if d.body >= 0 && (d.body == 0 || text[d.body-1] != '{') {
				t.Fatalf("block %q body at %d does not follow '{'", d.name, d.body)
			}
		}
		if _, err := factsOf(text); err != nil {
			t.Fatalf("factsOf failed where scanConf succeeded: %v", err)
		}
	})
}
