package autoindex

import "github.com/sluicehq/sluice/internal/ngxutf8"

// needsHTMLEscape reports whether s has a byte appendHTMLEscaped changes.
func needsHTMLEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '"':
			return true
		}
	}
	return false
}

// appendHTMLEscaped appends s with < > & " as entities (ngx_escape_html).
func appendHTMLEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendJSONEscaped appends s as the inside of a JSON string: '"' and
// '\' escaped, control bytes as \n \r \t \b \f or \u00XX (ngx_escape_json);
// other bytes, UTF-8 or not, as they are.
func appendJSONEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x1f {
			if c == '\\' || c == '"' {
				b = append(b, '\\')
			}
			b = append(b, c)
			continue
		}
		b = append(b, '\\')
		switch c {
		case '\n':
			b = append(b, 'n')
		case '\r':
			b = append(b, 'r')
		case '\t':
			b = append(b, 't')
		case '\b':
			b = append(b, 'b')
		case '\f':
			b = append(b, 'f')
		default:
			b = append(b, 'u', '0', '0', '0'+c>>4, hex[c&0xf])
		}
	}
	return b
}

// decodeUTF8 decodes the character at the start of s as nginx's
// ngx_utf8_decode does, returning its length in bytes, or ok=false for
// an invalid or overlong sequence (n is then how far nginx skips) or for
// a sequence cut short by the end of s (n is 0).
func decodeUTF8(s string) (n int, ok bool) {
	u, n := ngxutf8.Decode(s)
	return n, u <= 0x10ffff
}

// utf8Length counts the characters of s (ngx_utf8_length); when s is not
// valid UTF-8 it returns the byte length.
func utf8Length(s string) int {
	n := 0
	for i := 0; i < len(s); n++ {
		if s[i] < 0x80 {
			i++
			continue
		}
		size, ok := decodeUTF8(s[i:])
		if !ok {
			return len(s)
		}
		i += size
	}
	return n
}

// utf8Prefix returns the byte length of the first chars characters of s,
// stopping early at an invalid sequence (ngx_utf8_cpystrn).
func utf8Prefix(s string, chars int) int {
	i := 0
	for ; chars > 0 && i < len(s); chars-- {
		if s[i] < 0x80 {
			i++
			continue
		}
		size, ok := decodeUTF8(s[i:])
		if !ok {
			break
		}
		i += size
	}
	return i
}
