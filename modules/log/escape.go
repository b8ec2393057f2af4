package log

const hexUpper = "0123456789ABCDEF"

// needsEscape marks the bytes the default escaping writes as "\xHH":
// control characters, '"', '\\', DEL and every byte from 0x80
// (ngx_http_log_escape).
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x7f
	}
	return t
}()

// appendEscaped appends s with the default log escaping.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape[c] {
			b = append(b, '\\', 'x', hexUpper[c>>4], hexUpper[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSON appends s escaped for a JSON string (ngx_escape_json): '"'
// and '\\' get a backslash, \n \r \t \b \f their short forms, other
// control characters \u00XX; bytes from 0x7f pass unchanged.
func appendJSON(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x1f {
			if c == '\\' || c == '"' {
				b = append(b, '\\')
			}
			b = append(b, c)
			continue
		}
		switch c {
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', '0'+c>>4, hexUpper[c&0xf])
		}
	}
	return b
}
