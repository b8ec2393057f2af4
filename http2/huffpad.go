package http2

import "golang.org/x/net/http2/hpack"

// nginx's HPACK decoder (ngx_http_huff_decode) accepts a Huffman-coded
// string padded with a whole byte of ones, which RFC 7541 (5.2) calls a
// decoding error and golang.org/x/net's decoder refuses; nginx-tests'
// client pads that way a string whose code ends on a byte boundary.
// TrimHuffmanPadding walks a header block's representations, which are
// self-delimiting without the tables, and takes that byte off such
// strings, so that the block decodes as nginx decodes it.

// TrimHuffmanPadding returns block, or when one of its Huffman-coded
// strings fails to decode only because it ends with a whole byte of EOS
// padding, a copy without those bytes. A block it cannot walk (truncated,
// an integer too large) is returned as it is, for the decoder to refuse.
func TrimHuffmanPadding(block []byte) []byte {
	var out []byte // the copy, once a string is trimmed
	done := 0      // block[:done] is in out
	for i := 0; i < len(block); {
		b := block[i]
		var prefix uint
		strings := 0
		switch {
		case b&0x80 != 0: // indexed
			prefix = 7
		case b&0xe0 == 0x20: // dynamic table size update
			prefix = 5
		case b&0xc0 == 0x40: // literal with incremental indexing
			prefix, strings = 6, 1
		default: // literal without indexing, never indexed
			prefix, strings = 4, 1
		}
		idx, n, ok := hpackInt(block[i:], prefix)
		if !ok {
			return orBlock(out, block, done)
		}
		i += n
		if strings == 1 && idx == 0 {
			strings = 2 // a new name, then the value
		}
		for ; strings > 0; strings-- {
			if i >= len(block) {
				return orBlock(out, block, done)
			}
			huff := block[i]&0x80 != 0
			l, n, ok := hpackInt(block[i:], 7)
			if !ok || uint64(len(block)-i-n) < l {
				return orBlock(out, block, done)
			}
			s := block[i+n : i+n+int(l)]
			if huff && trimmable(s) {
				out = append(out, block[done:i]...)
				out = appendInt(out, 7, 0x80, l-1)
				out = append(out, s[:l-1]...)
				done = i + n + int(l)
			}
			i += n + int(l)
		}
	}
	return orBlock(out, block, done)
}

// trimmable reports whether a Huffman-coded string fails to decode, and
// decodes without its last byte, a byte of ones.
func trimmable(s []byte) bool {
	if len(s) == 0 || s[len(s)-1] != 0xff {
		return false
	}
	if _, err := hpack.HuffmanDecodeToString(s); err == nil {
		return false
	}
	_, err := hpack.HuffmanDecodeToString(s[:len(s)-1])
	return err == nil
}

// orBlock finishes the copy, or returns block when nothing was trimmed.
func orBlock(out, block []byte, done int) []byte {
	if out == nil {
		return block
	}
	return append(out, block[done:]...)
}

// hpackInt decodes an HPACK integer with an n-bit prefix (RFC 7541, 5.1):
// its value and length; ok is false when b ends inside it or it does not
// fit in 32 bits.
func hpackInt(b []byte, n uint) (v uint64, size int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	mask := uint64(1)<<n - 1
	v = uint64(b[0]) & mask
	if v < mask {
		return v, 1, true
	}
	for i, shift := 1, uint(0); i < len(b) && shift <= 28; i, shift = i+1, shift+7 {
		v += uint64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, i + 1, v <= 1<<32-1
		}
	}
	return 0, 0, false
}
