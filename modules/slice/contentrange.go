package slice

import "math"

// contentRange is a slice response's Content-Range: bytes [Start, End) of
// a resource of Complete bytes, -1 when the length is "*".
type contentRange struct {
	Start, End, Complete int64
}

// parseContentRange parses "bytes START-END/LENGTH" (LENGTH may be "*")
// as ngx_http_slice_parse_content_range does: "bytes " is matched
// exactly, spaces are allowed around the numbers and signs, numbers that
// overflow an off_t fail. End is made exclusive.
func parseContentRange(v string) (contentRange, bool) {
	var cr contentRange
	if len(v) < 7 || v[:6] != "bytes " {
		return cr, false
	}
	p := v[6:]
	var ok bool
	if cr.Start, p, ok = number(skipSpaces(p)); !ok {
		return cr, false
	}
	p = skipSpaces(p)
	if p == "" || p[0] != '-' {
		return cr, false
	}
	if cr.End, p, ok = number(skipSpaces(p[1:])); !ok {
		return cr, false
	}
	cr.End++
	p = skipSpaces(p)
	if p == "" || p[0] != '/' {
		return cr, false
	}
	p = skipSpaces(p[1:])
	if p != "" && p[0] == '*' {
		cr.Complete = -1
		p = p[1:]
	} else if cr.Complete, p, ok = number(p); !ok {
		return cr, false
	}
	return cr, skipSpaces(p) == ""
}

// skipSpaces drops leading spaces.
func skipSpaces(p string) string {
	for p != "" && p[0] == ' ' {
		p = p[1:]
	}
	return p
}

// number reads the decimal digits p starts with (at least one); it fails
// when there are none or the value overflows an off_t.
func number(p string) (int64, string, bool) {
	if p == "" || p[0] < '0' || p[0] > '9' {
		return 0, p, false
	}
	var n int64
	for p != "" && p[0] >= '0' && p[0] <= '9' {
		d := int64(p[0] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, p, false
		}
		n = n*10 + d
		p = p[1:]
	}
	return n, p, true
}
