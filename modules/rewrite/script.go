package rewrite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// A value is a compiled string of the rewrite module: a replacement of
// "rewrite", the value of "set", the right-hand side of an "if"
// comparison or a file test. Its grammar is nginx's script grammar:
// literal text, variables ("$name", "${name}"), regex captures ("$1" to
// "$9"; "$0" is a variable named "0") and, in replacements that are not
// redirects, the first "?" that starts the arguments.
type value struct {
	src   string
	parts []part
	// literal is set when the source has no "$" at all: the value is src.
	literal bool
	// hasArgs records a "?" anywhere in the literal text (nginx's sc->args):
	// a redirect then appends the request's arguments with "&", not "?".
	hasArgs bool
}

type partKind uint8

const (
	partLit partKind = iota
	partVar
	partCapture
	partArgs
)

// part is one piece of a value: literal text, a variable index, a capture
// number, or the start of the arguments.
type part struct {
	kind partKind
	lit  string
	n    int
}

// Compile errors, worded as nginx words them.
var errInvalidVariable = errors.New("invalid variable name")

// varIndexer resolves a variable name to its index (httpd.Config's
// VariableIndex at configuration time; tests and fuzzing use a map).
type varIndexer func(name string) int

// compileValue compiles src as ngx_http_script_compile does. With
// splitArgs, the first "?" outside variables starts the arguments.
func compileValue(src string, index varIndexer, splitArgs bool) (*value, error) {
	v := &value{src: src}
	if !strings.Contains(src, "$") {
		v.literal = true
		v.hasArgs = strings.Contains(src, "?")
		if !splitArgs {
			return v, nil
		}
		v.literal = false
	}
	for i := 0; i < len(src); {
		if src[i] == '$' {
			i++
			if i == len(src) {
				return nil, errInvalidVariable
			}
			if src[i] >= '1' && src[i] <= '9' {
				v.parts = append(v.parts, part{kind: partCapture, n: int(src[i] - '0')})
				i++
				continue
			}
			bracket := false
			if src[i] == '{' {
				bracket = true
				i++
				if i == len(src) {
					return nil, errInvalidVariable
				}
			}
			start := i
			end := i
			for ; i < len(src); i++ {
				ch := src[i]
				if ch == '}' && bracket {
					end = i
					i++
					bracket = false
					break
				}
				if !isVarChar(ch) {
					break
				}
				end = i + 1
			}
			if bracket {
				return nil, fmt.Errorf("the closing bracket in \"%s\" variable is missing", src[start:end])
			}
			if end == start {
				return nil, errInvalidVariable
			}
			v.parts = append(v.parts, part{kind: partVar, n: index(src[start:end])})
			continue
		}
		if src[i] == '?' && splitArgs {
			v.hasArgs = true
			splitArgs = false
			v.parts = append(v.parts, part{kind: partArgs})
			i++
			continue
		}
		start := i
		for i < len(src) && src[i] != '$' {
			if src[i] == '?' {
				v.hasArgs = true
				if splitArgs {
					break
				}
			}
			i++
		}
		v.parts = append(v.parts, part{kind: partLit, lit: src[start:i]})
	}
	return v, nil
}

func isVarChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_'
}

// hasVars reports whether the value reads variables or captures.
func (v *value) hasVars() bool {
	for _, p := range v.parts {
		if p.kind == partVar || p.kind == partCapture {
			return true
		}
	}
	return false
}

// appendEval appends the value for request r to b and returns the result
// and where the arguments start in it (-1 when the value has no "?"
// marker). quote is nginx's e->quote: captures copied while quoting, or
// after the arguments marker, are escaped for a query string when the
// request URI had "%" escapes or a "+" (ngx_http_script_copy_capture_code).
func (v *value) appendEval(r *httpd.Request, b []byte, quote bool) ([]byte, int) {
	if v.literal {
		return append(b, v.src...), -1
	}
	argsAt := -1
	isArgs := false
	for _, p := range v.parts {
		switch p.kind {
		case partLit:
			b = append(b, p.lit...)
		case partVar:
			if s, ok := r.Var(p.n); ok {
				b = append(b, s...)
			}
		case partCapture:
			c := r.Capture(p.n)
			if (isArgs || quote) && (r.QuotedURI || r.PlusInURI) {
				b = http1.Escape(b, bytesconv.Bytes(c), http1.EscapeArgs)
			} else {
				b = append(b, c...)
			}
		case partArgs:
			isArgs = true
			argsAt = len(b)
		}
	}
	return b, argsAt
}

// eval returns the value for request r, built in tmp (a scratch buffer
// of the caller, since evaluating a variable may itself append to the
// request's scratch memory) and then copied to the request's scratch
// memory, where it lives until the request ends.
func (v *value) eval(r *httpd.Request, tmp *[]byte, quote bool) string {
	if v.literal {
		return v.src
	}
	*tmp, _ = v.appendEval(r, (*tmp)[:0], quote)
	return keep(r, *tmp)
}

// keep copies b into the request's scratch memory and returns it as a
// string valid until the request ends.
func keep(r *httpd.Request, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	sp := r.Scratch()
	start := len(*sp)
	*sp = append(*sp, b...)
	return bytesconv.String((*sp)[start:len(*sp):len(*sp)])
}
