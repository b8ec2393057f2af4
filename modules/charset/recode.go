package charset

import (
	"strconv"

	"github.com/sluicehq/sluice/internal/ngxutf8"
)

// Recoding tables and the recoder (the body of
// ngx_http_charset_recode, _recode_to_utf8 and _recode_from_utf8). No
// I/O: a recoder turns the bytes it is given into the destination
// charset, keeping across calls only an incomplete UTF-8 sequence.

// utfLen is the longest UTF-8 sequence a map may give (NGX_UTF_LEN - 1
// bytes of a character below U+10000) and the most a recoder keeps.
const utfLen = 4

// table recodes one charset into another: byte to byte between two
// single-byte charsets, byte to UTF-8 sequence, or (for UTF-8 into a
// single-byte charset) code point to byte, by pages of 256 code points.
type table struct {
	single   *[256]byte
	toUTF8   *[256][]byte
	fromUTF8 *[256]*[256]byte
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
		n, used := ngxutf8.Decode(rc.saved[:total])
		var c byte
		if n < 0x10000 {
			c = rc.lookup(n)
		} else if n == ngxutf8.Incomplete && total < utfLen {
			rc.savedLen = total
			return dst
		}
		switch {
		case c != 0:
			dst = append(dst, c)
		case n == ngxutf8.Incomplete:
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
		n, used := ngxutf8.Decode(src[i:])
		switch {
		case n < 0x10000:
			if c := rc.lookup(n); c != 0 {
				dst = append(dst, c)
			} else {
				dst = entity(dst, n)
			}
		case n == ngxutf8.Incomplete:
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
