package limitreq

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// step is one request of a bucket sequence: its key, when it comes (ms
// from the start), and what the lookup answers.
type step struct {
	key    string
	at     int64
	rc     int
	excess int64
}

// TestLookup runs request sequences through one zone's leaky bucket with
// the clock given (nginx's arithmetic in milli-requests).
func TestLookup(t *testing.T) {
	const base = clockOffset
	cases := []struct {
		name         string
		rate, burst  int64 // milli-requests per second, milli-requests
		steps        []step
		wantExcesses map[string]int64 // stored afterwards
	}{
		{name: "first passes", rate: 1000, steps: []step{{"a", 0, passed, 0}}, wantExcesses: map[string]int64{"a": 0}},
		{name: "second at once is rejected without burst", rate: 1000,
			steps: []step{{"a", 0, passed, 0}, {"a", 0, rejected, 1000}}, wantExcesses: map[string]int64{"a": 0}},
		{name: "burst lets it pass with excess", rate: 1000, burst: 2000,
			steps:        []step{{"a", 0, passed, 0}, {"a", 0, passed, 1000}, {"a", 0, passed, 2000}, {"a", 0, rejected, 3000}},
			wantExcesses: map[string]int64{"a": 2000}},
		{name: "leaks at the rate", rate: 2000, burst: 5000,
			steps: []step{{"a", 0, passed, 0}, {"a", 0, passed, 1000}, {"a", 250, passed, 1500}, {"a", 1000, passed, 1000}}},
		{name: "a rate per minute leaks 16 per second", rate: 16, burst: 5000,
			steps: []step{{"a", 0, passed, 0}, {"a", 62, passed, 1000}, {"a", 125, passed, 1999}, {"a", 60125, passed, 2039}}},
		{name: "negative excess is zero", rate: 1000000, burst: 1000,
			steps: []step{{"a", 0, passed, 0}, {"a", 100, passed, 0}, {"a", 101, passed, 0}}},
		{name: "a rejection is not counted", rate: 1000,
			steps: []step{{"a", 0, passed, 0}, {"a", 500, rejected, 500}, {"a", 1000, passed, 0}}},
		{name: "keys are apart", rate: 1000,
			steps: []step{{"a", 0, passed, 0}, {"b", 0, passed, 0}, {"a", 0, rejected, 1000}, {"b", 0, rejected, 1000}}},
		{name: "time within the millisecond does not move last", rate: 1000, burst: 10000,
			steps: []step{{"a", 0, passed, 0}, {"a", 0, passed, 1000}, {"a", 1, passed, 1999}}},
		{name: "a clock far behind counts as 1 ms", rate: 1000, burst: 10000,
			steps: []step{{"a", 0, passed, 0}, {"a", -70000, passed, 999}}},
		{name: "a clock a little behind counts as 0", rate: 1000, burst: 10000,
			steps: []step{{"a", 0, passed, 0}, {"a", -100, passed, 1000}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(1<<20, "one")
			for i, st := range tc.steps {
				rc, excess, nd := s.lookup(st.key, tc.rate, tc.burst, base+st.at, true)
				if rc != st.rc || excess != st.excess || nd != nil {
					t.Errorf("step %d (%s at %d): rc %d excess %d node %v, want %d %d", i, st.key, st.at, rc, excess, nd, st.rc, st.excess)
				}
			}
			for k, want := range tc.wantExcesses {
				if got := s.nodes[k].excess; got != want {
					t.Errorf("stored excess of %s: %d, want %d", k, got, want)
				}
			}
		})
	}
}

// TestHeldAndAccount: a limit that is not the last holds its node, which
// eviction then skips; account adds the request, release does not.
func TestHeldAndAccount(t *testing.T) {
	const now = clockOffset
	s := newStore(1<<20, "one")
	rc, excess, nd := s.lookup("a", 1000, 0, now, false)
	if rc != heldNode || excess != 0 || nd == nil || nd.count != 1 || nd.last != 0 {
		t.Fatalf("new held node: rc %d excess %d node %+v", rc, excess, nd)
	}
	// a new node's account finds everything leaked since 0
	if e := s.account(nd, 1000, now); e != 0 || nd.count != 0 || nd.last != now {
		t.Fatalf("account of a new node: excess %d, node %+v", e, nd)
	}
	rc, excess, nd = s.lookup("a", 1000, 5000, now, false)
	if rc != heldNode || excess != 1000 || nd.excess != 0 {
		t.Fatalf("held: rc %d excess %d stored %d (a held lookup must not store)", rc, excess, nd.excess)
	}
	s.release(nd)
	if nd.count != 0 || nd.excess != 0 {
		t.Fatalf("released: %+v", nd)
	}
	_, _, nd = s.lookup("a", 1000, 5000, now, false)
	if e := s.account(nd, 1000, now); e != 1000 || nd.excess != 1000 {
		t.Fatalf("accounted: excess %d, stored %d", e, nd.excess)
	}
}

// TestCapacity: the number of keys a zone holds, as nginx's slab on 64-bit
// Linux (the documentation's "about 8 thousand 128-byte states" per
// megabyte).
func TestCapacity(t *testing.T) {
	cases := []struct {
		name   string
		size   int64
		keyLen int
		keys   int64
	}{
		{"1m, IPv4 addresses", 1 << 20, 4, 8095},
		{"1m, IPv6 addresses", 1 << 20, 16, 8095},
		{"32k, IPv4 addresses", 32 << 10, 4, 191},
		// 256-byte slots, on pages of their own: the header's 128-byte
		// slot and the log string take one each
		{"1m, 100-byte keys", 1 << 20, 100, 252 * 16},
		{"10m, IPv4 addresses", 10 << 20, 4, 81375},
		{"1m, 3000-byte keys", 1 << 20, 3000, 252},
		{"1m, long zone name", 1 << 20, 4, 8126},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "one"
			if strings.Contains(tc.name, "long zone name") {
				name = strings.Repeat("z", 100)
			}
			if got := keysFit(tc.size, name, tc.keyLen); got != tc.keys {
				t.Errorf("%d keys, want %d", got, tc.keys)
			}
		})
	}
}

// TestEviction: a full zone evicts its least recently used key for a new
// one; without room even then (the oldest is held, or the new key needs
// more than it frees) the lookup fails as nginx's "could not allocate
// node".
func TestEviction(t *testing.T) {
	const now = clockOffset
	fill := func(s *store) int {
		n := 0
		for ; s.slab.Fits(nodeSize(4)); n++ {
			s.lookup(fmt.Sprintf("%04d", n), 1000, 0, now, true)
		}
		return n
	}
	t.Run("least recently used goes", func(t *testing.T) {
		s := newStore(32<<10, "one")
		n := fill(s)
		if n != 191 {
			t.Fatalf("%d keys fit, want 191", n)
		}
		// "0000" used again: "0001" is now the oldest
		s.lookup("0000", 1000, 5000, now, true)
		if rc, _, _ := s.lookup("new1", 1000, 0, now, true); rc != passed {
			t.Fatalf("new key in a full zone: rc %d", rc)
		}
		if s.nodes["0001"] != nil || s.nodes["0000"] == nil || len(s.nodes) != 191 {
			t.Errorf("evicted the wrong key: 0000 %v, 0001 %v, %d keys", s.nodes["0000"] != nil, s.nodes["0001"] != nil, len(s.nodes))
		}
	})
	t.Run("idle keys expire first", func(t *testing.T) {
		s := newStore(32<<10, "one")
		s.lookup("old1", 1000, 0, now, true)
		s.lookup("old2", 1000, 0, now, true)
		s.lookup("old3", 1000, 0, now, true)
		// a minute later: a new key takes away up to two idle ones
		s.lookup("new", 1000, 0, now+60000, true)
		if s.nodes["old1"] != nil || s.nodes["old2"] != nil || s.nodes["old3"] == nil {
			t.Errorf("after expiry: %v", keys(s))
		}
	})
	t.Run("idle keys with excess left stay", func(t *testing.T) {
		s := newStore(32<<10, "one")
		s.lookup("old", 16, 100000, now, true)
		s.lookup("old", 16, 100000, now, true) // excess 1000, leaks 16/s
		s.lookup("new", 16, 0, now+60000, true)
		if s.nodes["old"] == nil {
			t.Errorf("a key with excess left was expired")
		}
	})
	t.Run("held oldest", func(t *testing.T) {
		s := newStore(32<<10, "one")
		_, _, nd := s.lookup("held", 1000, 0, now, false)
		fill(s)
		if rc, _, _ := s.lookup("new", 1000, 0, now, true); rc != noMemory {
			t.Fatalf("rc %d, want noMemory", rc)
		}
		s.release(nd)
		if rc, _, _ := s.lookup("new", 1000, 0, now, true); rc != passed || s.nodes["held"] != nil {
			t.Fatalf("after release: rc %d", rc)
		}
	})
	t.Run("larger key", func(t *testing.T) {
		s := newStore(32<<10, "one")
		fill(s)
		if rc, _, _ := s.lookup(strings.Repeat("k", 200), 1000, 0, now, true); rc != noMemory {
			t.Fatalf("rc %d, want noMemory", rc)
		}
		if len(s.nodes) != 190 {
			t.Errorf("%d keys left, want 190 (one evicted by force)", len(s.nodes))
		}
	})
}

func keys(s *store) []string {
	var out []string
	for n := s.head; n != nil; n = n.next {
		out = append(out, n.key)
	}
	return out
}

func TestMulDiv(t *testing.T) {
	cases := []struct {
		name       string
		a, b, c, w int64
	}{
		{"plain", 16, 62, 1000, 0},
		{"exact", 2000, 250, 1000, 500},
		{"large product", math.MaxInt64 / 1000, 1000, 1000, math.MaxInt64 / 1000},
		{"saturates", math.MaxInt64, math.MaxInt64, 1, math.MaxInt64},
		{"saturates at the quotient", math.MaxInt64, 4, 2, math.MaxInt64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := mulDiv(tc.a, tc.b, tc.c); got != tc.w {
				t.Errorf("mulDiv(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.c, got, tc.w)
			}
		})
	}
}

// TestLookupAllocs: a request for a key the zone knows allocates nothing.
func TestLookupAllocs(t *testing.T) {
	s := newStore(1<<20, "one")
	key := string([]byte{127, 0, 0, 1})
	s.lookup(key, 1000, math.MaxInt64/2, clockOffset, true)
	now := int64(clockOffset)
	if n := testing.AllocsPerRun(100, func() {
		now++
		s.lookup(key, 1000, math.MaxInt64/2, now, true)
		_, _, nd := s.lookup(key, 1000, math.MaxInt64/2, now, false)
		s.account(nd, 1000, now)
	}); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
}

// keysFit is the number of keys of keyLen bytes a new zone holds.
func keysFit(size int64, name string, keyLen int) int64 {
	s := newStore(size, name)
	var n int64
	for s.slab.Alloc(nodeSize(keyLen)) {
		n++
	}
	return n
}
