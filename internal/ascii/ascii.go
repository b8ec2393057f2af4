// Package ascii compares and lowercases strings as nginx does: by ASCII
// letters only (ngx_strcasecmp, ngx_strncasecmp, ngx_strlow,
// ngx_strcasestrn).
//
// Go's strings.EqualFold and strings.ToLower fold Unicode too: "ſ"
// (U+017F) matches "s" and "K" (U+212A, the Kelvin sign) matches "k", so
// that an upstream's "Tranſfer-Encoding" would be taken for
// Transfer-Encoding, and ToLower can change a string's length ("İ" becomes
// three bytes), so that an index found in the lowered string is not one in
// the original. Names and tokens read from the wire must match what nginx
// matches, no more: every comparison of them goes through this package.
// Every function keeps bytes that are not ASCII letters as they are.
package ascii

import "github.com/sluicehq/sluice/internal/bytesconv"

// Lower returns c in lower case when it is an ASCII letter, else c.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are the same bytes once ASCII letters
// are lowered.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether s begins with prefix, ASCII letters
// compared without case.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && EqualFold(s[:len(prefix)], prefix)
}

// IndexFold returns the index in s of the first occurrence of sub, ASCII
// letters compared without case, or -1 (ngx_strcasestrn).
func IndexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

// ContainsFold reports whether sub occurs in s, ASCII letters compared
// without case.
func ContainsFold(s, sub string) bool { return IndexFold(s, sub) >= 0 }

// ToLower returns s with its ASCII upper-case letters lowered (ngx_strlow).
// The result has s's length, so that an index in it is an index in s; s
// itself comes back, without a copy, when it has nothing to lower.
func ToLower(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	return bytesconv.String(AppendLower(make([]byte, 0, len(s)), s))
}

// AppendLower appends s to dst with its ASCII upper-case letters lowered.
func AppendLower[S ~string | ~[]byte](dst []byte, s S) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, Lower(s[i]))
	}
	return dst
}

// VarNameMatches reports whether a header's name is the one a variable
// such as $http_x_real_ip names by its suffix v (in lower case): the
// name's ASCII letters lowered and its "-" read as "_".
func VarNameMatches(name, v string) bool {
	if len(name) != len(v) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := Lower(name[i])
		if c == '-' {
			c = '_'
		}
		if c != v[i] {
			return false
		}
	}
	return true
}
