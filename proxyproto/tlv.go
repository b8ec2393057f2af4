package proxyproto

import (
	"encoding/binary"
	"strconv"
)

// tlvNames are the TLV types nginx names ($proxy_protocol_tlv_alpn, ...);
// sslNames those inside the SSL TLV ($proxy_protocol_tlv_ssl_cn, ...).
var (
	tlvNames = map[string]byte{"alpn": 0x01, "authority": 0x02, "unique_id": 0x05, "ssl": 0x20, "netns": 0x30}
	sslNames = map[string]byte{"version": 0x21, "cn": 0x22, "cipher": 0x23, "sig_alg": 0x24, "key_alg": 0x25}
)

// tlvSSL is the SSL TLV's type; its value opens with a client byte and a
// 32-bit verify result, then holds TLVs of its own.
const (
	tlvSSL       = 0x20
	tlvSSLHeader = 5
)

// TLV returns the value of the TLV that name designates, as nginx's
// ngx_proxy_protocol_get_tlv: a known name ("alpn", "authority",
// "unique_id", "ssl", "netns"), a type in hexadecimal ("0x05", "0x000ae"),
// or "ssl_" followed by "verify" (the SSL TLV's verify result, in
// decimal), a name inside the SSL TLV ("version", "cn", "cipher",
// "sig_alg", "key_alg") or a hexadecimal type. found is false when the
// header has no such TLV. log is the error line nginx writes, if any:
// for a name it does not know, a malformed type, or TLVs that run past
// their end; a malformed SSL TLV fails with no line, as in nginx.
func (h *Header) TLV(name string) (value string, found bool, log string) {
	if h == nil || !h.Known {
		return "", false, ""
	}
	tlvs, names, n := h.TLVs, tlvNames, name
	if len(n) >= 4 && n[:4] == "ssl_" {
		ssl, ok, log := lookup(tlvs, tlvSSL)
		if !ok {
			return "", false, log
		}
		if len(ssl) < tlvSSLHeader {
			return "", false, ""
		}
		n = n[4:]
		if n == "verify" {
			return strconv.FormatUint(uint64(binary.BigEndian.Uint32(ssl[1:5])), 10), true, ""
		}
		tlvs, names = ssl[tlvSSLHeader:], sslNames
	}
	if len(n) >= 2 && n[:2] == "0x" {
		t, ok := hexType(n[2:])
		if !ok {
			return "", false, `invalid PROXY protocol TLV "` + name + `"`
		}
		v, ok, log := lookup(tlvs, t)
		return string(v), ok, log
	}
	if t, ok := names[n]; ok {
		v, ok, log := lookup(tlvs, int(t))
		return string(v), ok, log
	}
	return "", false, `unknown PROXY protocol TLV "` + name + `"`
}

// lookup finds the first TLV of type t (ngx_proxy_protocol_lookup_tlv);
// TLVs cut short are "broken" as soon as the walk reaches them.
func lookup(tlvs []byte, t int) ([]byte, bool, string) {
	for len(tlvs) > 0 {
		if len(tlvs) < 3 {
			return nil, false, "broken PROXY protocol TLV"
		}
		typ, size := tlvs[0], int(binary.BigEndian.Uint16(tlvs[1:3]))
		tlvs = tlvs[3:]
		if len(tlvs) < size {
			return nil, false, "broken PROXY protocol TLV"
		}
		if int(typ) == t {
			return tlvs[:size], true, ""
		}
		tlvs = tlvs[size:]
	}
	return nil, false, ""
}

// hexType reads hexadecimal digits as ngx_hextoi: at least one, no sign,
// no overflow.
func hexType(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		if n > (1<<62)/16 {
			return 0, false
		}
		n = n*16 + d
	}
	return n, true
}
