package http1

import "github.com/sluicehq/sluice/internal/ascii"

// ValidateHost checks and normalises a Host header value or the authority
// of an absolute-form request target, the way nginx's
// ngx_http_validate_host does, and returns the host without port and
// trailing dot, the port (0 when absent or empty), and whether it is valid.
// nginx answers an invalid host with 400 ("client sent invalid host
// header" / "... in request line").
//
// Accepted: letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = % in a name;
// an IP literal in brackets (letters, digits, those characters and ':');
// an optional ":port" of digits up to 65535. Rejected: an empty host, two
// dots in a row, any other byte, text after "]" other than a port, and an
// unclosed '['. A single trailing dot is removed.
//
// When the host has uppercase letters the lowercase form is appended to
// dst and returned (pass dst with capacity len(host) to avoid
// allocating); otherwise the result is a slice of host and dst is unused.
func ValidateHost(dst, host []byte) (h []byte, port int, ok bool) {
	const (
		hostStart = iota
		hostName
		hostIPLiteral
		hostEnd
		hostPort
	)
	st := hostStart
	dot := -2 // offset of the last '.'; -2 so no i-1 matches at i == 0
	hostLen := len(host)
	upper := false

	for i := 0; i < len(host); i++ {
		c := host[i]
		switch st {
		case hostStart, hostName:
			if st == hostStart && c == '[' {
				st = hostIPLiteral
				continue
			}
			st = hostName
			switch {
			case c >= 'A' && c <= 'Z':
				upper = true
			case c >= 'a' && c <= 'z', isDigit(c):
			case c == ':':
				hostLen = i
				st = hostPort
			case c == '.':
				if dot == i-1 {
					return nil, 0, false
				}
				dot = i
			case hostByte(c) || c == '%':
			default:
				return nil, 0, false
			}

		case hostIPLiteral:
			switch {
			case c >= 'A' && c <= 'Z':
				upper = true
			case c >= 'a' && c <= 'z', isDigit(c), c == ':':
			case c == ']':
				hostLen = i + 1
				st = hostEnd
			case c == '.':
				if dot == i-1 {
					return nil, 0, false
				}
				dot = i
			case hostByte(c):
			default:
				return nil, 0, false
			}

		case hostEnd:
			if c != ':' {
				return nil, 0, false
			}
			st = hostPort

		case hostPort:
			if !isDigit(c) {
				return nil, 0, false
			}
			port = port*10 + int(c-'0')
			if port > 65535 {
				return nil, 0, false
			}
		}
	}

	if st == hostIPLiteral {
		return nil, 0, false
	}
	if dot == hostLen-1 {
		hostLen--
	}
	if hostLen <= 0 {
		return nil, 0, false
	}
	if !upper {
		return host[:hostLen], port, true
	}
	start := len(dst)
	dst = ascii.AppendLower(dst, host[:hostLen])
	return dst[start:], port, true
}

// hostByte reports whether c is an unreserved or sub-delim byte other than
// letters, digits and '.' (allowed in a host name and an IP literal).
func hostByte(c byte) bool {
	switch c {
	case '-', '_', '~',
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}
