package geo

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/sluicehq/sluice/internal/inet"
)

// testGeo builds a networks geo of n /24 networks and a ranges geo of n
// ranges.
func testGeo(n int) (nets, ranges *geo) {
	nets = &geo{index: -1, tree4: newRadix(), tree6: newRadix(), values: []string{"", "v"}}
	b := &block{g: &geo{values: []string{""}}, byText: map[string]int32{"": 0}, rs: rangeSet{low: map[uint32][]rng{}}}
	for i := 0; i < n; i++ {
		var k [16]byte
		k[0], k[1], k[2] = 10, byte(i>>8), byte(i)
		nets.tree4.insert(&k, 24, 1)
		start := uint32(10)<<24 | uint32(i)<<8
		b.rs.add(start, start+100, b.value(fmt.Sprint(i)), func(int32) {})
	}
	var k [16]byte
	k[0], k[1] = 0x20, 0x01
	nets.tree6.insert(&k, 16, 1)
	ranges = b.g
	ranges.ranges, ranges.spans = true, b.rs.build()
	return nets, ranges
}

func TestLookupAllocs(t *testing.T) {
	nets, ranges := testGeo(1000)
	a4 := netip.MustParseAddr("10.1.2.3")
	a6 := netip.MustParseAddr("2001::1")
	if n := testing.AllocsPerRun(100, func() {
		nets.lookup(a4, true)
		nets.lookup(a6, true)
		ranges.lookup(a4, true)
		inet.ParseAddr("10.1.2.3")
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
	if got := nets.values[nets.lookup(a4, true)]; got != "v" {
		t.Errorf("network lookup %q", got)
	}
	if got := ranges.values[ranges.lookup(netip.MustParseAddr("10.1.2.50"), true)]; got != fmt.Sprint(0x102) {
		t.Errorf("range lookup %q", got)
	}
}

func BenchmarkLookup(b *testing.B) {
	nets, ranges := testGeo(10000)
	addrs := []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("10.39.15.200"), netip.MustParseAddr("192.0.2.1")}
	v6 := netip.MustParseAddr("2001:db8::1")
	b.Run("networks-v4", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			nets.lookup(addrs[i%len(addrs)], true)
		}
	})
	b.Run("networks-v6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			nets.lookup(v6, true)
		}
	})
	b.Run("ranges", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ranges.lookup(addrs[i%len(addrs)], true)
		}
	})
	b.Run("parse-address", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			inet.ParseAddr("10.39.15.200")
		}
	})
}

// TestRadix: insert, busy, delete and longest match as nginx's radix tree.
func TestRadix(t *testing.T) {
	tr := newRadix()
	k := func(s string) *[16]byte {
		a := netip.MustParseAddr(s).As4()
		var out [16]byte
		copy(out[:], a[:])
		return &out
	}
	steps := []struct {
		name string
		do   func() bool
		want bool
	}{
		{"insert /8", func() bool { return tr.insert(k("10.0.0.0"), 8, 1) }, false},
		{"insert /8 again is busy", func() bool { return tr.insert(k("10.0.0.0"), 8, 2) }, true},
		{"insert /24", func() bool { return tr.insert(k("10.1.2.0"), 24, 3) }, false},
		{"find /24", func() bool { return tr.find(k("10.1.2.7"), 32) == 3 }, true},
		{"find /8", func() bool { return tr.find(k("10.1.3.7"), 32) == 1 }, true},
		{"delete inner node with value", func() bool { return tr.delete(k("10.0.0.0"), 8) }, true},
		{"find after delete", func() bool { return tr.find(k("10.1.3.7"), 32) == noValue }, true},
		{"delete again fails", func() bool { return tr.delete(k("10.0.0.0"), 8) }, false},
		{"delete missing fails", func() bool { return tr.delete(k("11.0.0.0"), 8) }, false},
		{"delete leaf", func() bool { return tr.delete(k("10.1.2.0"), 24) }, true},
		{"tree empty", func() bool { return tr.find(k("10.1.2.7"), 32) == noValue }, true},
		{"reinsert", func() bool { return tr.insert(k("10.1.2.0"), 24, 4) }, false},
		{"root value", func() bool { return tr.insert(k("0.0.0.0"), 0, 5) }, false},
		{"root fallback", func() bool { return tr.find(k("11.0.0.0"), 32) == 5 }, true},
		{"delete root value", func() bool { return tr.delete(k("0.0.0.0"), 0) }, true},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}

// FuzzParseNetwork: a network line's address never panics the parsers,
// and what ParseCIDR accepts inserts and is found again.
func FuzzParseNetwork(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		parseRange(s)
		ci, res := inet.ParseCIDR(s)
		if res == inet.CIDRInvalid {
			return
		}
		tr, bits := newRadix(), 32
		if ci.V6 {
			bits = 128
		}
		if tr.insert(&ci.Addr, maskBits(&ci), 7) || tr.find(&ci.Addr, bits) != 7 {
			t.Fatalf("%q: not found after insert", s)
		}
		if !tr.delete(&ci.Addr, maskBits(&ci)) || tr.find(&ci.Addr, bits) != noValue {
			t.Fatalf("%q: found after delete", s)
		}
	})
}

// FuzzRanges adds and deletes ranges read from "a.b.c.d-e.f.g.h" lines
// ("-" before a line deletes) and checks what nginx's procedure keeps: per
// block, sorted ranges that do not overlap, and a lookup through the built
// table agreeing with a walk of the blocks.
func FuzzRanges(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		rs := rangeSet{low: map[uint32][]rng{}}
		var probes []uint32
		for i, line := range splitLines(text) {
			del := len(line) > 0 && line[0] == '~'
			if del {
				line = line[1:]
			}
			start, end, ok := parseRange(line)
			if !ok {
				continue
			}
			if end-start > 1<<24 {
				continue // keep the blocks few
			}
			probes = append(probes, start, end, start-1, end+1)
			if del {
				rs.delete(start, end)
				continue
			}
			if rs.add(start, end, int32(i), func(int32) {}) != nil {
				return // nginx stops at the first overlap
			}
		}
		for h, a := range rs.low {
			for i := 1; i < len(a); i++ {
				if a[i-1].e >= a[i].s {
					t.Fatalf("block %d: ranges %v overlap or are unsorted", h, a)
				}
			}
		}
		spans := rs.build()
		for _, p := range probes {
			want := int32(noValue)
			for _, r := range rs.low[p>>16] {
				if uint32(r.s) <= p&0xffff && p&0xffff <= uint32(r.e) {
					want = r.val
					break
				}
			}
			if got := findSpan(spans, p); got != want {
				t.Fatalf("%08x: table %d, blocks %d", p, got, want)
			}
		}
	})
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}
