package httpd

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
)

// Config is one http block, built while the configuration is read and
// immutable afterwards; requests hold the Config they started with, so a
// reload never changes a request in flight.
type Config struct {
	// Cycle is the configuration this http block belongs to.
	Cycle *core.Cycle
	// Servers are the server blocks in order.
	Servers []*Server

	present bool
	// loader reads the configuration; Warnf logs with it.
	loader  *conf.Loader
	modules []*Module
	owner   map[*conf.Directive]*Module
	main    confs
	// root holds the http-level server and location confs, parents of
	// every server block.
	root *Server

	phases  phaseEngine
	filters filters
	vars    *varRegistry

	sockets []*core.Socket
	addrs   []*addrConf

	// merging is the server whose confs are being merged (nginx's cf->ctx
	// during ngx_http_merge_servers), nil otherwise.
	merging *Server
	// http is the http block's directive while the block is finished
	// (merge, postconfiguration), for EndWarnf.
	http *conf.Cmd

	// retire are the OnRetire functions.
	retire []func()
	// conns tracks live connections for Drain.
	connMu   sync.Mutex
	conns    map[*conn]struct{}
	draining bool
	drained  chan struct{}

	// sslEnabled: the ssl module is compiled in ("listen ... ssl")
	sslEnabled bool

	// regexCaptures is the largest number of captures any regex of the
	// configuration has, sizing per-request capture storage.
	regexCaptures int
}

// Server is one server block.
type Server struct {
	confs confs
	// Loc is the server-level location conf, root of the location tree.
	Loc *Location
	// Names are the server_name entries, the first being the primary name.
	Names []*serverName
	// Named are the "@name" locations.
	Named map[string]*Location
	// Listens are the listen directives of this server.
	Listens []*Listen
	// tls is the server's TLS settings (the ssl module's SetTLS)
	tls  *ServerTLS
	cfg  *Config
	file string
	line int
}

// Config returns the http block the server belongs to.
func (s *Server) Config() *Config { return s.cfg }

// Conf returns module m's server conf.
func (s *Server) Conf(m Keyed) any { return s.confs.get(m) }

// CoreSrv returns the core module's server conf.
func (s *Server) CoreSrv() *CoreSrvConf { return s.confs.get(s.cfg.modules[0]).(*CoreSrvConf) }

// MainConf returns module m's main conf.
func (cf *Config) MainConf(m Keyed) any { return cf.main.get(m) }

// block is the Scope.Data of every block inside http: where confs of each
// level go for the directives read there.
type block struct {
	cf  *Config
	srv *Server
	loc *Location
}

// scope returns a conf scope for statements of a block of context ctx.
func (cf *Config) scope(ctx conf.Context, b *block, parent *conf.Scope) *conf.Scope {
	return &conf.Scope{
		Context: ctx,
		Parent:  parent,
		Data:    b,
		Conf: func(d *conf.Directive) any {
			m := cf.owner[d]
			if m == nil {
				return nil
			}
			switch d.Level {
			case MainLevel:
				return cf.main.get(m)
			case SrvLevel:
				return b.srv.confs.get(m)
			default:
				return b.loc.confs.get(m)
			}
		},
	}
}

// BlockOf returns the server and location a directive is read in (the
// location is the server-level one for server-level directives, and the
// http-level one in http context).
func BlockOf(c *conf.Cmd) (*Config, *Server, *Location) {
	b := c.Scope.Data.(*block)
	return b.cf, b.srv, b.loc
}

// ConfigOf returns the http block a directive is read in.
func ConfigOf(c *conf.Cmd) *Config { return c.Scope.Data.(*block).cf }

// newLocConfs creates every module's location conf.
func (cf *Config) newLocConfs() confs {
	var c confs
	for _, m := range cf.modules {
		if m.CreateLoc != nil {
			c.set(m, m.CreateLoc(cf))
		}
	}
	return c
}

func (cf *Config) newSrvConfs() confs {
	var c confs
	for _, m := range cf.modules {
		if m.CreateSrv != nil {
			c.set(m, m.CreateSrv(cf))
		}
	}
	return c
}

// New returns the top-level module of the http block with the given HTTP
// modules (the core HTTP module is always first).
func New(modules ...*Module) *core.Module {
	all := append([]*Module{Core}, modules...)
	owner := map[*conf.Directive]*Module{}
	for _, m := range all {
		for i := range m.Directives {
			owner[&m.Directives[i]] = m
		}
	}
	dirs := []conf.Directive{{
		Name: "http", Context: conf.Main, Args: conf.Block | conf.NoArgs,
		Syntax: "http { ... }", Doc: "The HTTP server configuration.",
		Set: func(c *conf.Cmd) error { return c.Conf.(*Config).readHTTP(c) },
	}}
	m := &core.Module{Name: "http", Directives: dirs, Nested: tables(all)}
	m.Create = func(cy *core.Cycle) any {
		return &Config{Cycle: cy, modules: all, owner: owner}
	}
	m.Init = func(cy *core.Cycle, c any) error { return nil }
	return m
}

// tables lists the modules' directive tables.
func tables(modules []*Module) [][]conf.Directive {
	var t [][]conf.Directive
	for _, m := range modules {
		t = append(t, m.Directives)
	}
	return t
}

// readHTTP is the "http" block (ngx_http_block).
func (cf *Config) readHTTP(c *conf.Cmd) error {
	if cf.present {
		return conf.ErrDuplicate
	}
	cf.present = true
	cf.loader = c.Loader
	cf.vars = newVarRegistry()
	cf.conns = map[*conn]struct{}{}
	for _, m := range cf.modules {
		if m.CreateMain != nil {
			cf.main.set(m, m.CreateMain(cf))
		}
	}
	cf.root = &Server{cfg: cf, confs: cf.newSrvConfs(), Named: map[string]*Location{}}
	cf.root.Loc = &Location{cfg: cf, srv: cf.root, confs: cf.newLocConfs(), Kind: LocRoot}
	cf.root.Loc.bindCore()
	for _, m := range cf.modules {
		if m.Preconfiguration != nil {
			if err := m.Preconfiguration(cf); err != nil {
				if _, ok := err.(*conf.Error); ok {
					return err
				}
				return c.Errorf("%s", err)
			}
		}
	}
	b := &block{cf: cf, srv: cf.root, loc: cf.root.Loc}
	if err := c.Loader.Walk(cf.scope(conf.HTTPMain, b, c.Scope), c.Block); err != nil {
		return err
	}
	if err := cf.finish(c); err != nil {
		return positioned(c, err)
	}
	return nil
}

// positioned places an error found after the http block was read at its
// closing brace, as nginx reports merge errors.
func positioned(c *conf.Cmd, err error) error {
	if _, ok := err.(*conf.Error); ok {
		return err
	}
	return c.EndErrorf("%s", err)
}

// finish runs after the http block was read: init main confs, merge every
// server and location, build location trees, postconfiguration, phases and
// listening addresses (the second half of ngx_http_block).
func (cf *Config) finish(c *conf.Cmd) error {
	cf.http = c
	defer func() { cf.http = nil }()
	for _, m := range cf.modules {
		if m.InitMain != nil {
			if err := m.InitMain(cf, cf.main.get(m)); err != nil {
				return err
			}
		}
	}
	for _, s := range cf.Servers {
		cf.merging = s
		for _, m := range cf.modules {
			if m.MergeSrv != nil {
				if err := m.MergeSrv(cf, cf.root.confs.get(m), s.confs.get(m)); err != nil {
					return err
				}
			}
			if m.MergeLoc != nil {
				if err := m.MergeLoc(cf, cf.root.Loc.confs.get(m), s.Loc.confs.get(m)); err != nil {
					return err
				}
			}
		}
		if err := cf.mergeLocations(s.Loc); err != nil {
			return err
		}
	}
	cf.merging = nil
	for _, s := range cf.Servers {
		if err := s.Loc.buildTree(); err != nil {
			return err
		}
	}
	for _, m := range cf.modules {
		if m.Postconfiguration != nil {
			if err := m.Postconfiguration(cf); err != nil {
				return err
			}
		}
	}
	if err := cf.vars.check(); err != nil {
		return err
	}
	cf.phases.build(cf)
	return cf.buildAddrs()
}

// mergeLocations merges a location's confs into each nested location
// (including if and limit_except blocks), recursively.
func (cf *Config) mergeLocations(parent *Location) error {
	for _, l := range parent.children {
		for _, m := range cf.modules {
			if m.MergeLoc != nil {
				if err := m.MergeLoc(cf, parent.confs.get(m), l.confs.get(m)); err != nil {
					return err
				}
			}
		}
		if err := cf.mergeLocations(l); err != nil {
			return err
		}
	}
	return nil
}

// Sockets implements core.Service.
func (cf *Config) Sockets() []*core.Socket {
	if cf == nil || !cf.present {
		return nil
	}
	return cf.sockets
}

// Drain implements core.Service: every connection of this configuration
// finishes its current request and closes; idle ones close at once.
func (cf *Config) Drain(ctx context.Context) {
	if cf == nil || !cf.present {
		return
	}
	cf.connMu.Lock()
	cf.draining = true
	if cf.drained == nil {
		cf.drained = make(chan struct{})
	}
	for c := range cf.conns {
		c.drain()
	}
	empty := len(cf.conns) == 0
	done := cf.drained
	cf.connMu.Unlock()
	defer cf.retired()
	if empty {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		cf.connMu.Lock()
		for c := range cf.conns {
			c.abort()
		}
		cf.connMu.Unlock()
		// aborted connections end at once; one that does not (a request
		// stuck in a module) is not waited for long, as nginx's master
		// kills workers that ignore a fast stop
		select {
		case <-done:
		case <-time.After(abortWait):
			cf.Log().Logf(errlog.Alert, nil, nil, "connections still active %v after being aborted, not waited for", abortWait)
		}
	}
}

// abortWait bounds the wait for aborted connections to end.
const abortWait = 3 * time.Second

// OnRetire registers f to run once the configuration is retired: after a
// reload or stop, when its last connection is gone. Modules release what
// lives as long as the configuration there (idle upstream keepalive
// connections, resolver timers). Call it while the configuration loads.
func (cf *Config) OnRetire(f func()) {
	cf.connMu.Lock()
	cf.retire = append(cf.retire, f)
	cf.connMu.Unlock()
}

// retired runs the OnRetire functions, once.
func (cf *Config) retired() {
	cf.connMu.Lock()
	fs := cf.retire
	cf.retire = nil
	cf.connMu.Unlock()
	for _, f := range fs {
		f()
	}
}

func (cf *Config) track(c *conn) bool {
	cf.connMu.Lock()
	defer cf.connMu.Unlock()
	if cf.draining {
		return false
	}
	cf.conns[c] = struct{}{}
	return true
}

func (cf *Config) untrack(c *conn) {
	cf.connMu.Lock()
	delete(cf.conns, c)
	if cf.draining && len(cf.conns) == 0 && cf.drained != nil {
		select {
		case <-cf.drained:
		default:
			close(cf.drained)
		}
	}
	cf.connMu.Unlock()
}

// Log returns the http block's main error log.
func (cf *Config) Log() *errlog.Log { return cf.Cycle.Log }

// Warnf logs a configuration warning without a position, where the
// directives' warnings go (the startup log, nginx's cf->log: -e or
// stderr): the cycle's own log has no destination while it loads.
func (cf *Config) Warnf(format string, args ...any) {
	if cf.loader != nil {
		cf.loader.Warnf("%s", fmt.Sprintf(format, args...))
		return
	}
	cf.Cycle.Log.Logf(errlog.Warn, nil, nil, "%s", fmt.Sprintf(format, args...))
}

// EndWarnf logs a [warn] line at the http block's closing brace, as
// nginx's merge-time warnings (ngx_conf_log_error) are positioned; outside
// the merge, without a position (Warnf).
func (cf *Config) EndWarnf(format string, args ...any) {
	if cf.http == nil {
		cf.Warnf(format, args...)
		return
	}
	cf.http.EndWarnf(format, args...)
}

// MergingServer returns the server block whose server and location confs
// are being merged, for a MergeSrv or MergeLoc that needs the server's
// core settings (nginx's ngx_http_conf_get_module_srv_conf during the
// merge); nil outside the merge.
func (cf *Config) MergingServer() *Server { return cf.merging }
