package referer

import (
	"testing"

	"github.com/sluicehq/sluice/internal/hostmatch"
)

// testConf is a valid_referers level with exact names, wildcards and a
// URI prefix, and Referers that match each kind, none, and a long host
// name.
func testConf(tb testing.TB) (*LocConf, []string) {
	k := &hostmatch.Table[*string]{}
	p := "/path/"
	for _, n := range []string{"example.org", "*.sub.example.org", ".dot.example", "www.example.*"} {
		if err := k.Add(n, noURI); err != nil {
			tb.Fatal(err)
		}
	}
	if err := k.Add("p.example", &p); err != nil {
		tb.Fatal(err)
	}
	return &LocConf{keys: k, built: k}, []string{"http://example.org/", "https://a.sub.example.org:8080/p",
		"http://www.example.net/x/y", "http://p.example/path/x", "http://other.net/",
		"http://a-rather-long-host-label-here.sub.example.org/"}
}

// TestValidAllocs: checking a Referer allocates nothing, a host name
// longer than 32 bytes included (the lowercased host was copied into a
// string for the wildcard lookup).
func TestValidAllocs(t *testing.T) {
	lc, refs := testConf(t)
	if a := testing.AllocsPerRun(100, func() {
		for _, ref := range refs {
			Valid(lc, ref, true, nil)
		}
	}); a != 0 {
		t.Errorf("%v allocations per round, want 0", a)
	}
}

func BenchmarkValid(b *testing.B) {
	lc, refs := testConf(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Valid(lc, refs[i%len(refs)], true, nil)
	}
}
