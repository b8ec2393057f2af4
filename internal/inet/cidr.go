// Package inet reads addresses and networks as nginx's src/core/ngx_inet.c
// does (ngx_inet_addr, ngx_inet6_addr, ngx_ptocidr, ngx_parse_addr,
// ngx_parse_addr_port) and walks X-Forwarded-For as
// ngx_http_get_forwarded_addr: the modules that take addresses from the
// configuration or from headers (access, realip, geo) share it.
package inet

import "strings"

// CIDR is an address with a mask, IPv4 or IPv6 (ngx_cidr_t).
type CIDR struct {
	V6         bool
	Addr, Mask [16]byte // IPv4 in the first 4 bytes
}

// ParseResult is what parseCIDR found.
type ParseResult int

const (
	CIDROK ParseResult = iota
	// CIDRLowBits: the address had bits set beyond the mask; they were
	// cleared (nginx warns "low address bits of ... are meaningless").
	CIDRLowBits
	// CIDRInvalid: not an address or network.
	CIDRInvalid
)

// ParseCIDR reads "address" or "address/bits" as nginx's ngx_ptocidr.
func ParseCIDR(s string) (CIDR, ParseResult) {
	var c CIDR
	text, bits, hasMask := strings.Cut(s, "/")
	if a, ok := ParseIPv4(text); ok {
		copy(c.Addr[:], a[:])
		if !hasMask {
			copy(c.Mask[:4], []byte{0xff, 0xff, 0xff, 0xff})
			return c, CIDROK
		}
	} else if a, ok := ParseIPv6(text); ok {
		c.V6, c.Addr = true, a
		if !hasMask {
			for i := range c.Mask {
				c.Mask[i] = 0xff
			}
			return c, CIDROK
		}
	} else {
		return c, CIDRInvalid
	}
	shift, ok := atoi(bits)
	if !ok {
		return c, CIDRInvalid
	}
	size := 4
	if c.V6 {
		size = 16
	}
	if shift > size*8 {
		return c, CIDRInvalid
	}
	res := CIDROK
	for i := 0; i < size; i++ {
		s := min(shift, 8)
		shift -= s
		c.Mask[i] = byte(0xff << (8 - s))
		if c.Addr[i]&^c.Mask[i] != 0 {
			res = CIDRLowBits
			c.Addr[i] &= c.Mask[i]
		}
	}
	return c, res
}

// atoi parses decimal digits only (ngx_atoi).
func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// ParseIPv4 reads a dotted quad as nginx's ngx_inet_addr: four decimal
// octets, empty ones counting as 0 ("1..2.3"); 255.255.255.255 is
// INADDR_NONE there and so is refused here too.
func ParseIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	var addr uint32
	octet, dots := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + int(c-'0')
			if octet > 255 {
				return a, false
			}
		case c == '.':
			addr = addr<<8 + uint32(octet)
			octet = 0
			dots++
		default:
			return a, false
		}
	}
	if dots != 3 {
		return a, false
	}
	addr = addr<<8 + uint32(octet)
	if addr == 0xffffffff {
		return a, false
	}
	a[0], a[1], a[2], a[3] = byte(addr>>24), byte(addr>>16), byte(addr>>8), byte(addr)
	return a, true
}

// ParseIPv6 reads an IPv6 address as nginx's ngx_inet6_addr: groups of up
// to four hex digits, one "::", an optional trailing dotted quad.
func ParseIPv6(s string) ([16]byte, bool) {
	var out [16]byte
	if s == "" {
		return out, false
	}
	if s[0] == ':' {
		s = s[1:]
	}
	var (
		n       int // bytes written
		zero    = -1
		word    uint32
		nibbles int
		groups  = 8 // groups still to fill
		// after is where the text after the last ':' starts (-1: none yet)
		after = -1
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' {
			if nibbles > 0 {
				after = i + 1
				out[n], out[n+1] = byte(word>>8), byte(word)
				n += 2
				groups--
				if groups > 0 {
					nibbles, word = 0, 0
					continue
				}
			} else if zero < 0 {
				after = i + 1
				zero = n
				continue
			}
			return out, false
		}
		if c == '.' && nibbles > 0 {
			if groups < 2 || after < 0 {
				return out, false
			}
			v4, ok := ParseIPv4(s[after:])
			if !ok {
				return out, false
			}
			out[n], out[n+1], out[n+2], out[n+3] = v4[0], v4[1], v4[2], v4[3]
			n += 4
			groups -= 2
			nibbles = -1 // the quad ends the address
			break
		}
		nibbles++
		if nibbles > 4 {
			return out, false
		}
		switch {
		case c >= '0' && c <= '9':
			word = word*16 + uint32(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			word = word*16 + uint32(c|0x20-'a') + 10
		default:
			return out, false
		}
	}
	if nibbles == 0 && zero < 0 {
		return out, false
	}
	if nibbles >= 0 {
		if n+2 > 16 {
			return out, false
		}
		out[n], out[n+1] = byte(word>>8), byte(word)
		n += 2
		groups--
	}
	if groups > 0 {
		if zero < 0 {
			return out, false
		}
		// move what follows "::" to the end, zeros in between
		gap := groups * 2
		copy(out[zero+gap:], out[zero:n])
		for i := zero; i < zero+gap; i++ {
			out[i] = 0
		}
		return out, true
	}
	if zero >= 0 && groups == 0 {
		return out, false
	}
	return out, groups == 0
}
