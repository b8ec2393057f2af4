package headers

import (
	"testing"
	"time"
)

func TestParseExpires(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind expiresKind
		want expiresKind
		secs int64
		err  string
	}{
		{name: "seconds", in: "2048", kind: expiresAccess, want: expiresAccess, secs: 2048},
		{name: "units", in: "1h30m", kind: expiresAccess, want: expiresAccess, secs: 5400},
		{name: "plus", in: "+1d", kind: expiresAccess, want: expiresAccess, secs: 86400},
		{name: "minus", in: "-2048", kind: expiresAccess, want: expiresAccess, secs: -2048},
		{name: "zero", in: "0", kind: expiresAccess, want: expiresAccess},
		{name: "epoch", in: "epoch", kind: expiresAccess, want: expiresEpoch},
		{name: "max", in: "max", kind: expiresAccess, want: expiresMax},
		{name: "off", in: "off", kind: expiresAccess, want: expiresOff},
		{name: "daily", in: "@15h30m33s", kind: expiresAccess, want: expiresDaily, secs: 55833},
		{name: "daily limit", in: "@24h", kind: expiresAccess, want: expiresDaily, secs: 86400},
		{name: "daily too late", in: "@25h", kind: expiresAccess, err: "daily time value must be less than 24 hours"},
		{name: "modified", in: "1h", kind: expiresModified, want: expiresModified, secs: 3600},
		{name: "modified epoch", in: "epoch", kind: expiresModified, err: "invalid value"},
		{name: "modified daily", in: "@1h", kind: expiresModified, err: "daily time cannot be used with \"modified\" parameter"},
		{name: "milliseconds", in: "10ms", kind: expiresAccess, err: "invalid value"},
		{name: "empty", in: "", kind: expiresAccess, err: "invalid value"},
		{name: "word", in: "bad", kind: expiresAccess, err: "invalid value"},
		{name: "capital", in: "Max", kind: expiresAccess, err: "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, s, err := parseExpires(tc.in, tc.kind)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || k != tc.want || s != tc.secs {
				t.Errorf("got %v %d %v, want %v %d", k, s, err, tc.want, tc.secs)
			}
		})
	}
}

func TestNextTime(t *testing.T) {
	loc := time.FixedZone("X", 3*3600)
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, loc)
	tests := []struct {
		name string
		sec  int64
		want time.Time
	}{
		{"later today", 13 * 3600, time.Date(2026, 3, 31, 13, 0, 0, 0, loc)},
		{"now is tomorrow", 12 * 3600, time.Date(2026, 4, 1, 12, 0, 0, 0, loc)},
		{"earlier is tomorrow", 3600 + 61, time.Date(2026, 4, 1, 1, 1, 1, 0, loc)},
		{"midnight", 0, time.Date(2026, 4, 1, 0, 0, 0, 0, loc)},
		{"24h", 86400, time.Date(2026, 4, 1, 0, 0, 0, 0, loc)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextTime(now, tc.sec); got != tc.want.Unix() {
				t.Errorf("%v, want %v", time.Unix(got, 0).In(loc), tc.want)
			}
		})
	}
}
