package rangefilter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/httpd"
)

// bodyOf renders pieces as text, reading file pieces.
func bodyOf(t *testing.T, ps []httpd.Piece) string {
	t.Helper()
	var b strings.Builder
	for _, p := range ps {
		if p.File == nil {
			b.Write(p.Data)
			continue
		}
		buf := make([]byte, p.N)
		if _, err := p.File.ReadAt(buf, p.Off); err != nil {
			t.Fatal(err)
		}
		b.Write(buf)
	}
	return b.String()
}

// TestSinglepartStreaming feeds a body in several chains and checks what
// of each is kept.
func TestSinglepartStreaming(t *testing.T) {
	const body = "0123456789abcdefghij"
	tests := []struct {
		name   string
		rg     Range
		chunks []string
		want   []string // kept per chain
		last   []bool
	}{
		{"inside one chunk", Range{2, 5}, []string{"0123456789", "abcdefghij"}, []string{"234", ""}, []bool{true, false}},
		{"across chunks", Range{8, 12}, []string{"0123456789", "abcdefghij"}, []string{"89", "ab"}, []bool{false, true}},
		{"in the second", Range{15, 20}, []string{"0123456789", "abcdefghij"}, []string{"", "fghij"}, []bool{false, true}},
		{"many small", Range{3, 6}, []string{"01", "23", "45", "67", "89"}, []string{"", "3", "45", "", ""}, []bool{false, false, true, false, false}},
		{"whole", Range{0, 20}, []string{body}, []string{body}, []bool{true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &httpd.Request{}
			r.Main = r
			ctx := &rangeCtx{ranges: []Range{tc.rg}}
			for i, chunk := range tc.chunks {
				c := &httpd.Chain{}
				c.AppendString(chunk)
				c.Last = i == len(tc.chunks)-1
				ctx.singlepart(r, c)
				if got := bodyOf(t, c.Pieces); got != tc.want[i] {
					t.Errorf("chain %d kept %q, want %q", i, got, tc.want[i])
				}
				if c.Last != tc.last[i] {
					t.Errorf("chain %d last %v, want %v", i, c.Last, tc.last[i])
				}
			}
		})
	}
}

// TestMultipartPieces cuts ranges out of a chain of memory and file
// pieces.
func TestMultipartPieces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("FILEPART"), 0644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &httpd.Chain{}
	c.AppendString("mem0-") // 0..4
	c.AppendFile(f, 0, 8)   // 5..12
	c.AppendString("-mem1") // 13..17
	ctx := &rangeCtx{ranges: []Range{{3, 7}, {12, 15}, {0, 18}}}
	ctx.boundary = []byte("|B|")
	ctx.texts = []byte("r0r1r2")
	ctx.spans = []int{0, 2, 4, 6}
	ctx.tail = []byte("|END|")
	if !ctx.covered(c) {
		t.Fatal("chain not covered")
	}
	ctx.multipart(c)
	want := "|B|r0" + "0-FI" + "|B|r1" + "T-m" + "|B|r2" + "mem0-FILEPART-mem1" + "|END|"
	if got := bodyOf(t, c.Pieces); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !c.Last {
		t.Error("not last")
	}
	// a second chain of data is "range in overlapped buffers"
	c2 := &httpd.Chain{}
	c2.AppendString("more")
	if ctx.covered(c2) {
		t.Error("second chain accepted")
	}
}

func TestCovered(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		ranges []Range
		want   bool
	}{
		{"all inside", 10, []Range{{0, 1}, {5, 10}}, true},
		{"past the data", 10, []Range{{0, 1}, {5, 11}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &httpd.Chain{}
			c.AppendString(strings.Repeat("x", tc.size))
			ctx := &rangeCtx{ranges: tc.ranges}
			if got := ctx.covered(c); got != tc.want {
				t.Errorf("covered = %v", got)
			}
		})
	}
}
