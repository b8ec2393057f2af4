package syntax

import (
	"strconv"
	"strings"
)

// render prints a tree compactly for comparisons in tests:
// words quoted Go-style, "@N" for the line, ";" or "{...}" as terminator,
// and `!"msg"@N` for an error node.
func render(dirs []*Directive) string {
	var b strings.Builder
	renderTo(&b, dirs)
	return b.String()
}

func renderTo(b *strings.Builder, dirs []*Directive) {
	for i, d := range dirs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if d.Err != nil {
			b.WriteString("!" + strconv.Quote(d.Err.Msg) + "@" + strconv.Itoa(d.Line))
			continue
		}
		b.WriteString(strconv.Quote(d.Name))
		for _, a := range d.Args {
			b.WriteString(" " + strconv.Quote(a))
		}
		b.WriteString("@" + strconv.Itoa(d.Line))
		if d.HasBlock() {
			b.WriteByte('{')
			renderTo(b, d.Block)
			b.WriteByte('}')
		} else {
			b.WriteByte(';')
		}
	}
}

// sameShape reports whether two trees have the same names, arguments and
// block structure (lines and files are ignored).
func sameShape(a, b []*Directive) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if (x.Err == nil) != (y.Err == nil) || x.Name != y.Name || x.HasBlock() != y.HasBlock() {
			return false
		}
		if len(x.Args) != len(y.Args) {
			return false
		}
		for j := range x.Args {
			if x.Args[j] != y.Args[j] {
				return false
			}
		}
		if !sameShape(x.Block, y.Block) {
			return false
		}
	}
	return true
}

// lastErrNode finds the error node of a tree: the last node of the last
// block, recursively.
func lastErrNode(dirs []*Directive) *Directive {
	for len(dirs) > 0 {
		d := dirs[len(dirs)-1]
		if d.Err != nil {
			return d
		}
		dirs = d.Block
	}
	return nil
}
