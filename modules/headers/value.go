package headers

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// value is a directive value with variables (a lone variable comes back
// from Complex.Eval without copying).
type value struct {
	cv *httpd.Complex
}

func compileValue(c *conf.Cmd, text string) (*value, error) {
	x, err := httpd.ConfigOf(c).Compile(c, text)
	if err != nil {
		return nil, err
	}
	return &value{cv: x}, nil
}

func (v *value) eval(r *httpd.Request) string { return v.cv.Eval(r) }

// literal returns the text of a value without variables.
func (v *value) literal() (string, bool) { return v.cv.Literal() }
