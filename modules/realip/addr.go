package realip

import (
	"net/netip"
	"strings"

	"github.com/sluicehq/sluice/conf"
)

// parseAddr reads an IPv4 address as nginx's ngx_inet_addr (decimal
// octets, leading zeros allowed) or an IPv6 address (no zone).
func parseAddr(s string) (netip.Addr, bool) {
	if v4, ok := parseIPv4(s); ok {
		return netip.AddrFrom4(v4), true
	}
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// parseIPv4 reads a dotted quad as ngx_inet_addr: exactly four octets of
// decimal digits, each at most 255; 255.255.255.255 is INADDR_NONE there
// and refused here too.
func parseIPv4(s string) (a [4]byte, ok bool) {
	n, octet, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + int(c-'0')
			digits++
			if octet > 255 {
				return a, false
			}
		case c == '.':
			if n == 3 {
				return a, false
			}
			a[n] = byte(octet)
			n, octet, digits = n+1, 0, 0
		default:
			return a, false
		}
	}
	if n != 3 || digits == 0 && len(s) == 0 {
		return a, false
	}
	a[3] = byte(octet)
	if a == [4]byte{255, 255, 255, 255} {
		return a, false
	}
	return a, true
}

// parseAddrPort reads "address", "address:port", "[v6]" or "[v6]:port"
// as nginx's ngx_parse_addr_port; port is 0 when absent.
func parseAddrPort(s string) (netip.AddrPort, bool) {
	if a, ok := parseAddr(s); ok {
		return netip.AddrPortFrom(a, 0), true
	}
	host, portText := "", ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, false
		}
		host = s[1:end]
		if end == len(s)-1 {
			a, ok := parseAddr(host)
			return netip.AddrPortFrom(a, 0), ok
		}
		if s[end+1] != ':' {
			return netip.AddrPort{}, false
		}
		portText = s[end+2:]
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return netip.AddrPort{}, false
		}
		host, portText = s[:i], s[i+1:]
	}
	port, ok := conf.Atoi(portText)
	if !ok || port < 1 || port > 65535 {
		return netip.AddrPort{}, false
	}
	a, ok := parseAddr(host)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}
