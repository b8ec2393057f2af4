package httpd

import (
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/conf"
)

// Regex is a compiled regular expression of the configuration (locations,
// server names, rewrite, if, map). sluice uses Go's RE2: patterns PCRE
// accepts but RE2 cannot (backreferences, lookaround, possessive
// quantifiers) are configuration errors that say so.
type Regex struct {
	re   *regexp.Regexp
	src  string
	ncap int
	// named maps a named capture's group number to the variable index set
	// by a match ("(?<name>...)" defines $name).
	named []namedCapture
}

type namedCapture struct {
	group, varIdx int
}

// CompileRegex compiles a pattern as nginx's ngx_http_regex_compile does,
// defining variables for named captures.
func (cf *Config) CompileRegex(c *conf.Cmd, pattern string, caseless bool) (*Regex, error) {
	p := pattern
	if caseless {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil, c.Errorf("regex \"%s\" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): %s", pattern, msg)
	}
	x := &Regex{re: re, src: pattern, ncap: re.NumSubexp()}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if _, err := cf.AddVariable(&Variable{Name: name, Flags: VarChangeable}); err != nil {
			return nil, c.Errorf("%s", err)
		}
		idx := cf.VariableIndex(name)
		cf.markSet(idx)
		x.named = append(x.named, namedCapture{group: i, varIdx: idx})
	}
	if x.ncap > cf.regexCaptures {
		cf.regexCaptures = x.ncap
	}
	return x, nil
}

// Source returns the pattern as written.
func (x *Regex) Source() string { return x.src }

// Captures is the number of capture groups.
func (x *Regex) Captures() int { return x.ncap }

// MatchString reports whether s matches, without touching captures.
func (x *Regex) MatchString(s string) bool { return x.re.MatchString(s) }

// RegexExec matches s against x; on a match the request's captures
// ($0..$9) become those of this match and named captures are assigned
// (ngx_http_regex_exec).
func (r *Request) RegexExec(x *Regex, s string) bool {
	if x.ncap == 0 && len(x.named) == 0 {
		if !x.re.MatchString(s) {
			return false
		}
		r.captures = r.captures[:0]
		r.capturesSubject = s
		return true
	}
	m := x.re.FindStringSubmatchIndex(s)
	if m == nil {
		return false
	}
	r.captures = append(r.captures[:0], m...)
	r.capturesSubject = s
	for _, n := range x.named {
		a, b := m[2*n.group], m[2*n.group+1]
		v := ""
		if a >= 0 {
			v = s[a:b]
		}
		r.SetVar(n.varIdx, v)
	}
	return true
}

// Capture returns capture n of the last match ("" when absent).
func (r *Request) Capture(n int) string {
	if 2*n+1 >= len(r.captures) || r.captures[2*n] < 0 {
		return ""
	}
	return r.capturesSubject[r.captures[2*n]:r.captures[2*n+1]]
}

// NCaptures is the number of captures of the last match, $0 included.
func (r *Request) NCaptures() int { return len(r.captures) / 2 }
