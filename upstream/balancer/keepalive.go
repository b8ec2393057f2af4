package balancer

import (
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// KeepaliveModule is ngx_http_upstream_keepalive_module: the idle
// connection cache of an upstream block.
var KeepaliveModule = &httpd.Module{Name: "upstream_keepalive", Directives: []conf.Directive{
	{Name: "keepalive", Context: conf.HTTPUps, Args: conf.Take12,
		Syntax: "keepalive connections [local];", Default: "keepalive 32 local;",
		Doc: "Idle connections to the group's servers kept for reuse (0 disables); " +
			"those beyond it are closed, least recently used first: at once, or 10 ms later while other requests of the group are in flight (at once beyond twice as many). " +
			"\"local\" is accepted; the pool is shared by every location using the group.",
		Set: setKeepalive},
	{Name: "keepalive_requests", Context: conf.HTTPUps, Args: conf.Take1,
		Syntax: "keepalive_requests number;", Default: "keepalive_requests 1000;",
		Doc: "Requests one kept-alive upstream connection may carry.",
		Set: conf.SetNum(func(g *Group) *conf.Num { return &g.keepaliveReqs })},
	{Name: "keepalive_time", Context: conf.HTTPUps, Args: conf.Take1,
		Syntax: "keepalive_time time;", Default: "keepalive_time 1h;",
		Doc: "How long one upstream connection may be reused in all.",
		Set: conf.SetMsec(func(g *Group) *conf.Msec { return &g.keepaliveTime })},
	{Name: "keepalive_timeout", Context: conf.HTTPUps, Args: conf.Take1,
		Syntax: "keepalive_timeout timeout;", Default: "keepalive_timeout 60s;",
		Doc: "How long an idle upstream connection is kept.",
		Set: conf.SetMsec(func(g *Group) *conf.Msec { return &g.keepaliveTimeout })},
}}

// defaultKeepalive is the pool size of a group without "keepalive"
// (nginx 1.29+ enables keepalive by default).
const defaultKeepalive = 32

// setKeepalive is the "keepalive" directive (ngx_http_upstream_keepalive).
func setKeepalive(c *conf.Cmd) error {
	g := c.Conf.(*Group)
	if g.keepalive.IsSet() {
		return conf.ErrDuplicate
	}
	n, ok := conf.Atoi(c.Arg(0))
	if !ok || n > 1<<31-1 {
		return c.InvalidValue(c.Arg(0))
	}
	g.keepalive.Set(int(n))
	if len(c.Args) == 2 {
		if c.Arg(1) != "local" {
			return c.Errorf("invalid parameter \"%s\"", c.Arg(1))
		}
		g.keepaliveLocal = true
	}
	return nil
}

// initKeepalive creates the pool of an explicit group
// (ngx_http_upstream_keepalive_init_main_conf).
func (g *Group) initKeepalive() {
	if !g.Explicit() {
		return
	}
	n := defaultKeepalive
	if g.keepalive.IsSet() {
		n = g.keepalive.Get()
		if n == 0 {
			return
		}
	} else {
		g.keepaliveLocal = true
	}
	g.keepaliveReqs.Inherit(conf.Num{}, 1000)
	g.keepaliveTime.Inherit(conf.Msec{}, time.Hour)
	g.keepaliveTimeout.Inherit(conf.Msec{}, 60*time.Second)
	p := upstream.NewPool(n)
	p.Requests = g.keepaliveReqs.Get()
	p.Time = g.keepaliveTime.Get()
	p.Timeout = g.keepaliveTimeout.Get()
	p.Busy = g.inFlight.Load
	g.pool = p
}
