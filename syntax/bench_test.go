package syntax

import (
	"path/filepath"
	"testing"
)

// BenchmarkParse parses a realistic configuration of about 200 lines.
func BenchmarkParse(b *testing.B) {
	name := filepath.Join("testdata", "bench.conf")
	src := readTestdata(b, name)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(name, src); err != nil {
			b.Fatal(err)
		}
	}
}
