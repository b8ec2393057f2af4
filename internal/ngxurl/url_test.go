package ngxurl

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestParseIPv4Host checks which hosts are literal IPv4 addresses: the
// dotted quads nginx's ngx_inet_addr reads (empty octets count as 0);
// 255.255.255.255, its INADDR_NONE, is looked up as a name (the system
// resolver gives the same address back), or left to the run-time
// resolver with NoResolve.
func TestParseIPv4Host(t *testing.T) {
	tests := []struct {
		name, text string
		noResolve  bool
		// want is the addresses found; looked says whether Lookup ran
		want   string
		looked bool
		err    string
	}{
		{"plain", "127.0.0.1:8080", false, "127.0.0.1:8080", false, ""},
		{"leading zeros", "127.000.0.01:80", false, "127.0.0.1:80", false, ""},
		{"empty octet", "1..2.3:80", false, "1.0.2.3:80", false, ""},
		{"empty last octet", "1.2.3.:80", false, "1.2.3.0:80", false, ""},
		{"empty first octet", ".1.2.3:80", false, "0.1.2.3:80", false, ""},
		{"octet too large", "1.2.3.256:80", false, "", true, "host not found"},
		{"five octets", "1.2.3.4.:80", false, "", true, "host not found"},
		{"broadcast is a name", "255.255.255.255:80", false, "255.255.255.255:80", true, ""},
		{"broadcast, no resolving", "255.255.255.255:80", true, "", false, ""},
		{"name", "localhost:80", true, "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			looked := false
			lookup := func(host string) ([]netip.Addr, error) {
				looked = true
				if ip, err := netip.ParseAddr(host); err == nil {
					return []netip.Addr{ip}, nil
				}
				return nil, errors.New("no such host")
			}
			u, err := Parse(tc.text, Options{DefaultPort: 80, NoResolve: tc.noResolve, Lookup: lookup})
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, a := range u.Addrs {
				got = append(got, a.Name)
			}
			if strings.Join(got, " ") != tc.want || looked != tc.looked {
				t.Errorf("addresses %q (looked up: %v), want %q (%v)", got, looked, tc.want, tc.looked)
			}
		})
	}
}
