// Package proxyproto reads the PROXY protocol header that a load balancer
// (HAProxy, a cloud's TCP balancer) puts before a client's bytes to tell the
// server who the client is: the text version 1 ("PROXY TCP4 192.0.2.1
// 192.0.2.2 123 5678\r\n") and the binary version 2. It follows nginx's
// ngx_proxy_protocol_read: the same headers are accepted, the same are
// refused, and a refusal carries the text nginx logs for it.
//
// The parser does no I/O and keeps no reference to its input: addresses
// are copied out, and the type-length-value part of a version 2 header is
// copied too.
package proxyproto

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Header is what a PROXY protocol header said about the connection.
type Header struct {
	// Known is false when the header carried no addresses: version 1's
	// "UNKNOWN", or a version 2 LOCAL command, a transport that is not a
	// stream, or an address family other than IPv4 and IPv6. The other
	// fields are then empty, as nginx then keeps no PROXY protocol
	// information for the connection.
	Known bool
	// SrcAddr and DstAddr are the client's and the balancer's addresses:
	// as sent for version 1 (nginx does not rewrite them: "2001:Db8::1"
	// stays so), formatted for version 2.
	SrcAddr, DstAddr string
	// SrcPort and DstPort are the ports, 0 to 65535.
	SrcPort, DstPort int
	// TLVs is the type-length-value part of a version 2 header, nil when
	// there is none.
	TLVs []byte
}

// Error is a header that cannot be read; the connection is closed. Log is
// the line nginx writes at the error level for it ("broken header: ...",
// "unknown PROXY protocol version: 3", "header is too large"), empty
// where nginx closes without a word (a version 2 address block shorter
// than its family needs).
type Error struct {
	Log string
}

func (e *Error) Error() string {
	if e.Log == "" {
		return "truncated PROXY protocol v2 addresses"
	}
	return e.Log
}

// V1MaxHeader is the longest version 1 header the specification allows
// (nginx's NGX_PROXY_PROTOCOL_V1_MAX_HEADER); nginx itself reads whatever
// its first read of the connection returned.
const V1MaxHeader = 107

// signature opens every version 2 header.
var signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// v2HeaderLen is the fixed part of a version 2 header: signature, version
// and command, family and transport, length.
const v2HeaderLen = 16

// Parse reads the header at the start of b, which holds what the first
// read of the connection returned, and reports how many bytes it took.
// As in nginx the header must be whole in b: a header cut short is
// broken, never waited for.
func Parse(b []byte) (h Header, n int, err error) {
	if len(b) >= v2HeaderLen && bytes.Equal(b[:len(signature)], signature) {
		return parseV2(b)
	}
	if len(b) < 8 || string(b[:6]) != "PROXY " {
		return h, 0, broken(b)
	}
	p := b[6:]
	if len(p) >= 7 && string(p[:7]) == "UNKNOWN" {
		// whatever follows, up to the line's end, is ignored
		off := 13
		if i := bytes.Index(b[off:], []byte("\r\n")); i >= 0 {
			return h, off + i + 2, nil
		}
		return h, 0, broken(b)
	}
	if len(p) < 5 || string(p[:3]) != "TCP" || p[3] != '4' && p[3] != '6' || p[4] != ' ' {
		return h, 0, broken(b)
	}
	off := 11
	var ok bool
	if h.SrcAddr, off, ok = readAddr(b, off); !ok {
		return Header{}, 0, broken(b)
	}
	if h.DstAddr, off, ok = readAddr(b, off); !ok {
		return Header{}, 0, broken(b)
	}
	if h.SrcPort, off, ok = readPort(b, off, ' '); !ok {
		return Header{}, 0, broken(b)
	}
	if h.DstPort, off, ok = readPort(b, off, '\r'); !ok {
		return Header{}, 0, broken(b)
	}
	if off == len(b) || b[off] != '\n' {
		return Header{}, 0, broken(b)
	}
	h.Known = true
	return h, off + 1, nil
}

// broken is version 1's refusal: the bytes up to the first CR or LF are
// logged.
func broken(b []byte) error {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return &Error{Log: `broken header: "` + string(b) + `"`}
}

// readAddr reads an address ended by a space: hexadecimal digits, dots and
// colons, copied as sent (ngx_proxy_protocol_read_addr checks no more).
func readAddr(b []byte, off int) (string, int, bool) {
	for i := off; i < len(b); i++ {
		switch c := b[i]; {
		case c == ' ':
			return string(b[off:i]), i + 1, true
		case c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
		default:
			return "", 0, false
		}
	}
	return "", 0, false
}

// readPort reads decimal digits up to sep: at least one, at most 65535
// (ngx_atoi over the bytes before the separator).
func readPort(b []byte, off int, sep byte) (int, int, bool) {
	i := bytes.IndexByte(b[off:], sep)
	if i < 0 {
		return 0, 0, false
	}
	digits := b[off : off+i]
	if len(digits) == 0 {
		return 0, 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, 0, false
		}
	}
	return n, off + i + 1, true
}

// Version 2's command, transport and family values that carry addresses.
const (
	cmdProxy     = 1
	transStream  = 1
	familyInet   = 1
	familyInet6  = 2
	inetAddrLen  = 12
	inet6AddrLen = 36
)

func parseV2(b []byte) (h Header, n int, err error) {
	if v := b[12] >> 4; v != 2 {
		return h, 0, &Error{Log: "unknown PROXY protocol version: " + strconv.Itoa(int(v))}
	}
	size := int(binary.BigEndian.Uint16(b[14:16]))
	if len(b)-v2HeaderLen < size {
		return h, 0, &Error{Log: "header is too large"}
	}
	end := v2HeaderLen + size
	body := b[v2HeaderLen:end]
	if b[12]&0x0f != cmdProxy || b[13]&0x0f != transStream {
		// LOCAL (a balancer's own health check) or a datagram
		// transport: the header is skipped, nothing kept
		return h, end, nil
	}
	var used int
	switch b[13] >> 4 {
	case familyInet:
		if len(body) < inetAddrLen {
			return h, 0, &Error{}
		}
		h.SrcAddr = netip.AddrFrom4([4]byte(body[0:4])).String()
		h.DstAddr = netip.AddrFrom4([4]byte(body[4:8])).String()
		h.SrcPort = int(binary.BigEndian.Uint16(body[8:10]))
		h.DstPort = int(binary.BigEndian.Uint16(body[10:12]))
		used = inetAddrLen
	case familyInet6:
		if len(body) < inet6AddrLen {
			return h, 0, &Error{}
		}
		h.SrcAddr = ntop6(body[0:16])
		h.DstAddr = ntop6(body[16:32])
		h.SrcPort = int(binary.BigEndian.Uint16(body[32:34]))
		h.DstPort = int(binary.BigEndian.Uint16(body[34:36]))
		used = inet6AddrLen
	default:
		return h, end, nil
	}
	if used < len(body) {
		h.TLVs = bytes.Clone(body[used:])
	}
	h.Known = true
	return h, end, nil
}

// ntop6 formats an IPv6 address as nginx's ngx_inet6_ntop: lower-case
// hexadecimal, the first longest run of two or more zero groups shortened
// to "::", and the last 32 bits dotted for IPv4-mapped (::ffff:a.b.c.d)
// and IPv4-compatible (::a.b.c.d) addresses, where Go would print
// "::102:304" for the latter.
func ntop6(p []byte) string {
	zero, last, maxRun, n := -1, -1, 1, 0
	for i := 0; i < 16; i += 2 {
		if p[i] != 0 || p[i+1] != 0 {
			if maxRun < n {
				zero, maxRun = last, n
			}
			n = 0
			continue
		}
		if n == 0 {
			last = i
		}
		n++
	}
	if maxRun < n {
		zero, maxRun = last, n
	}
	dst := make([]byte, 0, 46)
	end := 16
	if zero == 0 {
		if maxRun == 5 && p[10] == 0xff && p[11] == 0xff || maxRun == 6 ||
			maxRun == 7 && p[14] != 0 && p[15] != 1 {
			end = 12
		}
		dst = append(dst, ':')
	}
	for i := 0; i < end; i += 2 {
		if i == zero {
			dst = append(dst, ':')
			i += (maxRun - 1) * 2
			continue
		}
		dst = strconv.AppendUint(dst, uint64(p[i])<<8|uint64(p[i+1]), 16)
		if i < 14 {
			dst = append(dst, ':')
		}
	}
	if end == 12 {
		dst = netip.AddrFrom4([4]byte(p[12:16])).AppendTo(dst)
	}
	return string(dst)
}
