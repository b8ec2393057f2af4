package upstream

import "testing"

// TestParseAddrPort: proxy_bind's local addresses as ngx_parse_addr_port
// reads them.
func TestParseAddrPort(t *testing.T) {
	cases := []struct {
		in, want string // want "" when invalid
	}{
		{"127.0.0.2", "127.0.0.2:0"},
		{"127.0.0.2:8080", "127.0.0.2:8080"},
		{"::1", "[::1]:0"},
		{"[::1]", "[::1]:0"},
		{"[::1]:81", "[::1]:81"},
		{"127.0.0.2:0", ""},
		{"127.0.0.2:65536", ""},
		{"127.0.0.2:+80", ""},
		{"127.0.0.2:", ""},
		{"localhost", ""},
		{"localhost:80", ""},
		{"[127.0.0.1]", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			a, ok := parseAddrPort(c.in)
			got := ""
			if ok {
				got = a.String()
			}
			if got != c.want {
				t.Errorf("parseAddrPort(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
