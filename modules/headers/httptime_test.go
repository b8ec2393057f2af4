package headers

import (
	"testing"
	"time"
)

func TestParseHTTPTime(t *testing.T) {
	const want = 784111777 // Sun, 06 Nov 1994 08:49:37 GMT
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"rfc1123", "Sun, 06 Nov 1994 08:49:37 GMT", want, true},
		{"rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", want, true},
		{"asctime", "Sun Nov  6 08:49:37 1994", want, true},
		{"asctime two-digit day", "Sun Nov 16 08:49:37 1994", want + 10*86400, true},
		{"zone not checked", "Sun, 06 Nov 1994 08:49:37 XYZ", want, true},
		{"weekday not checked", "Xyz, 06 Nov 1994 08:49:37 GMT", want, true},
		{"no zone", "Sun, 06 Nov 1994 08:49:37", want, true},
		{"rfc850 2000s", "Monday, 01-Jan-01 00:00:00 GMT", 978307200, true},
		{"epoch", "Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		{"before 1970", "Wed, 31 Dec 1969 23:59:59 GMT", -1, true},
		{"leap day", "Sat, 29 Feb 2020 00:00:00 GMT", 1582934400, true},
		{"not a leap year", "Sun, 29 Feb 2019 00:00:00 GMT", 0, false},
		{"1900 not leap", "Thu, 29 Feb 1900 00:00:00 GMT", 0, false},
		{"2000 leap", "Tue, 29 Feb 2000 00:00:00 GMT", 951782400, true},
		{"day 31 of a 30-day month", "Sun, 31 Nov 1994 08:49:37 GMT", 0, false},
		{"hour 24", "Sun, 06 Nov 1994 24:00:00 GMT", 0, false},
		{"minute 60", "Sun, 06 Nov 1994 08:60:00 GMT", 0, false},
		{"bad month", "Sun, 06 Xov 1994 08:49:37 GMT", 0, false},
		{"month by letters", "Sun, 06 Nxx 1994 08:49:37 GMT", want, true},
		{"short", "Sun, 06 Nov 1994", 0, false},
		{"empty", "", 0, false},
		{"one-digit day rfc1123", "Sun, 6 Nov 1994 08:49:37 GMT", 0, false},
		{"missing colon", "Sun, 06 Nov 1994 08:49-37 GMT", 0, false},
		{"letters in year", "Sun, 06 Nov 19x4 08:49:37 GMT", 0, false},
		{"asctime bad year", "Sun Nov  6 08:49:37 19x4", 0, false},
		{"spaces after comma", "Sun,    06 Nov 1994 08:49:37 GMT", want, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseHTTPTime(tc.in)
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("ParseHTTPTime(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseHTTPTime checks that no input panics and that every time
// formatted as HTTP dates (both RFC 1123 and asctime) reads back.
func FuzzParseHTTPTime(f *testing.F) {
	f.Add("Sun, 06 Nov 1994 08:49:37 GMT", int64(784111777))
	f.Add("Sunday, 06-Nov-94 08:49:37 GMT", int64(0))
	f.Add("Sun Nov  6 08:49:37 1994", int64(253402300799))
	f.Fuzz(func(t *testing.T, s string, sec int64) {
		ParseHTTPTime(s)
		if sec < 0 || sec > 253402300799 { // years 1970..9999
			return
		}
		tm := time.Unix(sec, 0).UTC()
		for _, layout := range []string{time.RFC1123, time.ANSIC} {
			text := tm.Format(layout)
			got, ok := ParseHTTPTime(text)
			if !ok || got != sec {
				t.Fatalf("ParseHTTPTime(%q) = %d %v, want %d", text, got, ok, sec)
			}
		}
	})
}
