package inet

import (
	"net/netip"
	"strings"
)

// ParseAddr reads an address as ngx_parse_addr: a dotted quad
// (ngx_inet_addr) or an IPv6 address (ngx_inet6_addr), no port, no
// brackets. 255.255.255.255 is INADDR_NONE there and so not an address.
func ParseAddr(s string) (netip.Addr, bool) {
	if v4, ok := ParseIPv4(s); ok {
		return netip.AddrFrom4(v4), true
	}
	if v6, ok := ParseIPv6(s); ok {
		return netip.AddrFrom16(v6), true
	}
	return netip.Addr{}, false
}

// ParseAddrPort reads "address", "address:port", "[v6]" or "[v6]:port" as
// ngx_parse_addr_port; the port is 0 when absent.
func ParseAddrPort(s string) (netip.AddrPort, bool) {
	if a, ok := ParseAddr(s); ok {
		return netip.AddrPortFrom(a, 0), true
	}
	host, portText := "", ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end == len(s)-1 {
			a, ok := ParseAddr(s[1:end])
			return netip.AddrPortFrom(a, 0), ok
		}
		if end < 0 || s[end+1] != ':' {
			return netip.AddrPort{}, false
		}
		host, portText = s[1:end], s[end+2:]
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return netip.AddrPort{}, false
		}
		host, portText = s[:i], s[i+1:]
	}
	port, ok := atoi(portText)
	if !ok || port < 1 || port > 65535 {
		return netip.AddrPort{}, false
	}
	a, ok := ParseAddr(host)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

// Results of one header line's walk (nginx's NGX_DECLINED, NGX_OK,
// NGX_DONE).
const (
	declined = iota // the address so far is not trusted or nothing parsed
	whole           // every address of the line was taken
	stopped         // an address was taken, then the walk stopped
)

// Trust says whether an address is a trusted proxy's.
type Trust interface {
	Trusted(a netip.Addr) bool
}

// walk is the state of a search: the address found so far, or the start.
type walk struct {
	trust        Trust
	recursive    bool
	startTrusted bool
	have         bool
	cur          netip.AddrPort
}

func (w *walk) trusted() bool {
	if !w.have {
		return w.startTrusted
	}
	return w.trust.Trusted(w.cur.Addr())
}

// Forwarded finds the client's address in header values (the lines of one
// header, in order) as ngx_http_get_forwarded_addr: from the last line
// backwards, the rightmost address of each, while the address so far is
// trusted (only the last line and address when not recursive).
// startTrusted says whether the address the walk starts from (the peer's)
// is trusted. ok is false when no address was taken.
func Forwarded(startTrusted bool, values []string, trust Trust, recursive bool) (a netip.AddrPort, ok bool) {
	w := walk{trust: trust, recursive: recursive, startTrusted: startTrusted}
	rc, found := declined, false
	for i := len(values) - 1; i >= 0; i-- {
		rc = w.line(values[i])
		if !recursive {
			break
		}
		if rc == declined && found {
			rc = stopped
			break
		}
		if rc != whole {
			break
		}
		found = true
	}
	return w.cur, rc != declined
}

func isSep(c byte) bool { return c == ' ' || c == ',' }

// line walks one header value from its right end
// (ngx_http_get_forwarded_addr_internal).
func (w *walk) line(xff string) int {
	found := false
	n := len(xff)
	for {
		if !w.trusted() || n <= 0 {
			break
		}
		p := n - 1
		for ; p > 0 && isSep(xff[p]); p, n = p-1, n-1 {
		}
		for ; p > 0; p-- {
			if isSep(xff[p]) {
				p++
				break
			}
		}
		ap, ok := ParseAddrPort(xff[p:n])
		if !ok {
			break
		}
		w.cur, w.have, found = ap, true, true
		n = p - 1
		if !w.recursive || p <= 0 {
			return whole
		}
	}
	if found {
		return stopped
	}
	return declined
}
