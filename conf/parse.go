package conf

import (
	"math"
	"time"
)

// ParseSize parses nginx's size syntax ("1024", "8k", "1m"; ngx_parse_size).
// It returns false on any error, including overflow.
func ParseSize(s string) (int64, bool) {
	return parseScaled(s, false)
}

// ParseOffset parses nginx's offset syntax, which also accepts "g"
// (ngx_parse_offset).
func ParseOffset(s string) (int64, bool) {
	return parseScaled(s, true)
}

func parseScaled(s string, giga bool) (int64, bool) {
	if s == "" {
		return 0, false
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale = 1 << 10
	case 'm', 'M':
		scale = 1 << 20
	case 'g', 'G':
		if giga {
			scale = 1 << 30
		}
	}
	if scale != 1 {
		s = s[:len(s)-1]
	}
	n, ok := Atoi(s)
	if !ok || n > math.MaxInt64/scale {
		return 0, false
	}
	return n * scale, true
}

// Atoi parses a non-negative decimal number as nginx's ngx_atoi does: digits
// only, no sign, no overflow.
func Atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// ParseTime parses nginx's time syntax ("30", "30s", "1h 30m", "500ms",
// "1y 2M 3w 4d 5h 6m 7s 8ms") into milliseconds, or into seconds when sec is
// true (then "ms" is invalid). Units must come in decreasing order; a bare
// number means seconds (ngx_parse_time).
func ParseTime(s string, sec bool) (int64, bool) {
	const (
		stStart = iota
		stYear
		stMonth
		stWeek
		stDay
		stHour
		stMin
		stSec
		stMsec
		stLast
	)
	var (
		value, total int64
		valid        bool
		step         = stStart
	)
	if !sec {
		step = stMonth
	}
	// nginx starts milliseconds at st_month, which forbids "y" there: keep it.
	const maxInt = math.MaxInt64
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			d := int64(c - '0')
			if value > (maxInt-d)/10 {
				return 0, false
			}
			value = value*10 + d
			valid = true
			i++
			continue
		}
		i++
		var max, scale int64
		switch c {
		case 'y':
			if step > stStart {
				return 0, false
			}
			step, scale = stYear, 60*60*24*365
		case 'M':
			if step >= stMonth {
				return 0, false
			}
			step, scale = stMonth, 60*60*24*30
		case 'w':
			if step >= stWeek {
				return 0, false
			}
			step, scale = stWeek, 60*60*24*7
		case 'd':
			if step >= stDay {
				return 0, false
			}
			step, scale = stDay, 60*60*24
		case 'h':
			if step >= stHour {
				return 0, false
			}
			step, scale = stHour, 60*60
		case 'm':
			if i < len(s) && s[i] == 's' {
				if sec || step >= stMsec {
					return 0, false
				}
				i++
				step, scale = stMsec, 1
				break
			}
			if step >= stMin {
				return 0, false
			}
			step, scale = stMin, 60
		case 's':
			if step >= stSec {
				return 0, false
			}
			step, scale = stSec, 1
		case ' ':
			if step >= stSec {
				return 0, false
			}
			step, scale = stLast, 1
		default:
			return 0, false
		}
		max = maxInt / scale
		if step != stMsec && !sec {
			scale *= 1000
			max /= 1000
		}
		if value > max {
			return 0, false
		}
		value *= scale
		if total > maxInt-value {
			return 0, false
		}
		total += value
		value = 0
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	if !valid {
		return 0, false
	}
	if !sec {
		if value > maxInt/1000 {
			return 0, false
		}
		value *= 1000
	}
	if total > maxInt-value {
		return 0, false
	}
	return total + value, true
}

// ParseMsec parses a time into a Duration, saturating at the largest
// Duration (about 292 years) where nginx's millisecond counter goes further.
func ParseMsec(s string) (time.Duration, bool) {
	ms, ok := ParseTime(s, false)
	if !ok {
		return 0, false
	}
	if ms > int64(math.MaxInt64/time.Millisecond) {
		return math.MaxInt64, true
	}
	return time.Duration(ms) * time.Millisecond, true
}
