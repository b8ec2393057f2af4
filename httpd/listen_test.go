package httpd

import (
	"strings"
	"testing"
)

// TestParseListenAddr covers the address forms of "listen", including
// nginx 1.29's port ranges (one listening address per port).
func TestParseListenAddr(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // keys joined by " ", or "error: ..."
	}{
		{"port", "8080", "0.0.0.0:8080"},
		{"star", "*:81", "0.0.0.0:81"},
		{"ipv4", "127.0.0.1:82", "127.0.0.1:82"},
		{"ipv4 default port", "127.0.0.1", "127.0.0.1:80"},
		{"ipv6", "[::1]:83", "[::1]:83"},
		{"unix", "unix:/tmp/s.sock", "unix:/tmp/s.sock"},
		{"range", "127.0.0.1:8182-8184", "127.0.0.1:8182 127.0.0.1:8183 127.0.0.1:8184"},
		{"range one", "127.0.0.1:90-90", "127.0.0.1:90"},
		{"bare range", "91-92", "0.0.0.0:91 0.0.0.0:92"},
		{"ipv6 range", "[::1]:93-94", "[::1]:93 [::1]:94"},
		{"range reversed", "127.0.0.1:95-94", "error: invalid port range"},
		{"range too big", "127.0.0.1:95-65536", "error: invalid port"},
		{"range empty end", "127.0.0.1:95-", "error: invalid port"},
		{"port zero", "127.0.0.1:0", "error: invalid port"},
		{"port too big", "127.0.0.1:65536", "error: invalid port"},
		{"no path", "unix:", "error: no path in the unix domain socket"},
		{"bad ipv6", "[::1", "error: invalid host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls, err := parseListenAddr(c.in)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var keys []string
				for _, l := range ls {
					k := l.key()
					if l.Network == "tcp" && l.Host == "" {
						k = l.addrText()
					}
					keys = append(keys, k)
				}
				got = strings.Join(keys, " ")
			}
			if got != c.want {
				t.Errorf("parseListenAddr(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
