package headers

// ParseHTTPTime parses an HTTP date as nginx's ngx_parse_http_time does,
// into a Unix time: RFC 1123 ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850
// ("Sunday, 06-Nov-94 08:49:37 GMT", two-digit years before 70 in the 2000s)
// and asctime ("Sun Nov  6 08:49:37 1994"). Like nginx it reads the fields
// by position: the weekday name and the zone are not checked, and what
// follows the time is ignored.
func ParseHTTPTime(s string) (int64, bool) {
	const (
		rfc822 = iota + 1
		rfc850
		isoc
	)
	fmtKind := 0
	p := 0
	for ; p < len(s); p++ {
		if s[p] == ',' {
			break
		}
		if s[p] == ' ' {
			fmtKind = isoc
			break
		}
	}
	for p++; p < len(s) && s[p] == ' '; p++ {
	}
	if len(s)-p < 18 {
		return 0, false
	}
	var day, year int
	if fmtKind != isoc {
		d, ok := digits(s, p, 2)
		if !ok {
			return 0, false
		}
		day = d
		p += 2
		switch s[p] {
		case ' ':
			if len(s)-p < 18 {
				return 0, false
			}
			fmtKind = rfc822
		case '-':
			fmtKind = rfc850
		default:
			return 0, false
		}
		p++
	}
	month, ok := monthAt(s, p)
	if !ok {
		return 0, false
	}
	p += 3
	if fmtKind == rfc822 && s[p] != ' ' || fmtKind == rfc850 && s[p] != '-' {
		return 0, false
	}
	p++
	switch fmtKind {
	case rfc822:
		if year, ok = digits(s, p, 4); !ok {
			return 0, false
		}
		p += 4
	case rfc850:
		if year, ok = digits(s, p, 2); !ok {
			return 0, false
		}
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
		p += 2
	case isoc:
		if s[p] == ' ' {
			p++
		}
		if !isDigit(s[p]) {
			return 0, false
		}
		day = int(s[p] - '0')
		p++
		if s[p] != ' ' {
			if !isDigit(s[p]) {
				return 0, false
			}
			day = day*10 + int(s[p]-'0')
			p++
		}
		if len(s)-p < 14 {
			return 0, false
		}
	}
	if s[p] != ' ' {
		return 0, false
	}
	p++
	hour, ok1 := digits(s, p, 2)
	if !ok1 || s[p+2] != ':' {
		return 0, false
	}
	min, ok2 := digits(s, p+3, 2)
	if !ok2 || s[p+5] != ':' {
		return 0, false
	}
	sec, ok3 := digits(s, p+6, 2)
	if !ok3 {
		return 0, false
	}
	p += 8
	if fmtKind == isoc {
		if len(s)-p < 5 || s[p] != ' ' {
			return 0, false
		}
		if year, ok = digits(s, p+1, 4); !ok {
			return 0, false
		}
	}
	if hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	if day == 29 && month == 1 {
		if year%4 != 0 || year%100 == 0 && year%400 != 0 {
			return 0, false
		}
	} else if day > monthDays[month] {
		return 0, false
	}
	return unixTime(year, month, day, hour, min, sec), true
}

var monthDays = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// monthAt reads a month name the way nginx does: by the letters that tell
// the months apart, not the whole name.
func monthAt(s string, p int) (int, bool) {
	if len(s)-p < 3 {
		return 0, false
	}
	switch s[p] {
	case 'J':
		switch {
		case s[p+1] == 'a':
			return 0, true
		case s[p+2] == 'n':
			return 5, true
		}
		return 6, true
	case 'F':
		return 1, true
	case 'M':
		if s[p+2] == 'r' {
			return 2, true
		}
		return 4, true
	case 'A':
		if s[p+1] == 'p' {
			return 3, true
		}
		return 7, true
	case 'S':
		return 8, true
	case 'O':
		return 9, true
	case 'N':
		return 10, true
	case 'D':
		return 11, true
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits reads n decimal digits at p.
func digits(s string, p, n int) (int, bool) {
	if p+n > len(s) {
		return 0, false
	}
	v := 0
	for i := p; i < p+n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// unixTime converts a proleptic Gregorian date (month from 0) to Unix
// seconds with nginx's arithmetic: Gauss' formula counting days from
// March 1, in unsigned 64-bit integers (so a date before 1970 comes out as
// nginx's does, and year 0 wraps the way it wraps there).
func unixTime(year, month, day, hour, min, sec int) int64 {
	y, m := uint64(year), uint64(month+1)
	if month-1 <= 0 {
		m += 10
		y--
	} else {
		m -= 2
	}
	days := 365*y + y/4 - y/100 + y/400 + 367*m/12 - 30 + uint64(day) - 1 - 719527 + 31 + 28
	return int64(days*86400 + uint64(hour*3600+min*60+sec))
}
