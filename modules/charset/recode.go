package charset

import "strconv"

// Recoding tables and the recoder (the body of
// ngx_http_charset_recode, _recode_to_utf8 and _recode_from_utf8). No
// I/O: a recoder turns the bytes it is given into the destination
// charset, keeping across calls only an incomplete UTF-8 sequence.

// utfLen is the longest UTF-8 sequence a map may give (NGX_UTF_LEN - 1
// bytes of a character below U+10000) and the most a recoder keeps.
const utfLen = 4

// utf8Incomplete and utf8Invalid are decodeUTF8's answers for a sequence
// cut short and for bad bytes.
const (
	utf8Incomplete = 0xfffffffe
	utf8Invalid    = 0xffffffff
)

// table recodes one charset into another: byte to byte between two
// single-byte charsets, byte to UTF-8 sequence, or (for UTF-8 into a
// single-byte charset) code point to byte, by pages of 256 code points.
type table struct {
	single   *[256]byte
	toUTF8   *[256][]byte
	fromUTF8 *[256]*[256]byte
}

// decodeUTF8 decodes the sequence p starts with as ngx_utf8_decode does:
// it returns the code point and how many bytes it used, utf8Invalid for
// a bad lead byte (one byte used), a continuation byte below 0x80 (used
// with what came before) or an overlong form, and utf8Incomplete (nothing
// used) when p ends inside the sequence. Continuation bytes are not
// checked further, and code points above U+10FFFF are returned as they
// are, as nginx does.
func decodeUTF8(p []byte) (uint32, int) {
	u := uint32(p[0])
	var valid uint32
	var n int
	switch {
	case u >= 0xf8:
		return utf8Invalid, 1
	case u >= 0xf0:
		u, valid, n = u&0x07, 0xffff, 3
	case u >= 0xe0:
		u, valid, n = u&0x0f, 0x7ff, 2
	case u >= 0xc2:
		u, valid, n = u&0x1f, 0x7f, 1
	default:
		return utf8Invalid, 1
	}
	if len(p)-1 < n {
		return utf8Incomplete, 0
	}
	for i := 1; i <= n; i++ {
		c := uint32(p[i])
		if c < 0x80 {
			return utf8Invalid, i + 1
		}
		u = u<<6 | c&0x3f
	}
	if u > valid {
		return u, n + 1
	}
	return utf8Invalid, n + 1
}

// recoder is the recoding state of one response.
type recoder struct {
	t table
	// saved is an incomplete UTF-8 sequence from the end of the last
	// bytes recoded from UTF-8.
	saved    [utfLen]byte
	savedLen int
}

// recode appends src, recoded, to dst.
func (rc *recoder) recode(dst, src []byte) []byte {
	switch {
	case rc.t.single != nil:
		for _, c := range src {
			dst = append(dst, rc.t.single[c])
		}
	case rc.t.toUTF8 != nil:
		for _, c := range src {
			dst = append(dst, rc.t.toUTF8[c]...)
		}
	default:
		dst = rc.fromUTF8(dst, src)
	}
	return dst
}

// lookup is the byte for code point n, 0 when the map has none.
func (rc *recoder) lookup(n uint32) byte {
	if p := rc.t.fromUTF8[n>>8]; p != nil {
		return p[n&0xff]
	}
	return 0
}

// entity appends "&#N;", what a character the destination lacks becomes.
func entity(dst []byte, n uint32) []byte {
	dst = append(dst, "&#"...)
	dst = strconv.AppendUint(dst, uint64(n), 10)
	return append(dst, ';')
}

// fromUTF8 recodes UTF-8 into a single-byte charset: characters it lacks
// become "&#N;", bad sequences '?'; a sequence cut at the end of src is
// kept for the next call (and dropped if none comes).
func (rc *recoder) fromUTF8(dst, src []byte) []byte {
	if rc.savedLen > 0 && len(src) > 0 {
		// complete the sequence the previous bytes ended in
		k := min(utfLen-rc.savedLen, len(src))
		copy(rc.saved[rc.savedLen:], src[:k])
		total := rc.savedLen + k
		n, used := decodeUTF8(rc.saved[:total])
		var c byte
		if n < 0x10000 {
			c = rc.lookup(n)
		} else if n == utf8Incomplete && total < utfLen {
			rc.savedLen = total
			return dst
		}
		switch {
		case c != 0:
			dst = append(dst, c)
		case n == utf8Incomplete:
			dst = append(dst, '?')
			used = utfLen
		case n > 0x10ffff:
			dst = append(dst, '?')
			used = max(used, rc.savedLen)
		default:
			dst = entity(dst, n)
		}
		src = src[used-rc.savedLen:]
		rc.savedLen = 0
	}
	for i := 0; i < len(src); {
		if src[i] < 0x80 {
			dst = append(dst, src[i])
			i++
			continue
		}
		n, used := decodeUTF8(src[i:])
		switch {
		case n < 0x10000:
			if c := rc.lookup(n); c != 0 {
				dst = append(dst, c)
			} else {
				dst = entity(dst, n)
			}
		case n == utf8Incomplete:
			rc.savedLen = copy(rc.saved[:], src[i:])
			return dst
		case n > 0x10ffff:
			dst = append(dst, '?')
		default:
			dst = entity(dst, n)
		}
		i += used
	}
	return dst
}
