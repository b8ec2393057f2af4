package http1

import (
	"net/http"
	"testing"
	"time"
)

func TestParseHTTPTime(t *testing.T) {
	const mar4 = 1614834367 // Thu, 04 Mar 2021 05:06:07 GMT
	tests := []struct {
		name, in string
		want     int64
	}{
		{"rfc1123", "Thu, 04 Mar 2021 05:06:07 GMT", mar4},
		{"rfc1123 without zone", "Thu, 04 Mar 2021 05:06:07", mar4},
		{"rfc1123 trailing junk", "Thu, 04 Mar 2021 05:06:07 GMTxyz", mar4},
		{"weekday ignored", "Xxx, 04 Mar 2021 05:06:07 GMT", mar4},
		{"no weekday", ", 04 Mar 2021 05:06:07 GMT", mar4},
		{"spaces after comma", "Thu,    04 Mar 2021 05:06:07 GMT", mar4},
		{"rfc850", "Thursday, 04-Mar-21 05:06:07 GMT", mar4},
		{"rfc850 1900s", "Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
		{"asctime", "Thu Mar  4 05:06:07 2021", mar4},
		{"asctime two-digit day", "Sun Nov 06 08:49:37 1994", 784111777},
		{"asctime one space", "Thu Mar 4 05:06:07 2021", mar4},
		{"epoch", "Thu, 01 Jan 1970 00:00:00 GMT", 0},
		{"leap day", "Sat, 29 Feb 2020 00:00:00 GMT", 1582934400},
		{"not a leap year", "Fri, 29 Feb 2019 00:00:00 GMT", -1},
		{"century not leap", "Thu, 29 Feb 1900 00:00:00 GMT", -1},
		{"400 leap", "Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
		{"day 31 in april", "Sat, 31 Apr 2021 00:00:00 GMT", -1},
		{"day 00 accepted", "Thu, 00 Mar 2021 05:06:07 GMT", mar4 - 4*86400},
		{"hour 24", "Thu, 04 Mar 2021 24:00:00 GMT", -1},
		{"minute 60", "Thu, 04 Mar 2021 05:60:00 GMT", -1},
		{"second 60", "Thu, 04 Mar 2021 05:06:60 GMT", -1},
		{"bad month", "Thu, 04 Xyz 2021 05:06:07 GMT", -1},
		{"month by few letters", "Thu, 04 Mxr 2021 05:06:07 GMT", mar4},
		{"june by third letter only", "Fri, 04 Jxn 2021 05:06:07 GMT", 1622783167},
		{"june by third letter", "Fri, 04 Jun 2021 05:06:07 GMT", 1622783167},
		{"july", "Sun, 04 Jul 2021 05:06:07 GMT", 1625375167},
		{"too short", "Thu, 04 Mar 2021 05:06", -1},
		{"empty", "", -1},
		{"words", "yesterday", -1},
		{"single digit day rfc1123", "Thu, 4 Mar 2021 05:06:07 GMT", -1},
		{"rfc850 wrong separator", "Thursday, 04 Mar-21 05:06:07 GMT", -1},
		{"before 1970", "Wed, 31 Dec 1969 23:59:58 GMT", -2},
		// nginx computes in unsigned arithmetic: year 0 wraps (not -62167219200)
		{"year 0000 wraps as in nginx", "Sat, 01 Jan 0000 00:00:00 GMT", -62167208832},
		{"bad colon", "Thu, 04 Mar 2021 05-06:07 GMT", -1},
		{"letters in time", "Thu, 04 Mar 2021 0a:06:07 GMT", -1},
		{"asctime bad year", "Thu Mar  4 05:06:07 20x1", -1},
		{"asctime short", "Thu Mar  4 05:06:07 20", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseHTTPTime(tc.in); got != tc.want {
				t.Errorf("ParseHTTPTime(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

// TestParseHTTPTimeAgainstStdlib checks valid dates of the three forms,
// one a day over several decades, against net/http's parser.
func TestParseHTTPTimeAgainstStdlib(t *testing.T) {
	forms := []string{time.RFC1123, time.RFC850, time.ANSIC}
	start := time.Date(1971, 1, 1, 13, 14, 15, 0, time.UTC)
	for d := 0; d < 365*60; d += 7 {
		tm := start.AddDate(0, 0, d)
		for _, f := range forms {
			s := tm.Format(f)
			if f == time.RFC1123 || f == time.RFC850 {
				s = tm.Format(f)[:len(s)-3] + "GMT"
			}
			ref, err := http.ParseTime(s)
			if err != nil {
				t.Fatalf("net/http cannot parse %q: %v", s, err)
			}
			if f == time.RFC850 && tm.Year() >= 2070 {
				continue // two-digit years wrap differently
			}
			if got := ParseHTTPTime(s); got != ref.Unix() {
				t.Fatalf("ParseHTTPTime(%q) = %d, want %d", s, got, ref.Unix())
			}
		}
	}
}

func FuzzParseHTTPTime(f *testing.F) {
	for _, s := range []string{
		"Thu, 04 Mar 2021 05:06:07 GMT", "Thursday, 04-Mar-21 05:06:07 GMT",
		"Thu Mar  4 05:06:07 2021", "", ",", " ", "Thu, 29 Feb 2020 00:00:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseHTTPTime(s)
		if got == -1 {
			return
		}
		// whatever parses must be a real date in one of the forms: the
		// formatted date must parse back to the same time
		back := ParseHTTPTime(time.Unix(got, 0).UTC().Format(time.RFC1123))
		if got >= 0 && back != got {
			t.Fatalf("%q -> %d, formatted back -> %d", s, got, back)
		}
	})
}
