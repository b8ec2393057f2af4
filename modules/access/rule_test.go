package access

import (
	"net/netip"
	"testing"

	"github.com/sluicehq/sluice/internal/inet"
)

func TestRuleMatches(t *testing.T) {
	mk := func(s string) rule {
		c, _ := inet.ParseCIDR(s)
		return rule{addr: c.Addr, mask: c.Mask}
	}
	tests := []struct {
		name, rule, ip string
		want           bool
	}{
		{"exact", "127.0.0.1", "127.0.0.1", true},
		{"other", "127.0.0.1", "127.0.0.2", false},
		{"network", "127.0.0.0/8", "127.1.2.3", true},
		{"outside", "10.0.0.0/8", "127.1.2.3", false},
		{"v6 network", "2001:db8::/32", "2001:db8:1::5", true},
		{"v6 outside", "2001:db8::/32", "2001:db9::5", false},
		{"v6 loopback", "::1", "::1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mk(tc.rule)
			a := netip.MustParseAddr(tc.ip)
			var b []byte
			if a.Is4() {
				b = a.AsSlice()
			} else {
				s := a.As16()
				b = s[:]
			}
			if got := r.matches(b); got != tc.want {
				t.Errorf("%v", got)
			}
		})
	}
}
