package syntax

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// sampleConfs lists the sample configuration files in testdata.
func sampleConfs(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.conf"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no sample configs in testdata/*.conf: %v", err)
	}
	sort.Strings(names)
	return names
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkTree verifies the invariants of a Parse or ParseParam result.
func checkTree(t *testing.T, tree []*Directive, err error) {
	t.Helper()
	if err == nil {
		if n := lastErrNode(tree); n != nil {
			t.Fatalf("no error returned but the tree holds error node %v", n.Err)
		}
		return
	}
	se, ok := err.(*Error)
	if !ok {
		t.Fatalf("error is %T, want *Error", err)
	}
	if n := lastErrNode(tree); n == nil || n.Err != se {
		t.Fatalf("error %v is not the last node of the tree", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range sampleConfs(f) {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tree, err := Parse("fuzz.conf", src)
		checkTree(t, tree, err)
		if err != nil {
			return
		}
		out := Format(tree)
		back, err := Parse("fuzz.conf", out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%q", err, out)
		}
		if !sameShape(tree, back) {
			t.Fatalf("round trip differs:\n in  %s\n out %s", render(tree), render(back))
		}
	})
}

func FuzzParseParam(f *testing.F) {
	f.Add("daemon off; master_process on;")
	f.Add(`pid "/tmp/a b.pid"; env A=\t;`)
	f.Add("a {")
	f.Add("a")
	f.Fuzz(func(t *testing.T, src string) {
		tree, err := ParseParam(src)
		checkTree(t, tree, err)
		for _, d := range tree {
			if d.File != "" || d.Line != 0 || d.HasBlock() {
				t.Fatalf("bad -g node %+v", d)
			}
		}
		if err != nil {
			return
		}
		back, err := ParseParam(string(Format(tree)))
		if err != nil || !sameShape(tree, back) {
			t.Fatalf("round trip differs (%v):\n in  %s\n out %s", err, render(tree), render(back))
		}
	})
}
