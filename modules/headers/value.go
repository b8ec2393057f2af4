package headers

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// value is a directive value with variables. A value that is exactly one
// variable ("$name", "${name}") is read directly, without copying.
type value struct {
	cv     *httpd.Complex
	varIdx int
}

func compileValue(c *conf.Cmd, text string) (*value, error) {
	cf := httpd.ConfigOf(c)
	x, err := cf.Compile(c, text)
	if err != nil {
		return nil, err
	}
	v := &value{cv: x, varIdx: -1}
	if name, ok := loneVariable(text); ok {
		v.varIdx = cf.VariableIndex(name)
	}
	return v, nil
}

func (v *value) eval(r *httpd.Request) string {
	if v.varIdx >= 0 {
		s, _ := r.Var(v.varIdx)
		return s
	}
	return v.cv.Eval(r)
}

// literal returns the text of a value without variables.
func (v *value) literal() (string, bool) { return v.cv.Literal() }

// loneVariable reports whether text is exactly "$name" or "${name}" with a
// variable name (not a capture).
func loneVariable(text string) (string, bool) {
	if len(text) < 2 || text[0] != '$' {
		return "", false
	}
	name := text[1:]
	if name[0] == '{' {
		if name[len(name)-1] != '}' {
			return "", false
		}
		name = name[1 : len(name)-1]
	}
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return name, true
}
