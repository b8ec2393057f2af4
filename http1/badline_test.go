package http1

import "testing"

func TestBadLine(t *testing.T) {
	tests := []struct {
		name, in, line string
		bad            byte
	}{
		{name: "control byte in name", in: "X-A\x01b: c\r\n", line: "X-A", bad: 1},
		{name: "NUL in value", in: "X: a\x00b\r\n", line: "X: a", bad: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HeaderParser{AllowUnderscores: true, Upstream: true}
			buf := []byte(tt.in)
			if res := h.Parse(buf); res == OK || res == NeedMore || res == HeaderDone {
				t.Fatalf("Parse accepted %q: %v", tt.in, res)
			}
			line, bad := h.BadLine(buf)
			if string(line) != tt.line || bad != tt.bad {
				t.Errorf("BadLine = %q, %#x; want %q, %#x", line, bad, tt.line, tt.bad)
			}
		})
	}
}
