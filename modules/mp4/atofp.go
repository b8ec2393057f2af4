package mp4

import "math"

// parseTime is the value of ?start= or ?end= in milliseconds: a decimal
// number of seconds with at most one dot, digits past the third after the
// dot ignored (a Flash player may send many), or -1 when it is not such a
// number or does not fit (ngx_http_mp4_atofp with point 3).
func parseTime(s []byte) int64 {
	if len(s) == 0 {
		return -1
	}
	const cutoff, cutlim = math.MaxInt64 / 10, math.MaxInt64 % 10
	point := 3
	dot := false
	var value int64
	for _, c := range s {
		if c == '.' {
			if dot {
				return -1
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return -1
		}
		if point == 0 {
			continue
		}
		d := int64(c - '0')
		if value >= cutoff && (value > cutoff || d > cutlim) {
			return -1
		}
		value = value*10 + d
		if dot {
			point--
		}
	}
	for ; point > 0; point-- {
		if value > cutoff {
			return -1
		}
		value *= 10
	}
	return value
}
