package mirror

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the mirror HTTP module (ngx_http_mirror_module).
var Module = &httpd.Module{
	Name:   "mirror",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "mirror", Context: contexts, Args: conf.Take1, Set: setMirror,
			Syntax: "mirror uri | off;", Default: "mirror off;",
			Doc: "Sends a background subrequest to uri, with the request's method and arguments, for every request; the response of the subrequest is ignored. Several may be given."},
		{Name: "mirror_request_body", Context: contexts, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.RequestBody }),
			Syntax: "mirror_request_body on | off;", Default: "mirror_request_body on;",
			Doc: "With on, the request body is read before the mirror subrequests start, and they send it too."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if !c.set {
			c.uris, c.set = p.uris, p.set
		}
		c.RequestBody.Inherit(p.RequestBody, true)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Precontent, handler)
		return nil
	},
}

// LocConf is the mirror settings of one level.
type LocConf struct {
	// uris are the mirror URIs; nil with set is "mirror off".
	uris []string
	// set is true once mirror appeared at this level (or was inherited).
	set         bool
	RequestBody conf.Flag
}

// setMirror is "mirror" (ngx_http_mirror): "off" only as the level's one
// mirror directive, any number of URIs otherwise.
func setMirror(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	v := c.Arg(0)
	if v == "off" {
		if lc.set {
			return conf.ErrDuplicate
		}
		lc.set = true
		return nil
	}
	if lc.set && lc.uris == nil {
		return conf.ErrDuplicate
	}
	lc.set = true
	lc.uris = append(lc.uris, v)
	return nil
}

// handler starts the mirror subrequests of a main request
// (ngx_http_mirror_handler), after reading the body when
// mirror_request_body is on.
func handler(r *httpd.Request) httpd.Status {
	if r != r.Main {
		return httpd.Declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.uris == nil {
		return httpd.Declined
	}
	if lc.RequestBody.Get() {
		if st := r.ReadBody(); st != httpd.OK {
			return st
		}
	}
	for _, uri := range lc.uris {
		sr, st := r.Subrequest(uri, r.Args, httpd.SubrequestBackground, nil)
		if st != httpd.OK || sr == nil {
			return 500
		}
		sr.HeaderOnly = true
		sr.Method, sr.MethodBit = r.Method, r.MethodBit
	}
	return httpd.Declined
}
