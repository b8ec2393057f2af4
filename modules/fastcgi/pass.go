package fastcgi

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// passConf is one fastcgi_pass.
type passConf struct {
	// dynamic is the address when it has variables: evaluated per request.
	dynamic *httpd.Complex
	// target is where requests go: an upstream{} group, or the implicit
	// group of the address.
	target upstream.Target
}

// setPass is the fastcgi_pass directive (ngx_http_fastcgi_pass).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	cf, _, loc := httpd.BlockOf(c)
	cl := httpd.CoreLocOf(c)
	if lc.pass != nil {
		return conf.ErrDuplicate
	}
	cl.Handler = handler
	if strings.HasSuffix(loc.Name, "/") {
		loc.AutoRedirect = true
	}
	mc := cf.MainConf(&self).(*mainConf)
	mc.cores.Add(cl)
	pc := &passConf{}
	lc.pass = pc
	if strings.Contains(c.Arg(0), "$") {
		x, err := cf.Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		pc.dynamic = x
		return nil
	}
	g, _, err := balancer.Add(c, c.Arg(0), balancer.URLOptions{})
	if err != nil {
		return err
	}
	pc.target = g
	return nil
}

// targetFor evaluates a fastcgi_pass with variables for the request
// (ngx_http_fastcgi_eval) and finds where it leads. It returns the target,
// or the status to end the request with.
func (pc *passConf) targetFor(r *httpd.Request) (upstream.Target, httpd.Status) {
	if pc.dynamic == nil {
		return pc.target, 0
	}
	text := pc.dynamic.Eval(r)
	u, err := balancer.ParseURL(text, balancer.URLOptions{NoResolve: true})
	if err != nil {
		r.Log().Logf(errlog.Error, r, nil, "%s in upstream \"%s\"", err, text)
		return nil, 500
	}
	return balancer.Dynamic(r, u)
}
