package http2

import "golang.org/x/net/http2/hpack"

// Response header blocks are encoded as nginx's ngx_http_v2_header_filter
// encodes them: the common statuses as indexed fields of the static table;
// the status and the fields nginx sets itself (server, date, content-type,
// content-length, last-modified, location, vary) as literals with
// incremental indexing of their static-table name; every other field as a
// literal without indexing of a new name. Strings are Huffman-coded when
// that is shorter. The dynamic table entries this adds in the peer are
// never referred to, so the encoder keeps no table: a block's size and
// bytes do not depend on the ones before it, as with nginx.

// indexed statuses (RFC 7541 Appendix A)
var statusIndex = map[string]byte{"200": 8, "204": 9, "206": 10, "304": 11, "400": 12, "404": 13, "500": 14}

// nameIndex are the static-table names nginx encodes with incremental
// indexing.
var nameIndex = map[string]byte{
	":status": 8, "content-length": 28, "content-type": 31, "date": 33,
	"last-modified": 44, "location": 46, "server": 54, "vary": 59,
}

// AppendField appends a response header field (name lower-case) to dst.
func AppendField(dst []byte, name, value string) []byte {
	if name == ":status" {
		if i, ok := statusIndex[value]; ok {
			return append(dst, 0x80|i)
		}
	}
	if i, ok := nameIndex[name]; ok {
		dst = append(dst, 0x40|i)
	} else {
		dst = append(dst, 0)
		dst = appendString(dst, name)
	}
	return appendString(dst, value)
}

// AppendTrailer appends a trailer field (name lower-case) to dst: always a
// literal without indexing of a new name, as nginx's trailers are.
func AppendTrailer(dst []byte, name, value string) []byte {
	dst = append(dst, 0)
	dst = appendString(dst, name)
	return appendString(dst, value)
}

// appendString appends an HPACK string literal, Huffman-coded when
// shorter (ngx_http_v2_string_encode).
func appendString(dst []byte, s string) []byte {
	if n := hpack.HuffmanEncodeLength(s); n < uint64(len(s)) {
		dst = appendInt(dst, 7, 0x80, n)
		return hpack.AppendHuffmanString(dst, s)
	}
	dst = appendInt(dst, 7, 0, uint64(len(s)))
	return append(dst, s...)
}

// appendInt appends an HPACK integer with an n-bit prefix, the first
// byte's other bits set to flags.
func appendInt(dst []byte, n uint, flags byte, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(dst, flags|byte(v))
	}
	dst = append(dst, flags|byte(max))
	v -= max
	for v >= 128 {
		dst = append(dst, byte(v&0x7f)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
