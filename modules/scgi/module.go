package scgi

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// glue is the module's handler, scgi_pass and limit_except rule.
var glue = cgiup.NewModule(&self, func(c *LocConf) *cgiup.Base { return &c.Base }, encode, "scgi://")

// Module is the scgi HTTP module (ngx_http_scgi_module).
var Module = &httpd.Module{
	Name:              "scgi",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        glue.CreateMain,
	CreateLoc:         func(*httpd.Config) any { return &LocConf{Base: cgiup.NewBase()} },
	MergeLoc:          mergeLoc,
	Postconfiguration: glue.Postconfiguration,
}

// LocConf is the scgi module's location configuration
// (ngx_http_scgi_loc_conf_t): the upstream configuration, scgi_param and
// scgi_pass.
type LocConf struct {
	cgiup.Base
}

func directives() []conf.Directive {
	acc := func(c *LocConf) *upstream.Conf { return &c.U }
	d := []conf.Directive{
		{Name: "scgi_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: glue.SetPass,
			Syntax: "scgi_pass address;",
			Doc:    "Sets the address of an SCGI server: host:port, unix:/path, an upstream group, or a value with variables."},
		{Name: "scgi_param", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take23,
			Set:    cgi.SetParam(func(c *LocConf) *cgi.Params { return &c.Params }),
			Syntax: "scgi_param parameter value [if_not_empty];",
			Doc:    "Sets a parameter that should be passed to the SCGI server; a level without scgi_param inherits its parent's."},
	}
	return append(d, cgiup.Directives("scgi_", acc)...)
}

// mergeLoc is ngx_http_scgi_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	return cgiup.Merge(cf, &p.Base, &c.Base, "scgi_", cgi.HideHeaders)
}

// encode builds the netstring (ngx_http_scgi_create_request).
func encode(dst []byte, u *upstream.Upstream, lc *LocConf, set *cgi.Set, bodyLength int64) ([]byte, error) {
	return appendHead(dst, u.R, set, lc.U.PassRequestHeaders.Get(), bodyLength), nil
}
