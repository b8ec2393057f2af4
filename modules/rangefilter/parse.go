package rangefilter

import "math"

// Range is a byte range of a body: [Start, End).
type Range struct {
	Start, End int64
}

// ParseResult says what a Range header asks for.
type ParseResult int

// The outcomes of ParseRanges.
const (
	// Satisfiable: serve the ranges returned.
	Satisfiable ParseResult = iota
	// NotSatisfiable: answer 416.
	NotSatisfiable
	// Whole: ignore the header and send the whole body (too many ranges,
	// or ranges that overlap so much they cost more than the body).
	Whole
)

// ParseRanges parses the value of a Range header after "bytes=" for a
// body of length size, allowing at most max ranges (nginx's
// ngx_http_range_parse), appending them to into[:0]. Ranges wholly past
// the end are dropped; the rest are clipped to the body. When max is
// max_ranges' default (the largest int32), several ranges whose total
// exceeds the body by too much (256 bytes of overhead each, 4 KiB slack)
// are served whole.
func ParseRanges(spec string, size int64, max int, into []Range) ([]Range, ParseResult) {
	const cutoff, cutlim = math.MaxInt64 / 10, math.MaxInt64 % 10
	at := func(i int) byte {
		if i < len(spec) {
			return spec[i]
		}
		return 0
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	ranges := into[:0]
	p := 0
	var total int64
	left := max
	for {
		var start, end int64
		suffix := false
		for at(p) == ' ' {
			p++
		}
		if at(p) != '-' {
			if !isDigit(at(p)) {
				return ranges, NotSatisfiable
			}
			for isDigit(at(p)) {
				d := int64(at(p) - '0')
				if start >= cutoff && (start > cutoff || d > cutlim) {
					return ranges, NotSatisfiable
				}
				start = start*10 + d
				p++
			}
			for at(p) == ' ' {
				p++
			}
			if at(p) != '-' {
				return ranges, NotSatisfiable
			}
			p++
			for at(p) == ' ' {
				p++
			}
			if c := at(p); c == ',' || c == 0 {
				end = size
				goto found
			}
		} else {
			suffix = true
			p++
		}
		if !isDigit(at(p)) {
			return ranges, NotSatisfiable
		}
		for isDigit(at(p)) {
			d := int64(at(p) - '0')
			if end >= cutoff && (end > cutoff || d > cutlim) {
				return ranges, NotSatisfiable
			}
			end = end*10 + d
			p++
		}
		for at(p) == ' ' {
			p++
		}
		if c := at(p); c != ',' && c != 0 {
			return ranges, NotSatisfiable
		}
		if suffix {
			start = 0
			if end < size {
				start = size - end
			}
			end = size - 1
		}
		if end >= size {
			end = size
		} else {
			end++
		}
	found:
		if start < end {
			ranges = append(ranges, Range{start, end})
			if total > math.MaxInt64-(end-start) {
				return ranges, NotSatisfiable
			}
			total += end - start
			if left == 0 {
				return ranges, Whole
			}
			left--
		} else if start == 0 {
			return ranges, Whole
		}
		c := at(p)
		p++
		if c != ',' {
			break
		}
	}
	switch {
	case len(ranges) == 0:
		return ranges, NotSatisfiable
	case len(ranges) == 1:
		return ranges, Satisfiable
	case total > size:
		return ranges, Whole
	case max == maxInt32 && total+int64(len(ranges))*256 > size+4096:
		return ranges, Whole
	}
	return ranges, Satisfiable
}
