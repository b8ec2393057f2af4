package slice

import (
	"strconv"
	"testing"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		name, in string
		want     contentRange
		ok       bool
	}{
		{"plain", "bytes 0-3/20", contentRange{0, 4, 20}, true},
		{"spaces", "bytes  1 - 4 / 100 ", contentRange{1, 5, 100}, true},
		{"unknown length", "bytes 0-1/*", contentRange{0, 2, -1}, true},
		{"star then junk", "bytes 0-1/*1", contentRange{}, false},
		{"no numbers", "bytes", contentRange{}, false},
		{"prefix is case-sensitive", "Bytes 0-1/2", contentRange{}, false},
		{"no start", "bytes -1/2", contentRange{}, false},
		{"no end", "bytes 1-/2", contentRange{}, false},
		{"no length", "bytes 1-2/", contentRange{}, false},
		{"trailing junk", "bytes 0-1/2x", contentRange{}, false},
		{"max off_t", "bytes 0-1/9223372036854775807", contentRange{0, 2, 9223372036854775807}, true},
		{"overflow", "bytes 0-1/9223372036854775808", contentRange{}, false},
		{"tab is not a space", "bytes\t0-1/2", contentRange{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseContentRange(tc.in)
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("parseContentRange(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseContentRange checks that what parses prints back to a value
// that parses the same, and that nothing panics.
func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 0-3/20")
	f.Fuzz(func(t *testing.T, s string) {
		cr, ok := parseContentRange(s)
		if !ok {
			return
		}
		if cr.Start < 0 || cr.Complete < -1 {
			t.Fatalf("%q: negative values %v", s, cr)
		}
		length := "*"
		if cr.Complete >= 0 {
			length = strconv.FormatInt(cr.Complete, 10)
		}
		again := "bytes " + strconv.FormatInt(cr.Start, 10) + "-" + strconv.FormatInt(cr.End-1, 10) + "/" + length
		if cr2, ok := parseContentRange(again); !ok || cr2 != cr {
			t.Fatalf("%q parsed as %v; printed %q parses as %v, %v", s, cr, again, cr2, ok)
		}
	})
}
