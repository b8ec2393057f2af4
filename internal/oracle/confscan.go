package oracle

import (
	"errors"
	"fmt"
)

// directive is one directive found by scanConf.
type directive struct {
	name string
	args []string
	// depth is 0 for the main context, 1 inside a top-level block, ...
	depth int
	// parent is the name of the enclosing block ("" at depth 0).
	parent string
	// start is the offset of the directive's name in the text.
	start int
	// body is the offset just after the '{' of a block directive, or -1.
	body int
}

// errConfSyntax reports text the scanner cannot follow (unbalanced braces,
// unterminated quotes); nginx would reject such a file too.
var errConfSyntax = errors.New("oracle: cannot scan configuration")

// scanConf lists the directives of an nginx configuration in order. It
// understands just enough of the grammar to find directive names, their
// arguments and block nesting: comments, quoted strings with escapes,
// "${var}" inside words, ';', '{' and '}'. It does not follow includes.
func scanConf(text string) ([]directive, error) {
	var (
		dirs    []directive
		stack   []string // names of the open blocks
		words   []string
		wordPos = -1 // offset of the first word of the current directive
	)
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == ';' || c == '{':
			if len(words) == 0 {
				return dirs, fmt.Errorf("%w: unexpected %q at offset %d", errConfSyntax, c, i)
			}
			d := directive{name: words[0], args: words[1:], depth: len(stack), start: wordPos, body: -1}
			if len(stack) > 0 {
				d.parent = stack[len(stack)-1]
			}
			if c == '{' {
				d.body = i + 1
				stack = append(stack, words[0])
			}
			dirs = append(dirs, d)
			words, wordPos = nil, -1
			i++
		case c == '}':
			if len(words) != 0 || len(stack) == 0 {
				return dirs, fmt.Errorf("%w: unexpected \"}\" at offset %d", errConfSyntax, i)
			}
			stack = stack[:len(stack)-1]
			i++
		default:
			w, n, err := scanWord(text[i:])
			if err != nil {
				return dirs, fmt.Errorf("%w at offset %d", err, i)
			}
			if len(words) == 0 {
				wordPos = i
			}
			words = append(words, w)
			i += n
		}
	}
	if len(words) != 0 || len(stack) != 0 {
		return dirs, fmt.Errorf("%w: unexpected end of file", errConfSyntax)
	}
	return dirs, nil
}

// scanWord reads one word (quoted or bare) at the start of s and returns its
// value (quotes removed, escapes kept as written except for the quote
// itself) and its length in s.
func scanWord(s string) (string, int, error) {
	if q := s[0]; q == '"' || q == '\'' {
		var w []byte
		for i := 1; i < len(s); i++ {
			switch {
			case s[i] == '\\' && i+1 < len(s):
				if s[i+1] != q {
					w = append(w, '\\')
				}
				w = append(w, s[i+1])
				i++
			case s[i] == q:
				return string(w), i + 1, nil
			default:
				w = append(w, s[i])
			}
		}
		return "", 0, fmt.Errorf("%w: unterminated quoted string", errConfSyntax)
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '}' {
			break
		}
		if c == '{' {
			if i == 0 || s[i-1] != '$' {
				break
			}
			// "${name}" stays inside the word.
			for i < len(s) && s[i] != '}' {
				i++
			}
			if i == len(s) {
				return "", 0, fmt.Errorf("%w: unterminated \"${\"", errConfSyntax)
			}
		}
		if c == '\\' && i+1 < len(s) {
			i++
		}
		i++
	}
	return s[:i], i, nil
}

// confFacts is what Start needs to know about a configuration.
type confFacts struct {
	main      map[string]directive // first directive of each name at depth 0
	http      *directive           // the http block, if any
	httpLevel map[string]bool      // directive names directly inside http
	listens   [][]string           // arguments of every listen directive
}

func factsOf(text string) (confFacts, error) {
	dirs, err := scanConf(text)
	if err != nil {
		return confFacts{}, err
	}
	f := confFacts{main: map[string]directive{}, httpLevel: map[string]bool{}}
	for i, d := range dirs {
		switch {
		case d.depth == 0:
			if _, dup := f.main[d.name]; !dup {
				f.main[d.name] = d
			}
			if d.name == "http" && f.http == nil {
				f.http = &dirs[i]
			}
		case d.depth == 1 && d.parent == "http":
			f.httpLevel[d.name] = true
		}
		if d.name == "listen" {
			f.listens = append(f.listens, d.args)
		}
	}
	return f, nil
}
