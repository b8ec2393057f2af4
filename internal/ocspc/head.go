package ocspc

import (
	"bytes"
	"errors"
)

// The head parser is nginx's ngx_ssl_ocsp_parse_status_line and
// ngx_ssl_ocsp_parse_header_line, run over the bytes received so far:
// nginx parses incrementally, and parsing again from the start decides
// the same at every point.

// errNeedMore says the head is not complete yet.
var errNeedMore = errors.New("need more")

// errInvalid is a head nginx refuses: "OCSP responder sent invalid
// response".
var errInvalid = errors.New("OCSP responder sent invalid response")

// ContentTypeError is a Content-Type other than application/ocsp-response.
type ContentTypeError struct{ Value string }

func (e *ContentTypeError) Error() string {
	return "OCSP responder sent invalid \"Content-Type\" header: \"" + e.Value + "\""
}

// ParseHead parses a responder's status line and header lines in b. It
// returns the status code and where the body starts; errNeedMore when
// more bytes are needed, errInvalid or a *ContentTypeError when the
// response is refused.
func ParseHead(b []byte) (code, body int, err error) {
	code, p, err := parseStatusLine(b)
	if err != nil {
		return 0, 0, err
	}
	for {
		name, value, next, done, err := parseHeaderLine(b, p)
		if err != nil {
			return 0, 0, err
		}
		p = next
		if done {
			return code, p, nil
		}
		if len(name) == len("Content-Type") && bytes.EqualFold(name, []byte("Content-Type")) &&
			!(len(value) == len("application/ocsp-response") && bytes.EqualFold(value, []byte("application/ocsp-response"))) {
			return 0, 0, &ContentTypeError{Value: string(value)}
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseStatusLine returns the code and the offset after the status line.
func parseStatusLine(b []byte) (code, next int, err error) {
	const lit = "HTTP/"
	p := 0
	for ; p < len(lit); p++ {
		if p == len(b) {
			return 0, 0, errNeedMore
		}
		if b[p] != lit[p] {
			return 0, 0, errInvalid
		}
	}
	// major: a first digit 1-9, then digits up to '.'
	if p == len(b) {
		return 0, 0, errNeedMore
	}
	if b[p] < '1' || b[p] > '9' {
		return 0, 0, errInvalid
	}
	for p++; ; p++ {
		if p == len(b) {
			return 0, 0, errNeedMore
		}
		if b[p] == '.' {
			break
		}
		if !isDigit(b[p]) {
			return 0, 0, errInvalid
		}
	}
	// minor: a digit, then digits up to ' '
	p++
	if p == len(b) {
		return 0, 0, errNeedMore
	}
	if !isDigit(b[p]) {
		return 0, 0, errInvalid
	}
	for p++; ; p++ {
		if p == len(b) {
			return 0, 0, errNeedMore
		}
		if b[p] == ' ' {
			break
		}
		if !isDigit(b[p]) {
			return 0, 0, errInvalid
		}
	}
	// the code: spaces, then three digits
	count := 0
	for p++; count < 3; p++ {
		if p == len(b) {
			return 0, 0, errNeedMore
		}
		switch c := b[p]; {
		case c == ' ':
		case isDigit(c):
			code = code*10 + int(c-'0')
			count++
		default:
			return 0, 0, errInvalid
		}
	}
	if p == len(b) {
		return 0, 0, errNeedMore
	}
	switch b[p] {
	case ' ', '.':
		// any text until the end of the line
		for p++; ; p++ {
			if p == len(b) {
				return 0, 0, errNeedMore
			}
			if b[p] == '\n' {
				return code, p + 1, nil
			}
			if b[p] == '\r' {
				break
			}
		}
	case '\n':
		return code, p + 1, nil
	case '\r':
	default:
		return 0, 0, errInvalid
	}
	// CR: LF must follow
	p++
	if p == len(b) {
		return 0, 0, errNeedMore
	}
	if b[p] != '\n' {
		return 0, 0, errInvalid
	}
	return code, p + 1, nil
}

// parseHeaderLine parses the header line at p: its name and value (the
// value without surrounding spaces), the offset after it, and done when
// it was the empty line that ends the head.
func parseHeaderLine(b []byte, p int) (name, value []byte, next int, done bool, err error) {
	if p == len(b) {
		return nil, nil, 0, false, errNeedMore
	}
	// the first character
	switch c := b[p]; {
	case c == '\n':
		return nil, nil, p + 1, true, nil
	case c == '\r':
		if p+1 == len(b) {
			return nil, nil, 0, false, errNeedMore
		}
		if b[p+1] != '\n' {
			return nil, nil, 0, false, errInvalid
		}
		return nil, nil, p + 2, true, nil
	case isAlpha(c) || isDigit(c):
	default:
		return nil, nil, 0, false, errInvalid
	}
	start := p
	// the name, up to ':' (or an end of line: a header without a value)
	for p++; ; p++ {
		if p == len(b) {
			return nil, nil, 0, false, errNeedMore
		}
		c := b[p]
		if isAlpha(c) || isDigit(c) || c == '-' {
			continue
		}
		switch c {
		case ':':
			name = b[start:p]
		case '\r':
			return lineEnd(b, p+1, b[start:p], nil)
		case '\n':
			return b[start:p], nil, p + 1, false, nil
		default:
			return nil, nil, 0, false, errInvalid
		}
		break
	}
	// spaces before the value
	for p++; ; p++ {
		if p == len(b) {
			return nil, nil, 0, false, errNeedMore
		}
		if b[p] != ' ' {
			break
		}
	}
	switch b[p] {
	case '\r':
		return lineEnd(b, p+1, name, nil)
	case '\n':
		return name, nil, p + 1, false, nil
	}
	vstart, vend := p, -1
	// the value: its end is the start of the last run of spaces before
	// the end of the line
	for ; ; p++ {
		if p == len(b) {
			return nil, nil, 0, false, errNeedMore
		}
		switch b[p] {
		case ' ':
			if vend < 0 {
				vend = p
			}
			continue
		case '\r':
			if vend < 0 {
				vend = p
			}
			return lineEnd(b, p+1, name, b[vstart:vend])
		case '\n':
			if vend < 0 {
				vend = p
			}
			return name, b[vstart:vend], p + 1, false, nil
		}
		vend = -1
	}
}

// lineEnd expects the LF after a CR at p.
func lineEnd(b []byte, p int, name, value []byte) ([]byte, []byte, int, bool, error) {
	if p == len(b) {
		return nil, nil, 0, false, errNeedMore
	}
	if b[p] != '\n' {
		return nil, nil, 0, false, errInvalid
	}
	return name, value, p + 1, false, nil
}

func isAlpha(c byte) bool {
	c |= 0x20
	return c >= 'a' && c <= 'z'
}
