package uwsgi

import (
	"sync"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// Module is the uwsgi HTTP module (ngx_http_uwsgi_module).
var Module = &httpd.Module{
	Name:              "uwsgi",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        func(*httpd.Config) any { return &cgiup.Blocks{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Postconfiguration: postconfiguration,
}

// postconfiguration gives limit_except blocks the handler of their
// location when they inherit its uwsgi_pass.
func postconfiguration(cf *httpd.Config) error {
	if b, _ := cf.MainConf(&self).(*cgiup.Blocks); b != nil {
		b.LimitExcept(handler, func(l *httpd.Location) bool {
			lc, _ := l.Conf(&self).(*LocConf)
			return lc != nil && lc.pass != nil
		})
	}
	return nil
}

// LocConf is the uwsgi module's location configuration
// (ngx_http_uwsgi_loc_conf_t).
type LocConf struct {
	// U is the shared upstream configuration (uwsgi_connect_timeout,
	// uwsgi_buffering, uwsgi_hide_header...).
	U upstream.Conf
	// Params are the uwsgi_param lines and their compiled sets.
	Params cgi.Params

	// pass is uwsgi_pass; inherited by nested blocks.
	pass *cgiup.Pass
	// modifier1 and modifier2 are the packet header's bytes;
	// extra is uwsgi_string, sent after the vars.
	modifier1, modifier2 conf.Num
	extra                conf.Str
	// ssl is the uwsgi_ssl_* directives.
	ssl upstream.SSLConf
}

// hideHeaders are the response headers uwsgi hides by default
// (ngx_http_uwsgi_hide_headers): unlike scgi and fastcgi, not Status,
// which reaches the client.
var hideHeaders = []string{"X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate",
	"X-Accel-Buffering", "X-Accel-Charset"}

func directives() []conf.Directive {
	acc := func(c *LocConf) *upstream.Conf { return &c.U }
	msl := conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	d := []conf.Directive{
		{Name: "uwsgi_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "uwsgi_pass [protocol://]address;",
			Doc:    "Sets the protocol (uwsgi, or suwsgi over TLS) and address of a uwsgi server: host:port, unix:/path, an upstream group, or a value with variables."},
		{Name: "uwsgi_param", Context: msl, Args: conf.Take23,
			Set:    cgi.SetParam(func(c *LocConf) *cgi.Params { return &c.Params }),
			Syntax: "uwsgi_param parameter value [if_not_empty];",
			Doc:    "Sets a parameter that should be passed to the uwsgi server; a level without uwsgi_param inherits its parent's."},
		{Name: "uwsgi_modifier1", Context: msl, Args: conf.Take1, Set: setModifier(func(c *LocConf) *conf.Num { return &c.modifier1 }),
			Syntax: "uwsgi_modifier1 number;", Default: "uwsgi_modifier1 0;",
			Doc: "Sets the value of the modifier1 field in the uwsgi packet header."},
		{Name: "uwsgi_modifier2", Context: msl, Args: conf.Take1, Set: setModifier(func(c *LocConf) *conf.Num { return &c.modifier2 }),
			Syntax: "uwsgi_modifier2 number;", Default: "uwsgi_modifier2 0;",
			Doc: "Sets the value of the modifier2 field in the uwsgi packet header."},
		{Name: "uwsgi_string", Context: msl, Args: conf.Take1,
			Set:    conf.SetStr(func(c *LocConf) *conf.Str { return &c.extra }),
			Syntax: "uwsgi_string string;",
			Doc:    "Undocumented in nginx: bytes appended as they are after the packet's vars (counted in its size)."},
	}
	d = append(d, cgiup.Directives("uwsgi_", acc)...)
	for _, s := range upstream.SSLDirectives("uwsgi_", "uwsgi server", func(c *LocConf) *upstream.SSLConf { return &c.ssl }) {
		if s.Name == "uwsgi_ssl_name" {
			s.Default = "uwsgi_ssl_name host from uwsgi_pass;"
		}
		d = append(d, s)
	}
	return d
}

// setModifier is uwsgi_modifier1 and uwsgi_modifier2: a number from 0 to
// 255.
func setModifier(get func(*LocConf) *conf.Num) func(*conf.Cmd) error {
	set := conf.SetNum(get)
	return func(c *conf.Cmd) error {
		if err := set(c); err != nil {
			return err
		}
		return conf.CheckBounds(c, int64(get(c.Conf.(*LocConf)).Get()), 0, 255)
	}
}

// setPass is uwsgi_pass (ngx_http_uwsgi_pass).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.pass != nil {
		return conf.ErrDuplicate
	}
	p, err := cgiup.ParsePass(c, handler, "uwsgi://",
		cgiup.Scheme{Prefix: "uwsgi://"}, cgiup.Scheme{Prefix: "suwsgi://", TLS: true})
	if err != nil {
		return err
	}
	lc.pass = p
	httpd.ConfigOf(c).MainConf(&self).(*cgiup.Blocks).Add(c)
	return nil
}

// mergeLoc is ngx_http_uwsgi_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.pass == nil {
		c.pass = p.pass
	}
	c.modifier1.Inherit(p.modifier1, 0)
	c.modifier2.Inherit(p.modifier2, 0)
	c.extra.Inherit(p.extra, "")
	if err := cgiup.Merge(cf, &p.U, &c.U, &p.Params, &c.Params, "uwsgi_", hideHeaders); err != nil {
		return err
	}
	tc, err := upstream.MergeSSL(cf, &p.ssl, &c.ssl, "uwsgi_", c.pass != nil && (c.pass.TLS || c.pass.Dynamic != nil))
	if err != nil {
		return err
	}
	if tc != nil {
		c.U.TLS = tc
	}
	return nil
}

// handler is the content handler uwsgi_pass installs
// (ngx_http_uwsgi_handler).
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

// proto is one request's uwsgi exchange: the upstream.Protocol.
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

// CreateRequest builds the packet and queues it with the body
// (ngx_http_uwsgi_create_request).
func (p *proto) CreateRequest(u *upstream.Upstream) error {
	r, lc := u.R, p.lc
	set := lc.Params.Set
	if u.Cacheable() {
		set = lc.Params.CacheSet
	}
	head, size, err := appendPacket(p.head[:0], r, set, lc.U.PassRequestHeaders.Get(),
		byte(lc.modifier1.Get()), byte(lc.modifier2.Get()), lc.extra.Get())
	p.head = head
	if err != nil {
		r.Log().Logf(errlog.Alert, r, nil, "uwsgi request is too big: %d", size)
		return err
	}
	p.Send(u, p.head)
	return nil
}
