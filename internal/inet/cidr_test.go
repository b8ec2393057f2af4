package inet

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseCIDR(t *testing.T) {
	tests := []struct {
		name, in string
		res      ParseResult
		v6       bool
		addr     string // netip text of the (masked) address
		bits     int    // mask length
	}{
		{"ipv4", "10.1.2.3", CIDROK, false, "10.1.2.3", 32},
		{"ipv4 network", "10.0.0.0/8", CIDROK, false, "10.0.0.0", 8},
		{"ipv4 low bits", "10.1.2.3/8", CIDRLowBits, false, "10.0.0.0", 8},
		{"ipv4 /0", "0.0.0.0/0", CIDROK, false, "0.0.0.0", 0},
		{"ipv4 /0 low bits", "1.2.3.4/0", CIDRLowBits, false, "0.0.0.0", 0},
		{"ipv4 /32", "1.2.3.4/32", CIDROK, false, "1.2.3.4", 32},
		{"ipv4 /33", "1.2.3.4/33", CIDRInvalid, false, "", 0},
		{"ipv4 odd mask", "192.168.1.255/23", CIDRLowBits, false, "192.168.0.0", 23},
		{"ipv4 empty octet", "1..2.3", CIDROK, false, "1.0.2.3", 32},
		{"ipv4 trailing dot", "1.2.3.", CIDROK, false, "1.2.3.0", 32},
		{"ipv4 leading zeros", "010.001.0.1", CIDROK, false, "10.1.0.1", 32},
		{"ipv4 broadcast is INADDR_NONE", "255.255.255.255", CIDRInvalid, false, "", 0},
		{"ipv4 octet 256", "1.2.3.256", CIDRInvalid, false, "", 0},
		{"ipv4 three octets", "1.2.3", CIDRInvalid, false, "", 0},
		{"ipv4 five octets", "1.2.3.4.5", CIDRInvalid, false, "", 0},
		{"mask sign", "1.2.3.4/+8", CIDRInvalid, false, "", 0},
		{"mask empty", "1.2.3.4/", CIDRInvalid, false, "", 0},
		{"ipv6 loopback", "::1", CIDROK, true, "::1", 128},
		{"ipv6 full", "2001:db8:0:0:1:0:0:1", CIDROK, true, "2001:db8::1:0:0:1", 128},
		{"ipv6 network", "2001:db8::/32", CIDROK, true, "2001:db8::", 32},
		{"ipv6 low bits", "2001:db8::1/64", CIDRLowBits, true, "2001:db8::", 64},
		{"ipv6 /129", "::1/129", CIDRInvalid, true, "", 0},
		{"ipv6 all zero", "::", CIDROK, true, "::", 128},
		{"ipv6 trailing ::", "1::", CIDROK, true, "1::", 128},
		{"ipv6 mapped", "::ffff:1.2.3.4", CIDROK, true, "::ffff:1.2.3.4", 128},
		{"ipv6 dotted tail", "1:2:3:4:5:6:7.8.9.10", CIDROK, true, "1:2:3:4:5:6:708:90a", 128},
		{"ipv6 dotted tail too long", "1:2:3:4:5:6:7:8.9.10.11", CIDRInvalid, true, "", 0},
		{"ipv6 two ::", "1::2::3", CIDRInvalid, true, "", 0},
		{"ipv6 nine groups", "1:2:3:4:5:6:7:8:9", CIDRInvalid, true, "", 0},
		{"ipv6 eight groups and ::", "1:2:3:4::5:6:7:8", CIDRInvalid, true, "", 0},
		{"ipv6 five digits", "12345::", CIDRInvalid, true, "", 0},
		{"ipv6 zone", "fe80::1%eth0", CIDRInvalid, true, "", 0},
		{"ipv6 uppercase", "FE80::A", CIDROK, true, "fe80::a", 128},
		{"ipv6 leading colon quirk", ":1::", CIDROK, true, "1::", 128},
		{"ipv6 dotted without colon", ":1.2.3.4", CIDRInvalid, true, "", 0},
		{"empty", "", CIDRInvalid, false, "", 0},
		{"word", "localhost", CIDRInvalid, false, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, res := ParseCIDR(tc.in)
			if res != tc.res {
				t.Fatalf("result %d, want %d", res, tc.res)
			}
			if res == CIDRInvalid {
				return
			}
			if c.V6 != tc.v6 {
				t.Fatalf("v6 %v", c.V6)
			}
			var got netip.Addr
			if c.V6 {
				got = netip.AddrFrom16(c.Addr)
			} else {
				got = netip.AddrFrom4([4]byte(c.Addr[:4]))
			}
			if got.String() != tc.addr {
				t.Errorf("address %s, want %s", got, tc.addr)
			}
			if n := maskLen(c); n != tc.bits {
				t.Errorf("mask /%d, want /%d", n, tc.bits)
			}
		})
	}
}

func maskLen(c CIDR) int {
	n := 0
	for _, b := range c.Mask {
		for ; b&0x80 != 0; b <<= 1 {
			n++
		}
	}
	return n
}

// FuzzParseCIDR checks that no input panics, that a parsed address has no
// bits outside its mask, and that an IPv6 address Go's netip also reads
// is read to the same bytes.
func FuzzParseCIDR(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::1", "2001:db8::/32", "::ffff:1.2.3.4", "1..2.3", "1:2:3:4:5:6:7.8.9.10", "fe80::1%x", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, res := ParseCIDR(s)
		if res == CIDRInvalid {
			return
		}
		for i := range c.Addr {
			if c.Addr[i]&^c.Mask[i] != 0 {
				t.Fatalf("%q: address bits outside the mask", s)
			}
		}
		if strings.Contains(s, "/") || !c.V6 {
			return
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() && a.Zone() == "" && a.As16() != c.Addr {
			t.Fatalf("%q: %v, netip reads %v", s, netip.AddrFrom16(c.Addr), a)
		}
	})
}
