package hostmatch

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/ascii"
)

// TestFind checks the lookup order of ngx_hash_find_combined: the exact
// name, the most specific head wildcard, the most specific tail wildcard.
func TestFind(t *testing.T) {
	var tab Table[string]
	for _, kv := range []struct {
		key, val string
	}{
		{"example.com", "exact"},
		{"example.*", "right-wildcard"},
		{"www.example.*", "www-tail"},
		{"*.example.com", "left-wildcard"},
		{"*.deep.example.com", "deep"},
		{".dot.example.com", "dot"},
		{"*.x.dot.example.com", "x-under-dot"},
		{"MiXeD.org", "mixed"},
		{"", "empty"},
	} {
		if err := tab.Add(kv.key, kv.val); err != nil {
			t.Fatalf("add %q: %v", kv.key, err)
		}
	}
	tests := []struct{ name, in, want string }{
		{"exact", "example.com", "exact"},
		{"left wildcard", "foo.example.com", "left-wildcard"},
		{"left wildcard depth", "a.b.example.com", "left-wildcard"},
		{"more specific", "a.deep.example.com", "deep"},
		{"star needs a label", "deep.example.com", "left-wildcard"},
		{"dot matches itself", "dot.example.com", "dot"},
		{"dot matches below", "www.dot.example.com", "dot"},
		{"under dot", "y.x.dot.example.com", "x-under-dot"},
		{"under dot, star needs a label", "x.dot.example.com", "dot"},
		{"right wildcard", "example.org", "right-wildcard"},
		{"right wildcard many labels", "example.co.uk", "right-wildcard"},
		{"longer tail wins", "www.example.net", "www-tail"},
		{"tail needs a label", "www.example", ""},
		{"head before tail", "example.example.com", "left-wildcard"},
		{"lowercased key", "mixed.org", "mixed"},
		{"empty key", "", "empty"},
		{"no match", "other.net", ""},
		{"empty label", "a..example.com", "left-wildcard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tab.Find(tc.in)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("Find(%q) = %q %v, want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

// TestAddErrors checks ngx_hash_add_key's invalid keys and conflicts.
// The last key's error is checked (the earlier ones are added).
func TestAddErrors(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		exact bool
		err   error
	}{
		{"duplicate", []string{"a", "a"}, true, ErrConflict},
		{"duplicate case", []string{"a", "A"}, true, ErrConflict},
		{"star is plain when exact", []string{"*.a", "*"}, true, nil},
		{"dot then exact", []string{".a.com", "a.com"}, false, ErrConflict},
		{"exact then dot", []string{"a.com", ".a.com"}, false, ErrConflict},
		{"dot and star", []string{".a.com", "*.a.com"}, false, ErrConflict},
		{"star and dot", []string{"*.a.com", ".a.com"}, false, ErrConflict},
		// the refused ".a.com" still claimed a.com, as in nginx (it
		// matters where a conflict is only a warning: server_name)
		{"star, dot, exact", []string{"*.a.com", ".a.com", "a.com"}, false, ErrConflict},
		{"star and exact", []string{"*.a.com", "a.com"}, false, nil},
		{"tail twice", []string{"a.*", "A.*"}, false, ErrConflict},
		{"two stars", []string{"*.a.*"}, false, ErrInvalid},
		{"double dot", []string{"a..b"}, false, ErrInvalid},
		{"inner star", []string{"a.*.b"}, false, ErrInvalid},
		{"lone star", []string{"*"}, false, ErrInvalid},
		{"star dot", []string{"*."}, false, ErrInvalid},
		{"lone dot is exact", []string{"."}, false, nil},
		{"nul", []string{"a\x00b"}, false, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tab Table[int]
			var err error
			for i, key := range tc.keys {
				if tc.exact {
					err = tab.AddExact(key, i)
				} else {
					err = tab.Add(key, i)
				}
			}
			if err != tc.err {
				t.Errorf("error %v, want %v", err, tc.err)
			}
		})
	}
}

// TestHashError checks ngx_hash_init's size checks and their wording.
func TestHashError(t *testing.T) {
	long := strings.Repeat("a", 47)
	tests := []struct {
		name            string
		keys            []string
		maxSize, bucket int
		want            string
	}{
		{"empty table builds nothing", nil, 0, 1, ""},
		{"fits", []string{"example.com"}, 2048, 64, ""},
		{"max size zero", []string{"example.com"}, 0, 64, "could not build map_hash, you should increase map_hash_max_size: 0"},
		{"too large bucket", []string{"example.com"}, 2048, 65536, "could not build map_hash, too large map_hash_bucket_size: 65536"},
		{"name too long", []string{long}, 2048, 64, "could not build map_hash, you should increase map_hash_bucket_size: 64"},
		{"bucket rounded up", []string{long}, 2048, 65, ""},
		{"wildcard label counts", []string{"*." + long + ".com"}, 2048, 64, "could not build map_hash, you should increase map_hash_bucket_size: 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tab Table[int]
			for _, k := range tc.keys {
				if err := tab.Add(k, 1); err != nil {
					t.Fatal(err)
				}
			}
			if got := tab.HashError("map", tc.maxSize, tc.bucket); got != tc.want {
				t.Errorf("HashError = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFindAllocs: a lookup allocates nothing, whatever matches.
func TestFindAllocs(t *testing.T) {
	var tab Table[int]
	for _, k := range []string{"example.com", "*.example.com", ".dot.example", "www.example.*"} {
		if err := tab.Add(k, 1); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"example.com", "a.b.example.com", "dot.example", "www.example.org", "a-rather-long-host-label-here.other.example.net"}
	if a := testing.AllocsPerRun(100, func() {
		for _, n := range names {
			tab.Find(n)
		}
	}); a != 0 {
		t.Errorf("%v allocations per lookup round, want 0", a)
	}
}

// BenchmarkFind looks up names that match each kind of key, and one that
// matches none.
func BenchmarkFind(b *testing.B) {
	var tab Table[int]
	for i, k := range []string{"example.com", "example.*", "www.example.*", "*.example.com", "*.deep.example.com", ".dot.example.com", "*.x.dot.example.com"} {
		if err := tab.Add(k, i); err != nil {
			b.Fatal(err)
		}
	}
	names := []string{"example.com", "a.deep.example.com", "www.dot.example.com", "www.example.net", "other.net"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tab.Find(names[i%len(names)])
	}
}

// FuzzTable adds two keys and looks names up: nothing panics, and an
// exact key always finds itself in lower case (ASCII letters lowered,
// every other byte kept, as nginx's ngx_strlow).
func FuzzTable(f *testing.F) {
	f.Add("*.example.com", "www.example.*", "a.example.com")
	f.Add(".example.com", "example.com", "example.com")
	f.Add("a.*", "a.b.*", "a.b.c")
	f.Fuzz(func(t *testing.T, k1, k2, name string) {
		var tab Table[int]
		err1 := tab.Add(k1, 1)
		tab.Add(k2, 2)
		tab.Find(name)
		if err1 != nil || strings.ContainsAny(k1, "*") || strings.HasPrefix(k1, ".") && len(k1) > 1 {
			return
		}
		if got, ok := tab.Find(ascii.ToLower(k1)); !ok || got != 1 {
			t.Fatalf("exact key %q not found (second key %q)", k1, k2)
		}
	})
}
