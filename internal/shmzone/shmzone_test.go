package shmzone

import "testing"

// TestPerPage: the slots of a page per size class, as ngx_slab_alloc_locked
// lays them out (the bitmap of 8-, 16- and 32-byte slots in the page).
func TestPerPage(t *testing.T) {
	want := []int64{504, 254, 127, 64, 32, 16, 8, 4, 2}
	for c, w := range want {
		if got := perPage(c); got != w {
			t.Errorf("class %d (%d bytes): %d per page, want %d", c, 8<<c, got, w)
		}
	}
}

// TestSlab: pages go to a class as its objects need them and come back
// when its last object on a page goes; whole-page allocations; no room.
func TestSlab(t *testing.T) {
	cases := []struct {
		name  string
		size  int64
		pages int64
	}{
		{"32k", 32 << 10, 7},
		{"1m", 1 << 20, 254},
		{"10m", 10 << 20, 2544},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSlab(tc.size)
			if s.pages != tc.pages {
				t.Fatalf("%d pages, want %d", s.pages, tc.pages)
			}
			empty := *s
			n := int64(0)
			for s.Alloc(40) {
				n++
			}
			if n != tc.pages*64 {
				t.Errorf("%d 64-byte objects, want %d", n, tc.pages*64)
			}
			if s.Alloc(3000) || s.Fits(1) {
				t.Errorf("a full pool has room")
			}
			for range n {
				s.Free(40)
			}
			if *s != empty {
				t.Errorf("after freeing everything: %+v, want %+v", *s, empty)
			}
			if !s.Alloc(5000) || s.used != 2 {
				t.Errorf("5000 bytes: %d pages used, want 2", s.used)
			}
			s.Free(5000)
			if *s != empty {
				t.Errorf("after freeing pages: %+v", *s)
			}
		})
	}
}
