package proxy

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
)

// cookieFlags is one proxy_cookie_flags rule: the cookie (name, or a
// caseless regex) and its flags (values with variables, checked when
// used).
type cookieFlags struct {
	name  cval
	re    *httpd.Regex
	flags []cval
}

// Flag bits (nginx's NGX_HTTP_PROXY_COOKIE_*).
const (
	flagSecure uint = 1 << iota
	flagSecureOn
	flagSecureOff
	flagHTTPOnly
	flagHTTPOnlyOn
	flagHTTPOnlyOff
	flagSameSite
	flagSameSiteStrict
	flagSameSiteLax
	flagSameSiteNone
	flagSameSiteOff
)

var flagNames = []struct {
	name string
	bits uint
}{
	{"secure", flagSecure | flagSecureOn},
	{"nosecure", flagSecure | flagSecureOff},
	{"httponly", flagHTTPOnly | flagHTTPOnlyOn},
	{"nohttponly", flagHTTPOnly | flagHTTPOnlyOff},
	{"samesite=strict", flagSameSite | flagSameSiteStrict},
	{"samesite=lax", flagSameSite | flagSameSiteLax},
	{"samesite=none", flagSameSite | flagSameSiteNone},
	{"nosamesite", flagSameSite | flagSameSiteOff},
}

// cookieAttr is one "key[=value]" part of a Set-Cookie value.
type cookieAttr struct {
	key, value string
	hasValue   bool
	deleted    bool
}

// parseCookie splits a Set-Cookie value at ';' with nginx's trimming
// (ngx_http_proxy_parse_cookie).
func parseCookie(v string) []cookieAttr {
	var attrs []cookieAttr
	for {
		part, rest, more := strings.Cut(v, ";")
		part = strings.TrimLeft(part, " ")
		a := cookieAttr{}
		if name, val, ok := strings.Cut(part, "="); ok {
			a.key = strings.TrimRight(name, " ")
			a.value = strings.TrimRight(strings.TrimLeft(val, " "), " ")
			a.hasValue = true
		} else {
			a.key = strings.TrimRight(part, " ")
		}
		attrs = append(attrs, a)
		if !more {
			return attrs
		}
		v = rest
	}
}

// RewriteCookie applies proxy_cookie_domain, proxy_cookie_path and
// proxy_cookie_flags to a Set-Cookie header (ngx_http_proxy_rewrite_cookie).
func (p *proto) RewriteCookie(u *upstream.Upstream, h *httpd.Header) error {
	lc := p.lc
	domains, paths, flags := lc.cookieDomains.Get(), lc.cookiePaths.Get(), lc.cookieFlags.Get()
	if domains == nil && paths == nil && flags == nil {
		return nil
	}
	r := u.R
	attrs := parseCookie(h.Value)
	if !attrs[0].hasValue {
		return nil
	}
	changed := false
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		if !a.hasValue {
			continue
		}
		var rules []*rewriteRule
		switch {
		case domains != nil && ascii.EqualFold(a.key, "domain"):
			rules = domains
		case paths != nil && ascii.EqualFold(a.key, "path"):
			rules = paths
		}
		for _, rule := range rules {
			if v, ok := rule.apply(r, a.value, 0); ok {
				a.value = v
				changed = true
				break
			}
		}
	}
	if flags != nil {
		var ok bool
		if attrs, ok = rewriteFlags(r, attrs, flags); ok {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	var b strings.Builder
	for i, a := range attrs {
		if a.deleted {
			continue
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.key)
		if a.hasValue {
			b.WriteByte('=')
			b.WriteString(a.value)
		}
	}
	h.Value = b.String()
	return nil
}

// rewriteFlags finds the first proxy_cookie_flags rule for the cookie and
// edits its flags (ngx_http_proxy_rewrite_cookie_flags).
func rewriteFlags(r *httpd.Request, attrs []cookieAttr, rules []*cookieFlags) ([]cookieAttr, bool) {
	var rule *cookieFlags
	for _, cf := range rules {
		if cf.re != nil {
			if r.RegexExec(cf.re, attrs[0].key) {
				rule = cf
				break
			}
			continue
		}
		if ascii.EqualFold(cf.name.eval(r), attrs[0].key) {
			rule = cf
			break
		}
	}
	if rule == nil {
		return attrs, false
	}
	var f uint
	for _, fv := range rule.flags {
		v := fv.eval(r)
		if v == "" {
			continue
		}
		for _, fn := range flagNames {
			if ascii.EqualFold(fn.name, v) {
				f |= fn.bits
				break
			}
		}
	}
	if f == 0 {
		return attrs, false
	}
	return editFlags(attrs, f), true
}

// editFlags sets, clears or replaces Secure, HttpOnly and SameSite
// (ngx_http_proxy_edit_cookie_flags).
func editFlags(attrs []cookieAttr, f uint) []cookieAttr {
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		switch {
		case ascii.EqualFold(a.key, "secure"):
			if f&flagSecureOn != 0 {
				f &^= flagSecureOn
			} else if f&flagSecureOff != 0 {
				a.deleted = true
			}
		case ascii.EqualFold(a.key, "httponly"):
			if f&flagHTTPOnlyOn != 0 {
				f &^= flagHTTPOnlyOn
			} else if f&flagHTTPOnlyOff != 0 {
				a.deleted = true
			}
		case ascii.EqualFold(a.key, "samesite"):
			set := func(want, name string, bit uint) {
				f &^= bit
				if !a.hasValue || !ascii.EqualFold(a.value, want) {
					a.key, a.value, a.hasValue = "SameSite", name, true
				}
			}
			switch {
			case f&flagSameSiteStrict != 0:
				set("strict", "Strict", flagSameSiteStrict)
			case f&flagSameSiteLax != 0:
				set("lax", "Lax", flagSameSiteLax)
			case f&flagSameSiteNone != 0:
				set("none", "None", flagSameSiteNone)
			case f&flagSameSiteOff != 0:
				a.deleted = true
			}
		}
	}
	if f&flagSecureOn != 0 {
		attrs = append(attrs, cookieAttr{key: "Secure"})
	}
	if f&flagHTTPOnlyOn != 0 {
		attrs = append(attrs, cookieAttr{key: "HttpOnly"})
	}
	switch {
	case f&flagSameSiteStrict != 0:
		attrs = append(attrs, cookieAttr{key: "SameSite", value: "Strict", hasValue: true})
	case f&flagSameSiteLax != 0:
		attrs = append(attrs, cookieAttr{key: "SameSite", value: "Lax", hasValue: true})
	case f&flagSameSiteNone != 0:
		attrs = append(attrs, cookieAttr{key: "SameSite", value: "None", hasValue: true})
	}
	return attrs
}

// setCookieRules is the shared part of proxy_cookie_domain and
// proxy_cookie_path.
func setCookieRules(c *conf.Cmd, v *conf.Val[[]*rewriteRule], domain bool) error {
	if v.IsSet() && v.Get() == nil {
		return conf.ErrDuplicate
	}
	if len(c.Args) == 1 {
		if c.Arg(0) == "off" {
			if v.IsSet() {
				return conf.ErrDuplicate
			}
			v.Set(nil)
			return nil
		}
		return c.Errorf("invalid parameter \"%s\"", c.Arg(0))
	}
	pat, repl := c.Arg(0), c.Arg(1)
	var rule *rewriteRule
	var err error
	switch {
	case domain && strings.HasPrefix(pat, "~"):
		// nginx: "~" only, always caseless
		re, err := httpd.ConfigOf(c).CompileRegex(c, pat[1:], true)
		if err != nil {
			return err
		}
		rule = &rewriteRule{kind: ruleRegex, re: re}
	case domain:
		pat = strings.TrimPrefix(pat, ".")
		pv, err := compileValue(c, pat)
		if err != nil {
			return err
		}
		rule = &rewriteRule{kind: ruleDomain, pattern: pv}
		repl = strings.TrimPrefix(repl, ".")
	default:
		if rule, err = compileRule(c, pat, true, false); err != nil {
			return err
		}
	}
	if rule.replacement, err = compileValue(c, repl); err != nil {
		return err
	}
	v.Set(append(v.Get(), rule))
	return nil
}

func setCookieDomain(c *conf.Cmd) error {
	return setCookieRules(c, &c.Conf.(*LocConf).cookieDomains, true)
}

func setCookiePath(c *conf.Cmd) error {
	return setCookieRules(c, &c.Conf.(*LocConf).cookiePaths, false)
}

// setCookieFlags is proxy_cookie_flags.
func setCookieFlags(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	v := &lc.cookieFlags
	if v.IsSet() && v.Get() == nil {
		return conf.ErrDuplicate
	}
	if len(c.Args) == 1 {
		if c.Arg(0) == "off" {
			if v.IsSet() {
				return conf.ErrDuplicate
			}
			v.Set(nil)
			return nil
		}
		return c.Errorf("invalid parameter \"%s\"", c.Arg(0))
	}
	rule := &cookieFlags{}
	if name := c.Arg(0); strings.HasPrefix(name, "~") {
		re, err := httpd.ConfigOf(c).CompileRegex(c, name[1:], true)
		if err != nil {
			return err
		}
		rule.re = re
	} else {
		nv, err := compileValue(c, name)
		if err != nil {
			return err
		}
		rule.name = nv
	}
	for _, a := range c.Args[1:] {
		fv, err := compileValue(c, a)
		if err != nil {
			return err
		}
		rule.flags = append(rule.flags, fv)
	}
	v.Set(append(v.Get(), rule))
	return nil
}
