package syntax

// Parse reads the text of one configuration file and returns its top-level
// directives. file is only recorded in the nodes and errors; Parse does no
// I/O.
//
// On a syntax error Parse still returns every directive completed before
// it, and adds an error node (a Directive whose Err is set) at the place
// the lexer stopped, as the last child of the innermost block open there
// (or last at top level). The returned error is that same *Error; it is nil
// when the text is valid.
//
// The top level of a file is parsed as nginx parses a file, whether the
// file is the main one or included: a "}" there is `unexpected "}"`, and
// the end of the text closes nothing.
func Parse(file string, src []byte) ([]*Directive, error) {
	p := parser{lx: lexer{src: string(src), line: 1}, file: file}
	return p.run()
}

// ParseParam reads the text given to nginx's -g option. It differs from
// Parse as nginx's command-line mode does: nodes and errors have no file
// and line 0 (errors end "in command line"), text ending inside a
// directive is `unexpected end of parameter, expecting ";"`, blocks are
// refused with "block directives are not supported in -g option", and
// there is no limit on a word's length.
func ParseParam(src string) ([]*Directive, error) {
	p := parser{lx: lexer{src: src, param: true}}
	return p.run()
}

// parser builds the tree from the lexer's tokens.
type parser struct {
	lx   lexer
	file string
	top  []*Directive
	open []*Directive // blocks not yet closed, outermost first
}

// line is the line to record for a node or error made now.
func (p *parser) line() int {
	if p.lx.param {
		return 0
	}
	return p.lx.line
}

// add appends d to the innermost open block, or to the top level.
func (p *parser) add(d *Directive) {
	if n := len(p.open); n > 0 {
		b := p.open[n-1]
		b.Block = append(b.Block, d)
		return
	}
	p.top = append(p.top, d)
}

// fail adds an error node where parsing stopped and returns the tree.
func (p *parser) fail(msg string) ([]*Directive, error) {
	e := &Error{File: p.file, Line: p.line(), Msg: msg}
	p.add(&Directive{File: p.file, Line: e.Line, Err: e})
	return p.top, e
}

func (p *parser) run() ([]*Directive, error) {
	for {
		switch p.lx.next() {
		case tokError:
			return p.fail(p.lx.errMsg)

		case tokBlockEnd:
			if len(p.open) == 0 {
				return p.fail(`unexpected "}"`)
			}
			p.open[len(p.open)-1].EndLine = p.line()
			p.open = p.open[:len(p.open)-1]

		case tokEOF:
			if len(p.open) > 0 {
				return p.fail(`unexpected end of file, expecting "}"`)
			}
			return p.top, nil

		case tokBlockStart:
			if p.lx.param {
				return p.fail("block directives are not supported in -g option")
			}
			d := p.directive()
			d.Block = []*Directive{}
			p.add(d)
			p.open = append(p.open, d)

		case tokDirective:
			p.add(p.directive())
		}
	}
}

// directive makes a node of the words the lexer just read.
func (p *parser) directive() *Directive {
	w := p.lx.words
	d := &Directive{Name: w[0], File: p.file, Line: p.line()}
	if len(w) > 1 {
		d.Args = append([]string(nil), w[1:]...)
	}
	return d
}
