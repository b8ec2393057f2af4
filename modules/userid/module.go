package userid

import (
	"errors"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf and context lookups.
var self httpd.Handle

// The userid modes, in nginx's order: a mode below v1 sets no cookie.
const (
	modeOff = iota
	modeLog
	modeV1
	modeOn
)

var modes = conf.Enum[int]{{"off", modeOff}, {"log", modeLog}, {"v1", modeV1}, {"on", modeOn}}

// The userid_flags bits.
const (
	flagOff uint = 1 << (iota + 1)
	flagSecure
	flagHTTPOnly
	flagSameSite
	flagSameSiteStrict
	flagSameSiteLax
	flagSameSiteNone
)

var flagNames = conf.Enum[uint]{
	{"off", flagOff},
	{"secure", flagSecure},
	{"httponly", flagHTTPOnly},
	{"samesite=strict", flagSameSite | flagSameSiteStrict},
	{"samesite=lax", flagSameSite | flagSameSiteLax},
	{"samesite=none", flagSameSite | flagSameSiteNone},
}

// flagAttrs are the cookie attributes of the flags, in nginx's order.
var flagAttrs = []struct {
	bit  uint
	attr string
}{
	{flagSecure, "; secure"},
	{flagHTTPOnly, "; httponly"},
	{flagSameSiteStrict, "; samesite=strict"},
	{flagSameSiteLax, "; samesite=lax"},
	{flagSameSiteNone, "; samesite=none"},
}

// maxExpires is "userid_expires max": 31 Dec 2037 23:55:55 GMT.
const maxExpires = 2145916555

// maxExpiresAttr is the attribute nginx writes for it, without computing.
const maxExpiresAttr = "; expires=Thu, 31-Dec-37 23:55:55 GMT"

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the userid filter HTTP module (ngx_http_userid_filter_module).
var Module = &httpd.Module{
	Name:   "userid",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "userid", Context: contexts, Args: conf.Take1,
			Syntax: "userid on | v1 | log | off;", Default: "userid off;",
			Set: conf.SetEnum(modes, func(c *LocConf) *conf.Val[int] { return &c.mode }),
			Doc: "Sets cookies identifying clients (on, or v1 for the old layout), only logs received ones (log), or neither (off)."},
		{Name: "userid_service", Context: contexts, Args: conf.Take1,
			Syntax: "userid_service number;", Default: "userid_service IP address of the server;",
			Set: conf.SetNum(func(c *LocConf) *conf.Num { return &c.service }),
			Doc: "The first word of new identifiers: the server's IPv4 address (or the last four bytes of its IPv6 address) unless set; 0 for v1."},
		{Name: "userid_name", Context: contexts, Args: conf.Take1,
			Syntax: "userid_name name;", Default: "userid_name uid;",
			Set: conf.SetStr(func(c *LocConf) *conf.Str { return &c.name }),
			Doc: "The cookie's name."},
		{Name: "userid_domain", Context: contexts, Args: conf.Take1,
			Syntax: "userid_domain name | none;", Default: "userid_domain none;",
			Set: setAttr("; domain=", true, func(c *LocConf) *conf.Str { return &c.domain }),
			Doc: "The cookie's domain attribute; none omits it."},
		{Name: "userid_path", Context: contexts, Args: conf.Take1,
			Syntax: "userid_path path;", Default: "userid_path /;",
			Set: setAttr("; path=", false, func(c *LocConf) *conf.Str { return &c.path }),
			Doc: "The cookie's path attribute."},
		{Name: "userid_expires", Context: contexts, Args: conf.Take1,
			Syntax: "userid_expires time | max | off;", Default: "userid_expires off;", Set: setExpires,
			Doc: "The cookie's expires attribute: time from now, 31 Dec 2037 23:55:55 GMT (max), or none, a session cookie (off)."},
		{Name: "userid_flags", Context: contexts, Args: conf.Take123,
			Syntax: "userid_flags off | flag ...;", Default: "userid_flags off;",
			Set: conf.SetBitmask(flagNames, func(c *LocConf) *conf.Val[uint] { return &c.flags }),
			Doc: "Cookie attributes: secure, httponly, samesite=strict, samesite=lax, samesite=none."},
		{Name: "userid_p3p", Context: contexts, Args: conf.Take1,
			Syntax: "userid_p3p string | none;", Default: "userid_p3p none;",
			Set: setAttr("", true, func(c *LocConf) *conf.Str { return &c.p3p }),
			Doc: "A P3P header sent with the cookie; none sends none."},
		{Name: "userid_mark", Context: contexts, Args: conf.Take1,
			Syntax: "userid_mark letter | digit | = | off;", Default: "userid_mark off;", Set: setMark,
			Doc: "A character written in place of the cookie's first padding \"=\"; a cookie received without it is set again with it."},
	},
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Preconfiguration:  addVariables,
	Postconfiguration: func(cf *httpd.Config) error { cf.AddHeaderFilter(order, headerFilter); return nil },
}

// order puts the filter after headers (add_header sees $uid_set before the
// cookie is added, as in nginx) and before gunzip.
const order = 25

// LocConf is the userid module's configuration of one level.
type LocConf struct {
	mode    conf.Val[int]
	flags   conf.Val[uint]
	service conf.Num // unset: the server address (on) or 0 (v1)
	// name is the cookie name; domain and path are the whole attributes
	// ("; domain=x", "; path=/"), p3p the header value; empty when none.
	name, domain, path, p3p conf.Str
	expires                 conf.Val[int64] // seconds; 0 off, maxExpires
	mark                    conf.Val[byte]  // 0 off

	// resetIndex is $uid_reset's index; a map or set gives it its value.
	resetIndex int
}

func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.resetIndex = cf.VariableIndex("uid_reset")
	c.mode.Inherit(p.mode, modeOff)
	c.flags.Inherit(p.flags, flagOff)
	c.service.InheritOnly(p.service)
	c.name.Inherit(p.name, "uid")
	c.domain.Inherit(p.domain, "")
	c.path.Inherit(p.path, "; path=/")
	c.p3p.Inherit(p.p3p, "")
	c.expires.Inherit(p.expires, 0)
	c.mark.Inherit(p.mark, 0)
	return nil
}

// setAttr sets a string stored with a prefix (nginx's post handlers of
// userid_domain, userid_path and userid_p3p); with none, "none" is empty.
func setAttr(prefix string, none bool, get func(*LocConf) *conf.Str) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*LocConf))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		v := c.Arg(0)
		switch {
		case none && v == "none":
			f.Set("")
		default:
			f.Set(prefix + v)
		}
		return nil
	}
}

// setExpires is "userid_expires" (ngx_http_userid_expires).
func setExpires(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.expires.IsSet() {
		return conf.ErrDuplicate
	}
	switch v := c.Arg(0); v {
	case "max":
		lc.expires.Set(maxExpires)
	case "off":
		lc.expires.Set(0)
	default:
		n, ok := conf.ParseTime(v, true)
		if !ok {
			return conf.ErrInvalidValue
		}
		lc.expires.Set(n)
	}
	return nil
}

// errMark is nginx's answer to a bad userid_mark.
var errMark = errors.New(`value must be "off" or a single letter, digit or "="`)

// setMark is "userid_mark" (ngx_http_userid_mark).
func setMark(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.mark.IsSet() {
		return conf.ErrDuplicate
	}
	v := c.Arg(0)
	if v == "off" {
		lc.mark.Set(0)
		return nil
	}
	if len(v) != 1 || !isMark(v[0]) {
		return errMark
	}
	lc.mark.Set(v[0])
	return nil
}

func isMark(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch == '='
}
