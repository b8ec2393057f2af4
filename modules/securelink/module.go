package securelink

import (
	"errors"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the secure_link HTTP module (ngx_http_secure_link_module).
var Module = &httpd.Module{
	Name:   "secure_link",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "secure_link", Context: contexts, Args: conf.Take1, Set: setComplex(func(c *LocConf) **httpd.Complex { return &c.variable }),
			Syntax: "secure_link expression;",
			Doc:    "The link's checksum (base64url MD5) and, after a comma, its expiry time (Unix seconds); variables allowed."},
		{Name: "secure_link_md5", Context: contexts, Args: conf.Take1, Set: setComplex(func(c *LocConf) **httpd.Complex { return &c.md5 }),
			Syntax: "secure_link_md5 expression;",
			Doc:    "The string whose MD5 the checksum must be; variables allowed."},
		{Name: "secure_link_secret", Context: contexts, Args: conf.Take1, Set: setSecret,
			Syntax: "secure_link_secret word;",
			Doc:    "The older mode: the URI is /prefix/<hex MD5 of link and word>/link, and $secure_link is the link."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  merge,
	Preconfiguration: func(cf *httpd.Config) error {
		for _, v := range []*httpd.Variable{
			{Name: "secure_link", Get: variable},
			{Name: "secure_link_expires", Get: expiresVariable},
		} {
			if _, err := cf.AddVariable(v); err != nil {
				return err
			}
		}
		return nil
	},
}

// LocConf is the secure_link settings of one level.
type LocConf struct {
	variable, md5 *httpd.Complex
	// varSet and md5Set tell the level's own directives from inherited
	// values (nginx's NGX_CONF_UNSET_PTR).
	varSet, md5Set bool
	secret         string
	secretSet      bool
}

// setComplex is ngx_http_set_complex_value_slot.
func setComplex(get func(*LocConf) **httpd.Complex) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		lc := c.Conf.(*LocConf)
		p := get(lc)
		if *p != nil {
			return conf.ErrDuplicate
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		*p = x
		if p == &lc.variable {
			lc.varSet = true
		} else {
			lc.md5Set = true
		}
		return nil
	}
}

// setSecret is "secure_link_secret" (ngx_conf_set_str_slot).
func setSecret(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.secretSet {
		return conf.ErrDuplicate
	}
	lc.secret, lc.secretSet = c.Arg(0), true
	return nil
}

// merge is ngx_http_secure_link_merge_conf: a level with
// secure_link_secret must not have secure_link or secure_link_md5 of its
// own and inherits neither; otherwise they are inherited, and the secret
// only when neither is set.
func merge(_ *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.secretSet {
		if c.varSet || c.md5Set {
			return errors.New("\"secure_link_secret\" cannot be mixed with \"secure_link\" and \"secure_link_md5\"")
		}
		return nil
	}
	if !c.varSet {
		c.variable = p.variable
	}
	if !c.md5Set {
		c.md5 = p.md5
	}
	if c.variable == nil && c.md5 == nil {
		c.secret, c.secretSet = p.secret, p.secretSet
	}
	return nil
}
