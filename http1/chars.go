package http1

import "github.com/sluicehq/sluice/internal/ascii"

// Byte classes shared by the parsers. They are built once from readable
// rules rather than written out as bitmaps.

const (
	cr = '\r'
	lf = '\n'
)

// plainURI marks the bytes of a request target that need no attention
// from the URI scanners: everything above the space except DEL and the
// characters that start a special case (fragment, escape, plus, dot,
// slash, query). Bytes >= 0x80 are plain.
var plainURI = func() (t [256]bool) {
	for c := 0x21; c < 256; c++ {
		t[c] = c != 0x7f
	}
	for _, c := range []byte("#%+./?") {
		t[c] = false
	}
	return t
}()

// nameLower maps a header-name byte to its lowercase form when it is a
// letter, a digit or '-', and to 0 for every other byte.
var nameLower = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	t['-'] = '-'
	return t
}()

// valueStop marks the bytes that end a run of header-value bytes: space,
// CR, LF and NUL.
var valueStop = [256]bool{' ': true, cr: true, lf: true, 0: true}

// isCtl reports whether c is a control byte or DEL.
func isCtl(c byte) bool { return c < 0x20 || c == 0x7f }

// isAlpha reports whether c is an ASCII letter.
func isAlpha(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hexVal returns the value of the hex digit c and whether c is one.
func hexVal(c byte) (byte, bool) {
	if c >= '0' && c <= '9' {
		return c - '0', true
	}
	if l := c | 0x20; l >= 'a' && l <= 'f' {
		return l - 'a' + 10, true
	}
	return 0, false
}

// equalFold reports whether a and b are equal when A-Z are folded to a-z
// (the comparison of nginx's ngx_strncasecmp, without locale rules).
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && ascii.Lower(a[i]) != ascii.Lower(b[i]) {
			return false
		}
	}
	return true
}
