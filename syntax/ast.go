// Package syntax reads nginx.conf text into a tree of directives.
//
// It knows nginx's grammar and nothing of what directives mean: words,
// single and double quotes with nginx's escapes, "#" comments, ";"
// terminators and "{ }" blocks. "$var" and "${var}" are left in the words
// for variable compilation later. "include" is an ordinary directive here;
// the conf package expands it, in the context where it appears, as nginx
// does.
//
// nginx parses and applies directives in one pass, so the first error it
// reports is the first one met in file order, whether it is a syntax error
// or a semantic one. To keep that order with a two-pass design, a syntax
// error does not discard the tree: Parse returns every directive completed
// before the error, and puts the error itself into the tree as a Directive
// whose Err is set, at the place the lexer stopped (inside the blocks that
// were open then). Whoever walks the tree reports it when reaching it.
package syntax

import "fmt"

// Directive is one statement of a configuration file: a name, its
// arguments, and, when it was terminated by "{", the statements of its block.
type Directive struct {
	// Name is the first word, with quotes removed and escapes applied.
	Name string
	// Args are the remaining words, with quotes removed and escapes applied.
	Args []string
	// Block holds the statements inside "{ }". It is nil when the directive
	// was terminated by ";" and non-nil (possibly empty) when it opened a
	// block; use HasBlock to tell.
	Block []*Directive
	// File is the path of the file the directive was read from, as given to
	// Parse; empty for directives given with -g ("in command line").
	File string
	// Line is the line of the terminating ";" or "{", which is the line nginx
	// reports in its errors about the directive.
	Line int
	// EndLine is the line of a block's closing "}" (0 without a block),
	// where nginx reports what it finds wrong once the block is read
	// (merge errors, an empty upstream).
	EndLine int
	// Err, when non-nil, marks this node as the place where parsing
	// stopped. Name, Args and Block are then empty.
	Err *Error
}

// HasBlock reports whether the directive was terminated by "{".
func (d *Directive) HasBlock() bool { return d.Block != nil }

// Error is a syntax error with the position nginx would report.
type Error struct {
	// File is the file being parsed; empty for text given with -g.
	File string
	// Line is the line the lexer was on when it stopped.
	Line int
	// Msg is nginx's wording, e.g. `unexpected "}"`.
	Msg string
}

// Error renders the error the way nginx does: "MSG in FILE:LINE", or
// "MSG in command line" for text given with -g.
func (e *Error) Error() string {
	if e.File == "" {
		return e.Msg + " in command line"
	}
	return fmt.Sprintf("%s in %s:%d", e.Msg, e.File, e.Line)
}
