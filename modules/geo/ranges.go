package geo

import (
	"fmt"
	"slices"
	"sort"
)

// rng is a range inside one /16 block while the block is read
// (ngx_http_geo_range_t): low 16 bits of the first and last address.
type rng struct {
	s, e uint16
	val  int32
}

// rangeSet holds "ranges" entries as nginx builds them: one sorted list of
// non-overlapping ranges per /16 block (ctx->high.low), so that additions,
// splits, overlaps and deletions behave block by block as in nginx.
type rangeSet struct {
	low map[uint32][]rng
}

// errOverlap is the overlap found by add, rendered by the caller.
type errOverlap struct {
	h    uint32
	s, e uint32
}

func (o *errOverlap) text() string {
	return fmt.Sprintf("%d.%d.%d.%d-%d.%d.%d.%d", o.h>>8, o.h&0xff, o.s>>8, o.s&0xff, o.h>>8, o.h&0xff, o.e>>8, o.e&0xff)
}

// pieces calls f for the /16 blocks of start..end with the block-local
// bounds, as nginx's loops over n.
func pieces(start, end uint32, f func(h, s, e uint32) bool) {
	for n := uint64(start); n <= uint64(end); n = (n + 0x10000) &^ 0xffff {
		h := uint32(n >> 16)
		s := uint32(0)
		if n == uint64(start) {
			s = uint32(n) & 0xffff
		}
		e := uint32(0xffff)
		if uint64(n)|0xffff > uint64(end) {
			e = end & 0xffff
		}
		if !f(h, s, e) {
			return
		}
	}
}

// add inserts start..end with val (ngx_http_geo_add_range). dup is called
// for each block where the same range existed, with its old value.
func (rs *rangeSet) add(start, end uint32, val int32, dup func(old int32)) *errOverlap {
	var bad *errOverlap
	pieces(start, end, func(h, s, e uint32) bool {
		a := rs.low[h]
		i := len(a)
		for i > 0 {
			i--
			r := a[i]
			rs_, re := uint32(r.s), uint32(r.e)
			switch {
			case e < rs_:
				continue
			case s > re:
				// add after the range
				a = slices.Insert(a, i+1, rng{uint16(s), uint16(e), val})
			case s == rs_ && e == re:
				dup(r.val)
				a[i].val = val
			case s > rs_ && e < re:
				// split the range and insert the new one
				a = slices.Insert(a, i+1, rng{uint16(s), uint16(e), val}, rng{uint16(e + 1), r.e, r.val})
				a[i].e = uint16(s - 1)
			case s == rs_ && e < re:
				// shift the range start and insert the new range
				a = slices.Insert(a, i, rng{uint16(s), uint16(e), val})
				a[i+1].s = uint16(e + 1)
			case s > rs_ && e == re:
				// shift the range end and insert the new range
				a = slices.Insert(a, i+1, rng{uint16(s), uint16(e), val})
				a[i].e = uint16(s - 1)
			default:
				bad = &errOverlap{h: h, s: rs_, e: re}
				rs.low[h] = a
				return false
			}
			rs.low[h] = a
			return true
		}
		// add the first range
		rs.low[h] = slices.Insert(a, 0, rng{uint16(s), uint16(e), val})
		return true
	})
	return bad
}

// delete removes start..end as added (ngx_http_geo_delete_range); warn is
// true when some block did not hold exactly that range.
func (rs *rangeSet) delete(start, end uint32) (warn bool) {
	pieces(start, end, func(h, s, e uint32) bool {
		a := rs.low[h]
		if len(a) == 0 {
			warn = true
			return true
		}
		for i := 0; i < len(a); i++ {
			if uint32(a[i].s) == s && uint32(a[i].e) == e {
				rs.low[h] = slices.Delete(a, i, i+1)
				break
			}
			if i == len(a)-1 {
				warn = true
			}
		}
		return true
	})
	return warn
}

// span is a range of the built table: first and last address, value.
type span struct {
	lo, hi uint32
	val    int32
}

// build flattens the blocks into one sorted table for binary search.
func (rs *rangeSet) build() []span {
	var out []span
	for h, a := range rs.low {
		for _, r := range a {
			out = append(out, span{h<<16 | uint32(r.s), h<<16 | uint32(r.e), r.val})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out
}

// findSpan returns the value of the range holding a, or noValue.
func findSpan(t []span, a uint32) int32 {
	i, j := 0, len(t)
	for i < j {
		m := int(uint(i+j) >> 1)
		if t[m].hi < a {
			i = m + 1
		} else {
			j = m
		}
	}
	if i < len(t) && t[i].lo <= a {
		return t[i].val
	}
	return noValue
}
