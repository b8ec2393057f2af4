package http1

import (
	"fmt"
	"testing"
)

// Helpers that feed an input to a parser in pieces and check that every
// way of splitting it gives the same outcome as parsing it in one go.

// splitPlans returns the ways an input of length n is fed: in one go, byte
// by byte, and every two-way split. Each plan lists the buffer lengths
// the parser sees, the last being n.
func splitPlans(n int) map[string][]int {
	plans := map[string][]int{"one-shot": {n}}
	if n > 1 {
		bytewise := make([]int, n)
		for i := range bytewise {
			bytewise[i] = i + 1
		}
		plans["byte-by-byte"] = bytewise
	}
	for k := 1; k < n; k++ {
		plans[fmt.Sprintf("split@%d", k)] = []int{k, n}
	}
	return plans
}

// checkSplits runs feed for every plan and reports plans whose outcome
// differs from the one-shot outcome, which it returns.
func checkSplits[T comparable](t *testing.T, n int, feed func(ends []int) T) T {
	t.Helper()
	plans := splitPlans(n)
	want := feed(plans["one-shot"])
	for name, ends := range plans {
		if got := feed(ends); got != want {
			t.Errorf("%s: outcome %+v, one-shot %+v", name, got, want)
		}
	}
	return want
}

// requestOutcome is what parsing a whole request head produced.
type requestOutcome struct {
	line    RequestLine
	lineRes Result
	headers string // one "name|value|invalid|lower" line per header
	hdrRes  Result
	hdrPos  int
}

// feedRequest parses a request line and its headers from in, growing the
// visible buffer through ends.
func feedRequest(in []byte, ends []int, underscores bool) requestOutcome {
	var out requestOutcome
	var rl RequestLine
	h := HeaderParser{AllowUnderscores: underscores}
	inHeaders := false
	out.lineRes, out.hdrRes = NeedMore, NeedMore
	for _, end := range ends {
		buf := in[:end]
		if !inHeaders {
			out.lineRes = rl.Parse(buf)
			if out.lineRes != OK {
				if out.lineRes == NeedMore {
					continue
				}
				break
			}
			inHeaders = true
			h.Pos = rl.Pos
			if rl.Version < 1000 {
				break
			}
		}
		for {
			res := h.Parse(buf)
			if res == OK {
				out.headers += fmt.Sprintf("%q|%q|%v|%q\n",
					h.Name(buf), h.Value(buf), h.Invalid, h.LowerName())
				continue
			}
			out.hdrRes = res
			break
		}
		if out.hdrRes != NeedMore {
			break
		}
	}
	out.line = rl
	out.hdrPos = h.Pos
	return out
}
