package ssi

import (
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
)

// Strftime formats t with a C strftime() format in the "C" locale, as the
// timefmt of "config" is used by nginx (through the C library). zone is the
// name %Z prints ("GMT" for $date_gmt, as glibc's gmtime gives).
//
// Conversions: %a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M
// %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%, with
// glibc's flags _ - 0 ^ # and a field width, and the E and O modifiers
// (which change nothing in the "C" locale). An unknown conversion is
// copied as written, as glibc does.
func Strftime(format string, t time.Time, zone string) string {
	var b []byte
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		start := i
		i++
		// flags
		var pad byte // 0: the conversion's own
		upper, swap := false, false
		for ; i < len(format); i++ {
			switch format[i] {
			case '_':
				pad = ' '
				continue
			case '-':
				pad = '-'
				continue
			case '0':
				pad = '0'
				continue
			case '^':
				upper = true
				continue
			case '#':
				swap = true
				continue
			}
			break
		}
		width := -1
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			if width < 0 {
				width = 0
			}
			width = width*10 + int(format[i]-'0')
		}
		if i < len(format) && (format[i] == 'E' || format[i] == 'O') {
			i++
		}
		if i >= len(format) {
			b = append(b, format[start:]...)
			break
		}
		v, num, own, ok := conversion(format[i], t, zone)
		if !ok {
			b = append(b, format[start:i+1]...)
			continue
		}
		if upper || swap && !num {
			if swap && !upper && (format[i] == 'Z' || format[i] == 'p') {
				v = ascii.ToLower(v)
			} else {
				v = strings.ToUpper(v)
			}
		}
		b = appendPadded(b, v, num, own, pad, width)
	}
	return string(b)
}

// appendPadded pads v to width (or its own width for numbers) with the
// flag's padding.
func appendPadded(b []byte, v string, num bool, own int, pad byte, width int) []byte {
	fill := byte(' ')
	if num {
		fill = '0'
		if own < 0 {
			own, fill = -own, ' '
		}
		if width < 0 {
			width = own
		}
	}
	switch pad {
	case '-':
		if num {
			v = strings.TrimLeft(v, "0 ")
			if v == "" {
				v = "0"
			}
		}
		return append(b, v...)
	case ' ', '0':
		fill = pad
	}
	if num && pad != 0 {
		v = strings.TrimLeft(v, "0 ")
		if v == "" {
			v = "0"
		}
	}
	for n := len(v); n < width; n++ {
		b = append(b, fill)
	}
	return append(b, v...)
}

var (
	weekdays = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// conversion returns one conversion's text; num marks numbers, own is
// their natural width (negative: padded with spaces).
func conversion(c byte, t time.Time, zone string) (v string, num bool, own int, ok bool) {
	two := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	spaced := func(n int) string {
		if n < 10 {
			return " " + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	switch c {
	case 'a':
		return weekdays[t.Weekday()][:3], false, 0, true
	case 'A':
		return weekdays[t.Weekday()], false, 0, true
	case 'b', 'h':
		return months[t.Month()-1][:3], false, 0, true
	case 'B':
		return months[t.Month()-1], false, 0, true
	case 'c':
		return Strftime("%a %b %e %H:%M:%S %Y", t, zone), false, 0, true
	case 'C':
		return two(t.Year() / 100), true, 2, true
	case 'd':
		return two(t.Day()), true, 2, true
	case 'D', 'x':
		return Strftime("%m/%d/%y", t, zone), false, 0, true
	case 'e':
		return spaced(t.Day()), true, -2, true
	case 'F':
		return Strftime("%Y-%m-%d", t, zone), false, 0, true
	case 'g':
		y, _ := t.ISOWeek()
		return two(y % 100), true, 2, true
	case 'G':
		y, _ := t.ISOWeek()
		return strconv.Itoa(y), true, 1, true
	case 'H':
		return two(t.Hour()), true, 2, true
	case 'I':
		return two(hour12), true, 2, true
	case 'j':
		d := t.YearDay()
		s := strconv.Itoa(d)
		for len(s) < 3 {
			s = "0" + s
		}
		return s, true, 3, true
	case 'k':
		return spaced(t.Hour()), true, -2, true
	case 'l':
		return spaced(hour12), true, -2, true
	case 'm':
		return two(int(t.Month())), true, 2, true
	case 'M':
		return two(t.Minute()), true, 2, true
	case 'n':
		return "\n", false, 0, true
	case 'p':
		if t.Hour() < 12 {
			return "AM", false, 0, true
		}
		return "PM", false, 0, true
	case 'P':
		if t.Hour() < 12 {
			return "am", false, 0, true
		}
		return "pm", false, 0, true
	case 'r':
		return Strftime("%I:%M:%S %p", t, zone), false, 0, true
	case 'R':
		return Strftime("%H:%M", t, zone), false, 0, true
	case 's':
		return strconv.FormatInt(t.Unix(), 10), true, 1, true
	case 'S':
		return two(t.Second()), true, 2, true
	case 't':
		return "\t", false, 0, true
	case 'T', 'X':
		return Strftime("%H:%M:%S", t, zone), false, 0, true
	case 'u':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return strconv.Itoa(wd), true, 1, true
	case 'U':
		return two((t.YearDay() + 6 - int(t.Weekday())) / 7), true, 2, true
	case 'V':
		_, w := t.ISOWeek()
		return two(w), true, 2, true
	case 'w':
		return strconv.Itoa(int(t.Weekday())), true, 1, true
	case 'W':
		return two((t.YearDay() + 6 - (int(t.Weekday())+6)%7) / 7), true, 2, true
	case 'y':
		return two(t.Year() % 100), true, 2, true
	case 'Y':
		return strconv.Itoa(t.Year()), true, 1, true
	case 'z':
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		return string(sign) + two(off/3600) + two(off%3600/60), false, 0, true
	case 'Z':
		return zone, false, 0, true
	case '%':
		return "%", false, 0, true
	}
	return "", false, 0, false
}
