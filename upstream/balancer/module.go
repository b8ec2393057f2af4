package balancer

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// self is the upstream block module's identity for conf lookups (see
// httpd.Handle).
var self httpd.Handle

// Module is the upstream{} block with its server directive (the block part
// of nginx's ngx_http_upstream_module). List it among the HTTP modules
// before the modules whose pass directives name groups.
var Module = &httpd.Module{
	Name:   "upstream",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "upstream", Context: conf.HTTPMain, Args: conf.Block | conf.Take1, Level: httpd.MainLevel,
			Syntax: "upstream name { ... }",
			Doc:    "A group of servers that proxy_pass and the other pass directives can name.",
			Set:    setUpstream},
		{Name: "server", Context: conf.HTTPUps, Args: conf.OneMore,
			Syntax: "server address [parameters];",
			Doc: "A server of the group: weight=, max_conns=, max_fails=, fail_timeout=, backup, down, " +
				"resolve, service=. Host names are resolved to all their addresses when the configuration is loaded.",
			Set: setServer},
		{Name: "resolver", Context: conf.HTTPUps, Args: conf.OneMore,
			Syntax: "resolver address ... [valid=time] [ipv4=on|off] [ipv6=on|off] [status_zone=zone];",
			Doc:    "DNS servers for the group's servers marked \"resolve\".",
			Set:    setResolver},
		{Name: "resolver_timeout", Context: conf.HTTPUps, Args: conf.Take1,
			Syntax: "resolver_timeout time;", Default: "resolver_timeout 30s;",
			Doc: "Timeout of name resolution for the group's servers marked \"resolve\".",
			Set: conf.SetMsec(func(g *Group) *conf.Msec { return &g.resolverTimeout })},
	},
	CreateMain: func(*httpd.Config) any { return &Main{zones: map[string]*zone{}} },
	InitMain:   initMain,
}

// Main is the module's main conf: every group of the http block, explicit
// and implicit, in the order they were first named
// (ngx_http_upstream_main_conf_t).
type Main struct {
	groups []*Group
	zones  map[string]*zone
	// zoneOrder keeps zone declaration order for messages.
	zoneOrder []string
}

// Groups returns every group of the http block.
func (m *Main) Groups() []*Group { return m.groups }

// Group returns the explicit group declared as name, or nil.
func (m *Main) Group(name string) *Group {
	for _, g := range m.groups {
		if g.Explicit() && ascii.EqualFold(g.host, name) {
			return g
		}
	}
	return nil
}

// MainOf returns the module's main conf of an http block (nil when the
// module is not compiled in).
func MainOf(cf *httpd.Config) *Main {
	m, _ := cf.MainConf(&self).(*Main)
	return m
}

// setUpstream is the "upstream" block (ngx_http_upstream).
func setUpstream(c *conf.Cmd) error {
	m := c.Conf.(*Main)
	name := c.Arg(0)
	g, err := m.add(c, &URL{Text: name, Host: name, NoPort: true}, blockFlags)
	if err != nil {
		return err
	}
	g.servers = nil
	g.httpLoc = httpd.CoreLocOf(c)
	scope := &conf.Scope{
		Context: conf.HTTPUps,
		Parent:  c.Scope,
		// the http level's block data, so that httpd.ConfigOf and
		// friends work inside the block
		Data: c.Scope.Data,
		Conf: func(*conf.Directive) any { return g },
	}
	if err := c.Loader.Walk(scope, c.Block); err != nil {
		return err
	}
	if len(g.servers) == 0 {
		return c.EndErrorf("no servers are inside upstream")
	}
	return nil
}

// GroupOf returns the group whose upstream{} block a directive is read in,
// for modules adding directives to the block; nil elsewhere.
func GroupOf(c *conf.Cmd) *Group {
	if c.Scope.Context != conf.HTTPUps {
		return nil
	}
	g, _ := c.Conf.(*Group)
	return g
}

// initMain initialises every group at the end of the http block
// (ngx_http_upstream_init_main_conf, with the keepalive module's part).
func initMain(cf *httpd.Config, main any) error {
	m := main.(*Main)
	for _, g := range m.groups {
		if err := g.init(); err != nil {
			return err
		}
	}
	// idle keepalive connections go when the configuration retires (after
	// a reload, once its last client connection is gone), as an old
	// worker's do
	cf.OnRetire(func() {
		for _, g := range m.groups {
			g.pool.Close()
		}
	})
	if cf.Cycle == nil || cf.Cycle.Options == nil || !cf.Cycle.Options.Test {
		for _, g := range m.groups {
			if g.res != nil {
				g.res.log = cf.Log()
				g.startResolving()
			}
		}
	}
	for _, name := range m.zoneOrder {
		if m.zones[name].size == 0 {
			return noPos("zero size shared memory zone \"%s\"", name)
		}
	}
	return nil
}
