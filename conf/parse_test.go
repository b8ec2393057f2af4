package conf

import (
	"math"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		ok       bool
	}{
		{"bytes", "1024", 1024, true},
		{"k", "8k", 8192, true},
		{"K", "8K", 8192, true},
		{"m", "1m", 1 << 20, true},
		{"g is not a size unit", "1g", 0, false},
		{"empty", "", 0, false},
		{"unit only", "k", 0, false},
		{"sign", "-1", 0, false},
		{"space", "1 k", 0, false},
		{"overflow", "99999999999999999999", 0, false},
		{"overflow scaled", "9999999999999999m", 0, false},
		{"max", "9223372036854775807", math.MaxInt64, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseSize(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
	if n, ok := ParseOffset("2g"); !ok || n != 2<<30 {
		t.Errorf("ParseOffset(2g) = %d, %v", n, ok)
	}
	if _, ok := ParseOffset("99999999999g"); ok {
		t.Errorf("ParseOffset accepted an overflow")
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name, in string
		sec      bool
		want     int64
		ok       bool
	}{
		{"bare number is seconds", "30", false, 30000, true},
		{"seconds", "30s", false, 30000, true},
		{"ms", "500ms", false, 500, true},
		{"combined", "1h 30m", false, 5400000, true},
		{"combined no space", "1h30m", false, 5400000, true},
		{"all units", "1d 2h 3m 4s 5ms", false, 93784005, true},
		{"weeks", "1w", false, 604800000, true},
		{"months not in msec", "1M", false, 0, false},
		{"months in sec", "1M", true, 2592000, true},
		{"years not in msec", "1y", false, 0, false},
		{"years in sec", "1y", true, 31536000, true},
		{"ms not in sec", "5ms", true, 0, false},
		{"wrong order", "30m 1h", false, 0, false},
		{"repeated unit", "1s 1s", false, 0, false},
		{"unknown unit", "5x", false, 0, false},
		{"empty", "", false, 0, false},
		{"unit only", "s", false, 0, false},
		{"overflow", "99999999999999999999", false, 0, false},
		{"sec value", "60", true, 60, true},
		{"zero", "0", false, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseTime(tc.in, tc.sec)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("ParseTime(%q, %v) = %d, %v; want %d, %v", tc.in, tc.sec, got, ok, tc.want, tc.ok)
			}
		})
	}
	if d, ok := ParseMsec("1000y"); ok {
		t.Errorf("ParseMsec(1000y) = %v", d)
	}
	if d, ok := ParseMsec("10000w"); !ok || d != 10000*7*24*time.Hour {
		t.Errorf("ParseMsec(10000w) = %v, %v", d, ok)
	}
}

func TestValInherit(t *testing.T) {
	var parent, child, own Val[int]
	own.Set(7)
	child.Inherit(parent, 3)
	if child.Get() != 3 || !child.IsSet() {
		t.Errorf("default not applied: %v", child)
	}
	parent.Set(5)
	var c2 Val[int]
	c2.Inherit(parent, 3)
	if c2.Get() != 5 {
		t.Errorf("parent not inherited: %v", c2.Get())
	}
	own.Inherit(parent, 3)
	if own.Get() != 7 {
		t.Errorf("own value lost: %v", own.Get())
	}
	var l List[string]
	Append(&l, "a")
	var l2 List[string]
	l2.InheritOnly(l)
	if len(l2.Get()) != 1 {
		t.Errorf("list not inherited")
	}
}

func TestArity(t *testing.T) {
	tests := []struct {
		name string
		a    Arity
		n    int
		ok   bool
	}{
		{"noargs ok", NoArgs, 0, true},
		{"noargs extra", NoArgs, 1, false},
		{"take12 one", Take12, 1, true},
		{"take12 two", Take12, 2, true},
		{"take12 three", Take12, 3, false},
		{"flag", FlagArg, 1, true},
		{"flag two", FlagArg, 2, false},
		{"1more zero", OneMore, 0, false},
		{"1more many", OneMore, 20, true},
		{"2more one", TwoMore, 1, false},
		{"any", AnyArgs, 9, true},
		{"too many for takeN", Take7, 8, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.accepts(tc.n); got != tc.ok {
				t.Errorf("accepts(%d) = %v", tc.n, got)
			}
		})
	}
}
