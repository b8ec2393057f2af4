package realip

import (
	"net"
	"net/netip"
	"testing"
)

func TestParseAddrPort(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"v4", "192.0.2.1", "192.0.2.1:0", true},
		{"v4 port", "192.0.2.1:80", "192.0.2.1:80", true},
		{"v4 leading zero", "010.0.0.1", "10.0.0.1:0", true},
		{"v4 port zero", "192.0.2.1:0", "", false},
		{"v4 port too big", "192.0.2.1:65536", "", false},
		{"v4 broadcast", "255.255.255.255", "", false},
		{"v4 octet", "256.0.0.1", "", false},
		{"v4 short", "1.2.3", "", false},
		{"v6", "2001:db8::1", "[2001:db8::1]:0", true},
		{"v6 brackets", "[2001:db8::1]", "[2001:db8::1]:0", true},
		{"v6 port", "[2001:db8::1]:443", "[2001:db8::1]:443", true},
		{"v6 zone", "fe80::1%eth0", "", false},
		{"mapped", "::ffff:192.0.2.1", "[::ffff:192.0.2.1]:0", true},
		{"name", "localhost", "", false},
		{"empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ap, ok := parseAddrPort(tc.in)
			if ok != tc.ok || ok && ap.String() != tc.want {
				t.Errorf("parseAddrPort(%q) = %v, %v; want %s, %v", tc.in, ap, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestForwarded(t *testing.T) {
	from := &trusted{nets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.1.0/24")}}
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}
	tests := []struct {
		name      string
		values    []string
		recursive bool
		want      string // "" when not found
	}{
		{"single", []string{"192.0.2.1"}, false, "192.0.2.1:0"},
		{"rightmost", []string{"10.0.0.1, 192.0.2.1"}, false, "192.0.2.1:0"},
		{"rightmost trusted", []string{"192.0.2.1, 127.0.0.1"}, false, "127.0.0.1:0"},
		{"recursive", []string{"10.0.1.1, 192.0.2.1, 127.0.0.1"}, true, "192.0.2.1:0"},
		{"recursive all trusted", []string{"10.0.1.1, 127.0.0.1"}, true, "10.0.1.1:0"},
		{"recursive junk", []string{"junk, 127.0.0.1"}, true, "127.0.0.1:0"},
		{"junk", []string{"junk"}, true, ""},
		{"empty", []string{""}, false, ""},
		{"separators only", []string{" , ,"}, true, ""},
		{"lines not recursive", []string{"192.0.2.1", "127.0.0.1, 10.0.1.1"}, false, "10.0.1.1:0"},
		{"lines recursive", []string{"10.0.1.1", "192.0.2.1", "127.0.0.1"}, true, "192.0.2.1:0"},
		{"lines recursive all trusted", []string{"10.0.1.1", "127.0.0.1"}, true, "10.0.1.1:0"},
		{"lines junk before", []string{"junk", "127.0.0.1"}, true, "127.0.0.1:0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ap, ok := forwarded(peer, tc.values, from, tc.recursive)
			got := ""
			if ok {
				got = ap.String()
			}
			if got != tc.want {
				t.Errorf("forwarded(%q) = %q, want %q", tc.values, got, tc.want)
			}
		})
	}
	if _, ok := forwarded(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1)}, []string{"10.0.0.1"}, from, false); ok {
		t.Error("an untrusted peer's header was used")
	}
	if _, ok := forwarded(&net.UnixAddr{Name: "x", Net: "unix"}, []string{"10.0.0.1"}, from, false); ok {
		t.Error("a unix peer was trusted without set_real_ip_from unix:")
	}
}

func FuzzForwarded(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "10.0.1.1, 192.0.2.1:80", "[::1]:5, junk ,", " , ", "", "1.2.3.4:99999"} {
		f.Add(s, true)
	}
	from := &trusted{nets: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("::/0")}}
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}
	f.Fuzz(func(t *testing.T, v string, recursive bool) {
		ap, ok := forwarded(peer, []string{v, v}, from, recursive)
		if ok && !ap.Addr().IsValid() {
			t.Fatalf("found an invalid address in %q", v)
		}
		if a, ok := parseAddrPort(v); ok && !a.Addr().IsValid() {
			t.Fatalf("parsed an invalid address from %q", v)
		}
	})
}
