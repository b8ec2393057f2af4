package syntax

import "bytes"

// Format prints a tree as nginx.conf text, one directive per line, blocks
// indented by four spaces (up to 32 levels). Words are written bare when
// they can be, and quoted and escaped otherwise, choosing the shortest
// form, so that Parse of the result gives the same names, arguments and
// blocks (words too long for nginx's read buffer excepted: they cannot
// have come from Parse). Error nodes are left out. Format is meant for
// tests and tools; it does not reproduce the original text (comments and
// layout are lost).
func Format(dirs []*Directive) []byte {
	var b bytes.Buffer
	formatList(&b, dirs, 0)
	return b.Bytes()
}

func formatList(b *bytes.Buffer, dirs []*Directive, depth int) {
	for _, d := range dirs {
		if d == nil || d.Err != nil {
			continue
		}
		indent(b, depth)
		quoted := false // the last word written ended with a closing quote
		long := false   // ... and a space after it would make it too long
		for i := 0; i <= len(d.Args); i++ {
			w := d.Name
			if i > 0 {
				w = d.Args[i-1]
			}
			s := Quote(w)
			if bare, ok := bareForm(w); ok && quoted && bare[0] == ')' {
				// nginx lets a ")" follow a closing quote directly and
				// starts a new word with it, as in: if ($a = "b")
				s = bare
			} else if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
			quoted = s[0] == '"' || s[0] == '\'' // bare forms never start so
			long = quoted && len(s) >= bufferSize
		}
		if !d.HasBlock() {
			b.WriteString(";\n")
			continue
		}
		if long {
			// Only "{" keeps a maximal quoted word within nginx's limit.
			b.WriteString("{\n")
		} else {
			b.WriteString(" {\n")
		}
		formatList(b, d.Block, depth+1)
		indent(b, depth)
		b.WriteString("}\n")
	}
}

// maxIndent caps indentation so that deeply nested trees print in linear
// size.
const maxIndent = 32

func indent(b *bytes.Buffer, depth int) {
	for range min(depth, maxIndent) {
		b.WriteString("    ")
	}
}

// Quote returns the shortest nginx.conf spelling of the word w: w itself
// when it needs nothing, otherwise a bare word with backslash escapes, or a
// single- or double-quoted string, whichever is shortest (bare first, then
// double quotes, on ties). Reading the result back gives w exactly.
func Quote(w string) string {
	best, ok := bareForm(w)
	if ok && len(best) == len(w) {
		return best
	}
	dq := quotedForm(w, '"')
	if !ok || len(dq) < len(best) {
		best = dq
	}
	if sq := quotedForm(w, '\''); len(sq) < len(best) {
		best = sq
	}
	return best
}

// escapable reports whether a backslash before c is taken as an escape when
// a word's value is computed (so a literal backslash before c must itself
// be escaped).
func escapable(c byte) bool {
	switch c {
	case '"', '\'', '\\', 't', 'r', 'n':
		return true
	}
	return false
}

// quotedForm spells w between quote characters q.
func quotedForm(w string, q byte) string {
	b := make([]byte, 0, len(w)+2)
	b = append(b, q)
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == q:
			b = append(b, '\\', c)
		case c == '\\':
			if i+1 < len(w) && !escapable(w[i+1]) {
				// The lexer skips the next byte and the value keeps both.
				b = append(b, c)
			} else {
				b = append(b, '\\', '\\')
			}
		default:
			b = append(b, c)
		}
	}
	return string(append(b, q))
}

// bareForm spells w as an unquoted word, if that is possible.
func bareForm(w string) (string, bool) {
	if w == "" {
		return "", false
	}
	b := make([]byte, 0, len(w))
	variable := false // the lexer would keep a "{" here
	for i := 0; i < len(w); i++ {
		c := w[i]
		first := i == 0
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case ' ', ';':
			return "", false
		case '\\':
			if i+1 < len(w) && !escapable(w[i+1]) {
				// Whatever follows is taken literally by the lexer and
				// kept together with the backslash in the value.
				b = append(b, c, w[i+1])
				i++
			} else {
				b = append(b, '\\', '\\')
			}
		case '"', '\'':
			if first {
				b = append(b, '\\', c)
			} else {
				b = append(b, c)
			}
		case '{':
			if !variable {
				return "", false
			}
			b = append(b, c)
			continue
		case '#', '}':
			if first {
				return "", false
			}
			b = append(b, c)
		case '$':
			b = append(b, c)
			variable = true
			continue
		default:
			b = append(b, c)
		}
		variable = false
	}
	return string(b), true
}
