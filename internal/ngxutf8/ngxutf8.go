// Package ngxutf8 decodes UTF-8 the way nginx's ngx_utf8_decode does,
// which differs from package unicode/utf8 in what it accepts and in how
// far it moves past bad bytes: the charset filter and autoindex follow it.
package ngxutf8

// Decode's answers for a sequence cut short and for bad bytes (nginx's
// 0xfffffffe and 0xffffffff); both are above any code point.
const (
	Incomplete = 0xfffffffe
	Invalid    = 0xffffffff
)

// Decode decodes the sequence s starts with (s must not be empty). It
// returns the code point and how many bytes it used; Invalid for a bad
// lead byte (one byte used; ASCII too: callers handle it first), a continuation byte below 0x80 (used with
// what came before) or an overlong form; Incomplete, using nothing, when
// s ends inside the sequence. Continuation bytes are not checked further
// and code points above U+10FFFF are returned as they are, as nginx does:
// callers compare the result with 0x10FFFF.
func Decode[S ~string | ~[]byte](s S) (uint32, int) {
	u := uint32(s[0])
	var valid uint32
	var more int
	switch {
	case u >= 0xf8:
		return Invalid, 1
	case u >= 0xf0:
		u, valid, more = u&0x07, 0xffff, 3
	case u >= 0xe0:
		u, valid, more = u&0x0f, 0x7ff, 2
	case u >= 0xc2:
		u, valid, more = u&0x1f, 0x7f, 1
	default:
		return Invalid, 1
	}
	if len(s)-1 < more {
		return Incomplete, 0
	}
	for i := 1; i <= more; i++ {
		c := uint32(s[i])
		if c < 0x80 {
			return Invalid, i + 1
		}
		u = u<<6 | c&0x3f
	}
	if u > valid {
		return u, more + 1
	}
	return Invalid, more + 1
}
