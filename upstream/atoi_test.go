package upstream

import "testing"

// TestAtoi checks the number parser of response header values
// (Content-Length, X-Accel-Limit-Rate, X-Accel-Expires) against ngx_atoi:
// digits only, no sign, no space, no overflow.
func TestAtoi(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		n    int64
		ok   bool
	}{
		{"digits", "1000", 1000, true},
		{"zero", "0", 0, true},
		{"leading zeros", "007", 7, true},
		{"largest", "9223372036854775807", 9223372036854775807, true},
		{"overflow", "9223372036854775808", 0, false},
		{"empty", "", 0, false},
		{"plus", "+1000", 0, false},
		{"minus zero", "-0", 0, false},
		{"minus", "-5", 0, false},
		{"space", "10 ", 0, false},
		{"letter", "10k", 0, false},
		{"non-ASCII digit", "\u0661", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := atoi(tc.in)
			if n != tc.n || ok != tc.ok {
				t.Errorf("atoi(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
			}
		})
	}
}
