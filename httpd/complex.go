package httpd

import (
	"github.com/sluicehq/sluice/errlog"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// Complex is a configuration value that may contain variables ("$uri",
// "${host}suffix") and regex captures ("$1"), compiled once at
// configuration time (nginx's ngx_http_complex_value_t).
type Complex struct {
	src   string
	parts []cpart
	// size marks values parsed as sizes when evaluated (limit_rate).
	size bool
}

type cpart struct {
	lit     string
	varIdx  int // -1 when not a variable
	capture int // -1 when not a capture; $0..$9
}

// Compile compiles a value with variables (ngx_http_compile_complex_value).
// Unknown variables are reported when the http block is complete.
func (cf *Config) Compile(c *conf.Cmd, s string) (*Complex, error) {
	x := &Complex{src: s}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			x.parts = append(x.parts, cpart{lit: lit.String(), varIdx: -1, capture: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		i++
		if i < len(s) && s[i] >= '1' && s[i] <= '9' {
			flush()
			x.parts = append(x.parts, cpart{varIdx: -1, capture: int(s[i] - '0')})
			i++
			continue
		}
		braced := i < len(s) && s[i] == '{'
		if braced {
			i++
		}
		start := i
		for i < len(s) && isVarChar(s[i]) {
			i++
		}
		name := s[start:i]
		if braced {
			if i >= len(s) || s[i] != '}' {
				return nil, c.Errorf("the closing bracket in \"%s\" variable is missing", name)
			}
			i++
		}
		if name == "" {
			return nil, c.Errorf("invalid variable name")
		}
		flush()
		x.parts = append(x.parts, cpart{varIdx: cf.VariableIndex(name), capture: -1})
	}
	flush()
	return x, nil
}

func isVarChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_'
}

// literalComplex is a constant value.
func literalComplex(s string) *Complex {
	return &Complex{src: s, parts: []cpart{{lit: s, varIdx: -1, capture: -1}}}
}

// Literal returns the value when it has no variables.
func (x *Complex) Literal() (string, bool) {
	switch len(x.parts) {
	case 0:
		return "", true
	case 1:
		if p := x.parts[0]; p.varIdx < 0 && p.capture < 0 {
			return p.lit, true
		}
	}
	return "", false
}

// Source is the text the value was compiled from.
func (x *Complex) Source() string { return x.src }

// HasCaptures reports whether the value uses $0..$9.
func (x *Complex) HasCaptures() bool {
	for _, p := range x.parts {
		if p.capture >= 0 {
			return true
		}
	}
	return false
}

// EvalSize computes a size value such as limit_rate's for a request
// (ngx_http_complex_value_size): def when x is nil, and def with nginx's
// "invalid size" error line when the value is not a size.
func (x *Complex) EvalSize(r *Request, def int64) int64 {
	if x == nil {
		return def
	}
	v := x.Eval(r)
	n, ok := parseSize(v)
	if !ok {
		r.Log().Logf(errlog.Error, r, nil, "invalid size \"%s\"", v)
		return def
	}
	return n
}

// Eval computes the value for a request. The result is valid until the
// request finishes (it may live in the request's scratch memory).
func (x *Complex) Eval(r *Request) string {
	if s, ok := x.Literal(); ok {
		return s
	}
	// Values first: a variable may itself be built in scratch memory (a
	// header joined from several lines), which must not interleave with
	// the result being built.
	var small [8]string
	vals := small[:0]
	for _, p := range x.parts {
		var v string
		switch {
		case p.varIdx >= 0:
			v, _ = r.Var(p.varIdx)
		case p.capture >= 0:
			v = r.Capture(p.capture)
		default:
			v = p.lit
		}
		vals = append(vals, v)
	}
	if len(vals) == 1 {
		return vals[0]
	}
	start := len(r.scratch)
	for _, v := range vals {
		r.scratch = append(r.scratch, v...)
	}
	return bytesconv.String(r.scratch[start:len(r.scratch):len(r.scratch)])
}
