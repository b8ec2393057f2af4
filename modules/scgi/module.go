package scgi

import (
	"sync"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// Module is the scgi HTTP module (ngx_http_scgi_module).
var Module = &httpd.Module{
	Name:              "scgi",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        func(*httpd.Config) any { return &cgiup.Blocks{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Postconfiguration: postconfiguration,
}

// postconfiguration gives limit_except blocks the handler of their
// location when they inherit its scgi_pass.
func postconfiguration(cf *httpd.Config) error {
	if b, _ := cf.MainConf(&self).(*cgiup.Blocks); b != nil {
		b.LimitExcept(handler, func(l *httpd.Location) bool {
			lc, _ := l.Conf(&self).(*LocConf)
			return lc != nil && lc.pass != nil
		})
	}
	return nil
}

// LocConf is the scgi module's location configuration
// (ngx_http_scgi_loc_conf_t).
type LocConf struct {
	// U is the shared upstream configuration (scgi_connect_timeout,
	// scgi_buffering, scgi_hide_header...).
	U upstream.Conf
	// Params are the scgi_param lines and their compiled sets.
	Params cgi.Params

	// pass is scgi_pass; inherited by nested blocks.
	pass *cgiup.Pass
}

func directives() []conf.Directive {
	acc := func(c *LocConf) *upstream.Conf { return &c.U }
	d := []conf.Directive{
		{Name: "scgi_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "scgi_pass address;",
			Doc:    "Sets the address of an SCGI server: host:port, unix:/path, an upstream group, or a value with variables."},
		{Name: "scgi_param", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take23,
			Set:    cgi.SetParam(func(c *LocConf) *cgi.Params { return &c.Params }),
			Syntax: "scgi_param parameter value [if_not_empty];",
			Doc:    "Sets a parameter that should be passed to the SCGI server; a level without scgi_param inherits its parent's."},
	}
	return append(d, cgiup.Directives("scgi_", acc)...)
}

// setPass is scgi_pass (ngx_http_scgi_pass).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.pass != nil {
		return conf.ErrDuplicate
	}
	p, err := cgiup.ParsePass(c, handler, "scgi://")
	if err != nil {
		return err
	}
	lc.pass = p
	httpd.ConfigOf(c).MainConf(&self).(*cgiup.Blocks).Add(c)
	return nil
}

// mergeLoc is ngx_http_scgi_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.pass == nil {
		c.pass = p.pass
	}
	return cgiup.Merge(cf, &p.U, &c.U, &p.Params, &c.Params, "scgi_", cgi.HideHeaders)
}

// handler is the content handler scgi_pass installs
// (ngx_http_scgi_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.pass == nil {
		return 500
	}
	p := protoPool.Get().(*proto)
	p.lc = lc
	r.ReleaseAtEnd(p)
	return cgiup.Serve(r, &lc.U, lc.pass, &p.Exchange, p)
}

// proto is one request's SCGI exchange: the upstream.Protocol.
type proto struct {
	cgiup.Exchange
	lc   *LocConf
	head []byte
}

var protoPool = sync.Pool{New: func() any { return &proto{head: make([]byte, 0, 2048)} }}

// Release returns the protocol value to the pool when the request ends.
func (p *proto) Release() {
	head := p.head[:0]
	if cap(head) > 64<<10 {
		head = make([]byte, 0, 2048)
	}
	*p = proto{head: head}
	protoPool.Put(p)
}

// CreateRequest builds the netstring and queues it with the body
// (ngx_http_scgi_create_request).
func (p *proto) CreateRequest(u *upstream.Upstream) error {
	r := u.R
	set := p.lc.Params.Set
	if u.Cacheable() {
		set = p.lc.Params.CacheSet
	}
	p.head = appendHead(p.head[:0], r, set, p.lc.U.PassRequestHeaders.Get(), p.BodyLength(r))
	p.Send(u, p.head)
	return nil
}
