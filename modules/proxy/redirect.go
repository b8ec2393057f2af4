package proxy

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
)

// ruleKind is how a rewrite rule matches (the handler of nginx's
// ngx_http_proxy_rewrite_t).
type ruleKind uint8

const (
	// ruleComplex: the value starts with the pattern (case-sensitive);
	// the matched prefix is replaced.
	ruleComplex ruleKind = iota
	// ruleRegex: the regex matches the value; the whole value is
	// replaced (captures available to the replacement).
	ruleRegex
	// ruleDomain: the value (without a leading dot) equals the pattern,
	// case-insensitively; it is replaced, the dot kept.
	ruleDomain
)

// cval is a configured value: a literal, or a value with variables.
type cval struct {
	cx  *httpd.Complex
	lit string
}

func (v cval) eval(r *httpd.Request) string {
	if v.cx != nil {
		return v.cx.Eval(r)
	}
	return v.lit
}

// rewriteRule is one proxy_redirect, proxy_cookie_domain or
// proxy_cookie_path rule.
type rewriteRule struct {
	kind        ruleKind
	pattern     cval
	re          *httpd.Regex
	replacement cval
}

// apply rewrites value from offset prefix (ngx_http_proxy_rewrite and the
// rule handlers). ok is false when the rule does not match.
func (rule *rewriteRule) apply(r *httpd.Request, value string, prefix int) (string, bool) {
	rest := value[prefix:]
	n := 0
	switch rule.kind {
	case ruleComplex:
		pat := rule.pattern.eval(r)
		if !strings.HasPrefix(rest, pat) {
			return value, false
		}
		n = len(pat)
	case ruleRegex:
		if !r.RegexExec(rule.re, rest) {
			return value, false
		}
		n = len(rest)
	case ruleDomain:
		pat := rule.pattern.eval(r)
		if rest != "" && rest[0] == '.' {
			prefix++
			rest = rest[1:]
		}
		if !ascii.EqualFold(pat, rest) {
			return value, false
		}
		n = len(rest)
	}
	repl := rule.replacement.eval(r)
	return value[:prefix] + repl + value[prefix+n:], true
}

// defaultRedirect is "proxy_redirect default": the proxy_pass URL is
// replaced by the location (or by "/" when proxy_pass has no URI part).
func defaultRedirect(pc *passConf, url string) *rewriteRule {
	if pc != nil && pc.vars.uri != "" {
		return &rewriteRule{kind: ruleComplex, pattern: cval{lit: url}, replacement: cval{lit: pc.location}}
	}
	return &rewriteRule{kind: ruleComplex, pattern: cval{lit: url + "/"}, replacement: cval{lit: "/"}}
}

// RewriteRedirect applies proxy_redirect to a Location or Refresh header
// (ngx_http_proxy_rewrite_redirect): the first matching rule wins.
func (p *proto) RewriteRedirect(u *upstream.Upstream, h *httpd.Header, prefix int) (bool, error) {
	for _, rule := range p.lc.redirects {
		if v, ok := rule.apply(u.R, h.Value, prefix); ok {
			h.Value = v
			return true, nil
		}
	}
	return false, nil
}

// setRedirect is proxy_redirect (ngx_http_proxy_redirect).
func setRedirect(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.redirect.IsSet() && !lc.redirect.Get() {
		return conf.ErrDuplicate
	}
	lc.redirect.Set(true)
	if len(c.Args) == 1 {
		switch c.Arg(0) {
		case "off":
			if lc.redirects != nil {
				return conf.ErrDuplicate
			}
			lc.redirect.Set(false)
			return nil
		case "default":
			if lc.pass != nil && lc.pass.dynamic != nil && lc.url != "" {
				return c.Errorf("\"proxy_redirect default\" cannot be used with \"proxy_pass\" directive with variables")
			}
			if lc.url == "" {
				return c.Errorf("\"proxy_redirect default\" should be placed after the \"proxy_pass\" directive")
			}
			lc.redirects = append(lc.redirects, defaultRedirect(lc.pass, lc.url))
			return nil
		}
		return c.Errorf("invalid parameter \"%s\"", c.Arg(0))
	}
	rule, err := compileRule(c, c.Arg(0), true, false)
	if err != nil {
		return err
	}
	if rule.replacement, err = compileValue(c, c.Arg(1)); err != nil {
		return err
	}
	lc.redirects = append(lc.redirects, rule)
	return nil
}

// compileRule compiles a rule's pattern: "~regex" (and "~*regex" when
// starStar is allowed: caseless), else a value with variables.
func compileRule(c *conf.Cmd, pat string, star, caseless bool) (*rewriteRule, error) {
	if strings.HasPrefix(pat, "~") {
		pat = pat[1:]
		if star && strings.HasPrefix(pat, "*") {
			pat, caseless = pat[1:], true
		}
		re, err := httpd.ConfigOf(c).CompileRegex(c, pat, caseless)
		if err != nil {
			return nil, err
		}
		return &rewriteRule{kind: ruleRegex, re: re}, nil
	}
	v, err := compileValue(c, pat)
	if err != nil {
		return nil, err
	}
	return &rewriteRule{kind: ruleComplex, pattern: v}, nil
}

// compileValue compiles a value that may have variables.
func compileValue(c *conf.Cmd, s string) (cval, error) {
	if !strings.Contains(s, "$") {
		return cval{lit: s}, nil
	}
	x, err := httpd.ConfigOf(c).Compile(c, s)
	if err != nil {
		return cval{}, err
	}
	return cval{cx: x}, nil
}
