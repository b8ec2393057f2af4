package uwsgi

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// glue is the module's handler, uwsgi_pass and limit_except rule.
var glue = cgiup.NewModule(&self, func(c *LocConf) *cgiup.Base { return &c.Base }, encode, "uwsgi://",
	cgiup.Scheme{Prefix: "uwsgi://"}, cgiup.Scheme{Prefix: "suwsgi://", TLS: true})

// Module is the uwsgi HTTP module (ngx_http_uwsgi_module).
var Module = &httpd.Module{
	Name:              "uwsgi",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        glue.CreateMain,
	CreateLoc:         func(*httpd.Config) any { return &LocConf{Base: cgiup.NewBase()} },
	MergeLoc:          mergeLoc,
	Postconfiguration: glue.Postconfiguration,
}

// LocConf is the uwsgi module's location configuration
// (ngx_http_uwsgi_loc_conf_t).
type LocConf struct {
	// Base is the upstream configuration, uwsgi_param and uwsgi_pass.
	cgiup.Base
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
		{Name: "uwsgi_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: glue.SetPass,
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

// mergeLoc is ngx_http_uwsgi_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.modifier1.Inherit(p.modifier1, 0)
	c.modifier2.Inherit(p.modifier2, 0)
	c.extra.Inherit(p.extra, "")
	if err := cgiup.Merge(cf, &p.Base, &c.Base, "uwsgi_", hideHeaders); err != nil {
		return err
	}
	tc, err := upstream.MergeSSL(cf, &p.ssl, &c.ssl, "uwsgi_", c.Pass != nil && (c.Pass.TLS || c.Pass.Dynamic != nil))
	if err != nil {
		return err
	}
	if tc != nil {
		c.U.TLS = tc
	}
	return nil
}

// encode builds the packet (ngx_http_uwsgi_create_request).
func encode(dst []byte, u *upstream.Upstream, lc *LocConf, set *cgi.Set, _ int64) ([]byte, error) {
	head, size, err := appendPacket(dst, u.R, set, lc.U.PassRequestHeaders.Get(),
		byte(lc.modifier1.Get()), byte(lc.modifier2.Get()), lc.extra.Get())
	if err != nil {
		u.R.Log().Logf(errlog.Alert, u.R, nil, "uwsgi request is too big: %d", size)
	}
	return head, err
}
