package rangefilter

import (
	"math"
	"reflect"
	"strconv"
	"testing"
)

func TestParseRanges(t *testing.T) {
	const unlimited = math.MaxInt32
	tests := []struct {
		name   string
		spec   string
		size   int64
		max    int
		want   []Range
		result ParseResult
	}{
		{name: "first bytes", spec: "0-4", size: 100, max: unlimited, want: []Range{{0, 5}}},
		{name: "suffix", spec: "-3", size: 100, max: unlimited, want: []Range{{97, 100}}},
		{name: "suffix longer than body", spec: "-300", size: 100, max: unlimited, want: []Range{{0, 100}}},
		{name: "open end", spec: "95-", size: 100, max: unlimited, want: []Range{{95, 100}}},
		{name: "end clipped", spec: "90-1000", size: 100, max: unlimited, want: []Range{{90, 100}}},
		{name: "blanks", spec: " 1 - 2 ", size: 100, max: unlimited, want: []Range{{1, 3}}},
		{name: "blanks after comma", spec: "1-2, 4-5", size: 100, max: unlimited, want: []Range{{1, 3}, {4, 6}}},
		{name: "past the end", spec: "100-", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "past the end closed", spec: "100-200", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "letters", spec: "abc", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "empty", spec: "", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "reversed", spec: "5-2", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "reversed from zero", spec: "0-", size: 0, max: unlimited, result: Whole},
		{name: "zero suffix", spec: "-0", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "suffix of empty body", spec: "-1", size: 0, max: unlimited, result: Whole},
		{name: "first byte of empty body", spec: "0-0", size: 0, max: unlimited, result: Whole},
		{name: "no dash", spec: "5", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "junk after end", spec: "1-2x", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "double dash", spec: "--1", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "trailing comma", spec: "1-2,", size: 100, max: unlimited, result: NotSatisfiable, want: []Range{{1, 3}}},
		{name: "overflow start", spec: "99999999999999999999-", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "overflow end", spec: "0-99999999999999999999", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "largest start", spec: "9223372036854775807-", size: 100, max: unlimited, result: NotSatisfiable},
		{name: "multipart", spec: "0-0,2-2,-1", size: 100, max: unlimited, want: []Range{{0, 1}, {2, 3}, {99, 100}}},
		{name: "multipart overlapping", spec: "0-1,1-2", size: 100, max: unlimited, want: []Range{{0, 2}, {1, 3}}},
		{name: "multipart larger than body", spec: "0-99,0-99", size: 100, max: unlimited, want: []Range{{0, 100}, {0, 100}}, result: Whole},
		{name: "multipart overhead", spec: "0-9,10-19,20-29", size: 1000, max: unlimited, want: []Range{{0, 10}, {10, 20}, {20, 30}}},
		{name: "multipart overhead too much", spec: "0-999,0-0", size: 1000, max: unlimited, want: []Range{{0, 1000}, {0, 1}}, result: Whole},
		{name: "multipart overhead with max set", spec: "0-498,0-498", size: 1000, max: 10, want: []Range{{0, 499}, {0, 499}}},
		{name: "multipart overhead with default max", spec: "0-498,0-498", size: 1000, max: unlimited, want: []Range{{0, 499}, {0, 499}}},
		{name: "many small ranges cost too much", spec: oneByteRanges(20), size: 1000, max: unlimited, want: oneByteWant(20), result: Whole},
		{name: "many small ranges with max set", spec: oneByteRanges(20), size: 1000, max: 100, want: oneByteWant(20)},
		{name: "fewer small ranges", spec: oneByteRanges(19), size: 1000, max: unlimited, want: oneByteWant(19)},
		{name: "satisfiable and not", spec: "0-1,200-300", size: 100, max: unlimited, want: []Range{{0, 2}}},
		{name: "max ranges 1", spec: "0-0,2-2", size: 100, max: 1, want: []Range{{0, 1}, {2, 3}}, result: Whole},
		{name: "max ranges 2", spec: "0-0,2-2", size: 100, max: 2, want: []Range{{0, 1}, {2, 3}}},
		{name: "max ranges exceeded late", spec: "0-0,2-2,4-4", size: 100, max: 2, want: []Range{{0, 1}, {2, 3}, {4, 5}}, result: Whole},
		{name: "unsatisfiable do not count", spec: "200-300,0-0", size: 100, max: 1, want: []Range{{0, 1}}},
		{name: "zero start empty range ends", spec: "0-0,5-5", size: 0, max: unlimited, result: Whole},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, res := ParseRanges(tc.spec, tc.size, tc.max, nil)
			if res != tc.result {
				t.Fatalf("ParseRanges(%q, %d, %d) result %d, want %d (ranges %v)", tc.spec, tc.size, tc.max, res, tc.result, got)
			}
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ranges %v, want %v", got, tc.want)
			}
		})
	}
}

// oneByteRanges is "0-0,1-1,..." with n ranges.
func oneByteRanges(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(i) + "-" + strconv.Itoa(i)
	}
	return s
}

func oneByteWant(n int) []Range {
	var rs []Range
	for i := 0; i < n; i++ {
		rs = append(rs, Range{int64(i), int64(i) + 1})
	}
	return rs
}

func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"0-4", "-3", "95-", "0-0,2-2,-1", " 1 - 2 ", "abc", "99999999999999999999-", "1-2,", "-0"} {
		f.Add(s, int64(100), 5)
	}
	f.Fuzz(func(t *testing.T, spec string, size int64, max int) {
		if size < 0 || max < 0 {
			return
		}
		ranges, res := ParseRanges(spec, size, max, nil)
		if res != Satisfiable {
			return
		}
		if len(ranges) == 0 || len(ranges) > max+1 {
			t.Fatalf("%q: %d ranges with max %d", spec, len(ranges), max)
		}
		for _, r := range ranges {
			if r.Start < 0 || r.Start >= r.End || r.End > size {
				t.Fatalf("%q size %d: bad range %v", spec, size, r)
			}
		}
	})
}
