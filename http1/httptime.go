package http1

// ParseHTTPTime parses an HTTP date the way nginx's ngx_parse_http_time
// does and returns it as a Unix time, or -1 when value is not a date.
//
// Three forms are accepted: RFC 1123 "Sun, 06 Nov 1994 08:49:37 GMT"
// (anything before the comma is ignored, so is anything after the
// seconds), RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years
// below 70 are 20xx) and asctime "Sun Nov  6 08:49:37 1994". Months are
// recognised by as few letters as tell them apart, as nginx does
// ("Jxn" is June). Like nginx, a date before 1970 comes out negative,
// and 31 Dec 1969 23:59:59 is indistinguishable from an error.
func ParseHTTPTime(value string) int64 {
	const (
		fmtNone = iota
		fmtRFC822
		fmtRFC850
		fmtISOC
	)
	// at reads like a NUL-terminated C string: 0 past the end.
	at := func(i int) byte {
		if i < len(value) {
			return value[i]
		}
		return 0
	}
	digit := func(i int) (uint64, bool) {
		c := at(i)
		if c < '0' || c > '9' {
			return 0, false
		}
		return uint64(c - '0'), true
	}
	two := func(i int) (uint64, bool) {
		a, ok1 := digit(i)
		b, ok2 := digit(i + 1)
		return a*10 + b, ok1 && ok2
	}
	four := func(i int) (uint64, bool) {
		a, ok1 := two(i)
		b, ok2 := two(i + 2)
		return a*100 + b, ok1 && ok2
	}

	form := fmtNone
	end := len(value)
	p := 0
	for ; p < end; p++ {
		if value[p] == ',' {
			break
		}
		if value[p] == ' ' {
			form = fmtISOC
			break
		}
	}
	for p++; p < end && value[p] == ' '; p++ {
	}
	if end-p < 18 {
		return -1
	}

	var day, year uint64
	var ok bool
	if form != fmtISOC {
		if day, ok = two(p); !ok {
			return -1
		}
		p += 2
		switch at(p) {
		case ' ':
			if end-p < 18 {
				return -1
			}
			form = fmtRFC822
		case '-':
			form = fmtRFC850
		default:
			return -1
		}
		p++
	}

	var month int64
	switch at(p) {
	case 'J':
		switch {
		case at(p+1) == 'a':
			month = 0
		case at(p+2) == 'n':
			month = 5
		default:
			month = 6
		}
	case 'F':
		month = 1
	case 'M':
		if at(p+2) == 'r' {
			month = 2
		} else {
			month = 4
		}
	case 'A':
		if at(p+1) == 'p' {
			month = 3
		} else {
			month = 7
		}
	case 'S':
		month = 8
	case 'O':
		month = 9
	case 'N':
		month = 10
	case 'D':
		month = 11
	default:
		return -1
	}
	p += 3
	if (form == fmtRFC822 && at(p) != ' ') || (form == fmtRFC850 && at(p) != '-') {
		return -1
	}
	p++

	switch form {
	case fmtRFC822:
		if year, ok = four(p); !ok {
			return -1
		}
		p += 4
	case fmtRFC850:
		if year, ok = two(p); !ok {
			return -1
		}
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
		p += 2
	case fmtISOC:
		if at(p) == ' ' {
			p++
		}
		d, ok := digit(p)
		if !ok {
			return -1
		}
		day = d
		p++
		if at(p) != ' ' {
			d, ok := digit(p)
			if !ok {
				return -1
			}
			day = day*10 + d
			p++
		}
		if end-p < 14 {
			return -1
		}
	}

	if at(p) != ' ' {
		return -1
	}
	p++
	hour, ok := two(p)
	if !ok {
		return -1
	}
	p += 2
	if at(p) != ':' {
		return -1
	}
	p++
	minute, ok := two(p)
	if !ok {
		return -1
	}
	p += 2
	if at(p) != ':' {
		return -1
	}
	p++
	sec, ok := two(p)
	if !ok {
		return -1
	}
	if form == fmtISOC {
		p += 2
		if at(p) != ' ' {
			return -1
		}
		p++
		if year, ok = four(p); !ok {
			return -1
		}
	}

	if hour > 23 || minute > 59 || sec > 59 {
		return -1
	}
	if day == 29 && month == 1 {
		if year&3 != 0 || (year%100 == 0 && year%400 != 0) {
			return -1
		}
	} else if day > monthDays[month] {
		return -1
	}

	// Count days from March 1 of year 1 BC (Gauss): months start at
	// March, so February's leap day falls at the end of a year. The
	// arithmetic is unsigned and wraps as nginx's does, so year 0000 and
	// dates before 1970 give the same values.
	month--
	if month <= 0 {
		month += 12
		year--
	}
	days := 365*year + year/4 - year/100 + year/400 +
		uint64(367*month/12) - 30 + day - 1 - 719527 + 31 + 28
	return int64(days*86400 + hour*3600 + minute*60 + sec)
}

var monthDays = [12]uint64{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
