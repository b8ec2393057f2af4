package limitconn

import (
	"fmt"
	"testing"
)

// TestCapacity: the keys a zone holds, as nginx's slab allocator would
// give them on 64-bit Linux. For keys of up to 28 bytes a node takes a
// 64-byte slot, the class of the zone's header, and the log string takes
// a page of its own: 32k holds 6 pages of 64 slots less the header (383),
// 1m 253 pages (16,191). Longer keys take 128-byte slots or more, on pages
// of their own: 250-byte keys in 32k leave the header's and the log
// string's pages and 5 pages of 8 slots (40, as nginx 1.22 was seen to
// hold).
func TestCapacity(t *testing.T) {
	cases := []struct {
		name   string
		size   int64
		keyLen int
		keys   int64
	}{
		{"32k binary_remote_addr", 32 << 10, 4, 383},
		{"1m binary_remote_addr", 1 << 20, 4, 16191},
		{"1m IPv6 binary_remote_addr", 1 << 20, 16, 16191},
		{"1m 28-byte keys", 1 << 20, 28, 16191},
		{"1m 29-byte keys", 1 << 20, 29, 252 * 32},
		{"32k 250-byte keys", 32 << 10, 250, 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := keysFit(tc.size, "small", tc.keyLen); got != tc.keys {
				t.Errorf("%d keys, want %d", got, tc.keys)
			}
		})
	}
}

// TestStore: counts per key up to the limit, a node gone with its last
// request, no room for a new key once the zone is full until one goes.
func TestStore(t *testing.T) {
	s := newStore(32<<10, "small")
	a1, rc := s.acquire("a", 2)
	if rc != acquired {
		t.Fatalf("first: %d", rc)
	}
	a2, rc := s.acquire("a", 2)
	if rc != acquired {
		t.Fatalf("second: %d", rc)
	}
	if _, rc := s.acquire("a", 2); rc != rejected {
		t.Fatalf("third: %d, want rejected", rc)
	}
	s.release(a1)
	if s.count("a") != 1 {
		t.Fatalf("count after a release: %d", s.count("a"))
	}
	s.release(a2)
	if len(s.nodes) != 0 || *s.slab != *newStore(32<<10, "small").slab {
		t.Fatalf("nodes left: %d, pool %+v", len(s.nodes), *s.slab)
	}

	var held []*node
	for i := range 383 {
		n, rc := s.acquire(fmt.Sprintf("%04d", i), 1)
		if rc != acquired {
			t.Fatalf("key %d: %d", i, rc)
		}
		held = append(held, n)
	}
	if _, rc := s.acquire("full", 1); rc != noMemory {
		t.Fatalf("key 384: %d, want noMemory", rc)
	}
	// a known key needs no room
	if _, rc := s.acquire("0000", 2); rc != acquired {
		t.Fatalf("known key: %d", rc)
	}
	s.release(held[1])
	if _, rc := s.acquire("full", 1); rc != acquired {
		t.Fatalf("after a key went: %d", rc)
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
