package rewrite

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// cond is a compiled "if" condition.
type cond interface {
	test(e *engine) bool
}

// varValue returns variable i for the request, "" when not found.
func varValue(r *httpd.Request, i int) string {
	v, _ := r.Var(i)
	return v
}

// varCond is "if ($variable)": true unless empty or "0".
type varCond struct{ index int }

func (c varCond) test(e *engine) bool { return truth(varValue(e.r, c.index)) }

// cmpCond is "if ($variable = value)" and "!=".
type cmpCond struct {
	index int
	val   *value
	not   bool
}

func (c *cmpCond) test(e *engine) bool {
	v := varValue(e.r, c.index)
	return (v == c.val.eval(e.r, e.tmp, e.quote)) != c.not
}

// regexCond is "if ($variable ~ regex)" and its "~*", "!~", "!~*" forms; a
// match sets the captures even when the test is negative.
type regexCond struct {
	index int
	re    *httpd.Regex
	not   bool
}

func (c *regexCond) test(e *engine) bool {
	return e.match(c.re, varValue(e.r, c.index)) != c.not
}

// fileOp is a file test of "if".
type fileOp uint8

// The file tests: -f, -d, -e, -x and their negations.
const (
	filePlain fileOp = iota
	fileDir
	fileExists
	fileExec
)

// fileCond is "if (-f path)" and the other file tests.
type fileCond struct {
	val *value
	op  fileOp
	not bool
}

// test stats the path as nginx's test-only open of a cached file does:
// symbolic links are followed, a missing path is simply false, and other
// failures are logged at crit (ngx_http_script_file_code).
func (c *fileCond) test(e *engine) bool {
	r := e.r
	path := c.val.eval(r, e.tmp, e.quote)
	if i := strings.IndexByte(path, 0); i >= 0 {
		// the path is a C string to nginx
		path = path[:i]
	}
	fi, failed, err := r.StatFile(path)
	if err != nil {
		if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.ENAMETOOLONG) {
			r.Log().Logf(errlog.Crit, r, err, "%s \"%s\" failed", failed, path)
		}
		return c.not
	}
	var ok bool
	switch c.op {
	case filePlain:
		ok = fi.Mode().IsRegular()
	case fileDir:
		ok = fi.IsDir()
	case fileExists:
		ok = fi.Mode().IsRegular() || fi.IsDir() || fi.Mode()&os.ModeSymlink != 0
	case fileExec:
		ok = fi.Mode().Perm()&0o100 != 0
	}
	return ok != c.not
}
