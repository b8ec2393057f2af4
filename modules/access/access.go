// Package access is nginx's ngx_http_access_module: "allow" and "deny"
// rules checked in order, in the access phase, against the client's
// address.
//
// A rule names an IPv4 or IPv6 address, a network in CIDR notation
// (address bits beyond the mask are cleared, with nginx's warning "low
// address bits of ... are meaningless"), "unix:" for clients on UNIX-domain
// sockets, or "all". The first rule that matches decides: "deny" answers
// 403 and, under "satisfy all", logs "access forbidden by rule" (under
// "satisfy any" the framework logs it once no other access module allowed
// the request). A level without rules inherits its parent's; an IPv4
// client connected to an IPv6 socket (::ffff:a.b.c.d) is checked against
// the IPv4 rules when there are any.
//
// Directives
//
//	Syntax:  allow address | CIDR | unix: | all;
//	Context: http, server, location, limit_except
//
//	Syntax:  deny address | CIDR | unix: | all;
//	Context: http, server, location, limit_except
package access

import (
	"github.com/sluicehq/sluice/internal/inet"
	"net"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const ruleContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc | conf.HTTPLmt

// Module is the access HTTP module (ngx_http_access_module).
var Module = &httpd.Module{
	Name:   "access",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "allow", Context: ruleContexts, Args: conf.Take1, Set: setRule(false),
			Syntax: "allow address | CIDR | unix: | all;",
			Doc:    "Allows access for the address, network, UNIX-domain clients or everyone; rules are checked in order."},
		{Name: "deny", Context: ruleContexts, Args: conf.Take1, Set: setRule(true),
			Syntax: "deny address | CIDR | unix: | all;",
			Doc:    "Denies access (403) for the address, network, UNIX-domain clients or everyone; rules are checked in order."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if c.rules4 == nil && c.rules6 == nil && c.rulesUnix == nil {
			c.rules4, c.rules6, c.rulesUnix = p.rules4, p.rules6, p.rulesUnix
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Access, handler)
		return nil
	},
}

// LocConf is the access rules of one level, by address family, in order.
type LocConf struct {
	rules4    []rule
	rules6    []rule
	rulesUnix []bool // deny flags
}

// rule is one allow or deny for one family.
type rule struct {
	addr, mask [16]byte
	deny       bool
}

func (ru *rule) matches(a []byte) bool {
	for i := range a {
		if a[i]&ru.mask[i] != ru.addr[i] {
			return false
		}
	}
	return true
}

// setRule is "allow" or "deny" (ngx_http_access_rule).
func setRule(deny bool) func(c *conf.Cmd) error {
	return func(c *conf.Cmd) error {
		lc := c.Conf.(*LocConf)
		v := c.Arg(0)
		all, unix := v == "all", v == "unix:"
		var ci inet.CIDR
		if !all && !unix {
			var res inet.ParseResult
			ci, res = inet.ParseCIDR(v)
			switch res {
			case inet.CIDRInvalid:
				return c.Errorf("invalid parameter \"%s\"", v)
			case inet.CIDRLowBits:
				c.Warnf("low address bits of %s are meaningless", v)
			}
		}
		if all || !unix && !ci.V6 {
			lc.rules4 = append(lc.rules4, rule{addr: ci.Addr, mask: ci.Mask, deny: deny})
		}
		if all || !unix && ci.V6 {
			lc.rules6 = append(lc.rules6, rule{addr: ci.Addr, mask: ci.Mask, deny: deny})
		}
		if all || unix {
			lc.rulesUnix = append(lc.rulesUnix, deny)
		}
		return nil
	}
}

// handler checks the client's address against the rules
// (ngx_http_access_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil {
		return httpd.Declined
	}
	switch a := r.ClientAddr().(type) {
	case *net.TCPAddr:
		ip := a.IP
		if len(ip) == net.IPv4len {
			return check(r, lc.rules4, ip)
		}
		if v4 := ip.To4(); v4 != nil && lc.rules4 != nil {
			return check(r, lc.rules4, v4)
		}
		if len(ip) == net.IPv6len {
			return check(r, lc.rules6, ip)
		}
	case *net.UnixAddr:
		// nginx checks no path: the first unix: (or all) rule decides
		if len(lc.rulesUnix) > 0 {
			return found(r, lc.rulesUnix[0])
		}
	}
	return httpd.Declined
}

func check(r *httpd.Request, rules []rule, ip []byte) httpd.Status {
	for i := range rules {
		if rules[i].matches(ip) {
			return found(r, rules[i].deny)
		}
	}
	return httpd.Declined
}

// found answers a matching rule (ngx_http_access_found).
func found(r *httpd.Request, deny bool) httpd.Status {
	if !deny {
		return httpd.OK
	}
	if r.CoreLoc().Satisfy.Get() == httpd.SatisfyAll {
		r.Log().Logf(errlog.Error, r, nil, "access forbidden by rule")
	}
	return 403
}
