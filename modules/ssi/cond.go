package ssi

import (
	"regexp"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// ifCommand is "if" and "elif" (ngx_http_ssi_if). The expression is
// "left", "left = right", "left != right", where right may be a /regex/.
func (x *ctx) ifCommand(r *httpd.Request, a *args) httpd.Status {
	if x.p.Command() == "if" && x.conditional != 0 {
		x.logf(r, "the \"if\" command inside the \"if\" command")
		return ssiError
	}
	if x.outputChosen {
		x.output = false
		return httpd.OK
	}
	expr := a[0].val
	// the left operand: letters (lowercased, as nginx does it in place),
	// digits and $ { } _ " '
	p := 0
	var low []byte
	for ; p < len(expr); p++ {
		c := expr[p]
		if c >= 'A' && c <= 'Z' {
			if low == nil {
				low = []byte(expr)
			}
			low[p] = c | 0x20
			continue
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '$' || c == '{' || c == '}' || c == '_' || c == '"' || c == '\'' {
			continue
		}
		break
	}
	if low != nil {
		expr = string(low[:p]) + expr[p:]
	}
	left, ok := x.evaluate(r, expr[:p], false)
	if !ok {
		return ssiError
	}
	for p < len(expr) && expr[p] == ' ' {
		p++
	}
	if p == len(expr) {
		x.choose(left != "")
		return httpd.OK
	}
	negative := false
	switch {
	case expr[p] == '=':
		p++
	case p+1 < len(expr) && expr[p] == '!' && expr[p+1] == '=':
		negative = true
		p += 2
	default:
		x.logf(r, "invalid expression in \"%s\"", expr)
		return ssiError
	}
	for p < len(expr) && expr[p] == ' ' {
		p++
	}
	last := len(expr)
	regex := false
	if p < last-1 && expr[p] == '/' {
		if expr[last-1] != '/' {
			x.logf(r, "invalid expression in \"%s\"", expr)
			return ssiError
		}
		regex = true
		p++
		last--
	} else if p < last-1 && expr[p] == '\\' && expr[p+1] == '/' {
		p++
	}
	right, ok := x.evaluate(r, expr[p:last], false)
	if !ok {
		return ssiError
	}
	var equal bool
	if regex {
		matched, rc := x.match(r, right, left)
		if rc != httpd.OK {
			return rc
		}
		equal = matched
	} else {
		equal = left == right
	}
	x.choose(equal != negative)
	return httpd.OK
}

// choose records the outcome of an if or elif.
func (x *ctx) choose(yes bool) {
	if yes {
		x.output, x.outputChosen = true, true
	} else {
		x.output = false
	}
	x.conditional = condIf
}

// match matches s against pattern (ngx_http_ssi_regex_match): on a match
// the captures become $1..$9 for echo and evaluation, and named captures
// SSI variables. Patterns are Go's RE2, compiled when used.
func (x *ctx) match(r *httpd.Request, pattern, s string) (bool, httpd.Status) {
	re, err := compile(pattern)
	if err != nil {
		r.Log().Logf(errlog.Error, r, nil, "%s", err.Error())
		return false, ssiError
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return false, httpd.OK
	}
	n := len(m) / 2
	for n > 1 && m[2*(n-1)] < 0 {
		n--
	}
	ms := x.m
	ms.caps, ms.capSubject, ms.ncaps = m, s, n
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		v := ""
		if m[2*i] >= 0 {
			v = s[m[2*i]:m[2*i+1]]
		}
		ms.set(ascii.ToLower(name), v)
	}
	return true, httpd.OK
}

// regexError is a pattern RE2 cannot compile; it says so, with the
// pattern, where nginx prints PCRE's message.
type regexError struct {
	pattern, msg string
}

func (e *regexError) Error() string {
	return "regex \"" + e.pattern + "\" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): " + e.msg
}

// compiled caches patterns compiled at run time: documents repeat theirs.
var compiled struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

// maxCompiled bounds the cache (patterns may be built from variables).
const maxCompiled = 1024

func compile(pattern string) (*regexp.Regexp, error) {
	compiled.Lock()
	re := compiled.m[pattern]
	compiled.Unlock()
	if re != nil {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, &regexError{pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	compiled.Lock()
	if compiled.m == nil || len(compiled.m) >= maxCompiled {
		compiled.m = map[string]*regexp.Regexp{}
	}
	compiled.m[pattern] = re
	compiled.Unlock()
	return re, nil
}
