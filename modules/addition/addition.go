// Package addition is nginx's addition filter
// (ngx_http_addition_filter_module): it adds the responses of other
// locations before and after a response's body.
//
//	location / {
//	    add_before_body /before_action;
//	    add_after_body  /after_action;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  add_before_body uri;
//	Default: —
//	Context: http, server, location
//
// Adds the text returned by a subrequest to uri before the response body.
// An empty value ("") cancels an inherited one.
//
//	Syntax:  add_after_body uri;
//	Default: —
//	Context: http, server, location
//
// Adds the text returned by a subrequest to uri after the response body.
//
//	Syntax:  addition_types mime-type ...;
//	Default: addition_types text/html;
//	Context: http, server, location
//
// Processes responses with these MIME types in addition to text/html; "*"
// matches any.
//
// Only main responses with status 200 are extended; the additions are
// subrequests (see package httpd), so their own response heads are never
// sent, and the response loses its Content-Length and Accept-Ranges, and
// its ETag becomes weak. The subrequests run synchronously, in document
// order: the before-body one when the body starts, the after-body one when
// the body ends.
package addition

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// order puts the filter before the SSI filter, as in nginx's filter list
// (an SSI page's additions are processed by SSI too).
const order = 40

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the addition filter module.
var Module = &httpd.Module{
	Name:   "addition",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "add_before_body", Context: locContexts, Args: conf.Take1, Syntax: "add_before_body uri;",
			Doc: "Adds the response to a subrequest to uri before the body.",
			Set: conf.SetStr(func(c *LocConf) *conf.Str { return &c.Before })},
		{Name: "add_after_body", Context: locContexts, Args: conf.Take1, Syntax: "add_after_body uri;",
			Doc: "Adds the response to a subrequest to uri after the body.",
			Set: conf.SetStr(func(c *LocConf) *conf.Str { return &c.After })},
		{Name: "addition_types", Context: locContexts, Args: conf.OneMore,
			Syntax: "addition_types mime-type ...;", Default: "addition_types text/html;",
			Doc: "MIME types extended in addition to text/html; \"*\" matches any.",
			Set: httpd.SetTypes(func(c *LocConf) *httpd.Types { return &c.Types }, "text/html")},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Before.Inherit(p.Before, "")
		c.After.Inherit(p.After, "")
		c.Types.Inherit(&p.Types, "text/html")
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// LocConf is the module's location configuration.
type LocConf struct {
	Before, After conf.Str
	Types         httpd.Types
}

// ctx marks a response being extended.
type ctx struct {
	beforeSent bool
}

// headerFilter decides whether the response is extended
// (ngx_http_addition_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	if r.Out.Status != 200 || r.IsSubrequest() {
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc.Before.Get() == "" && lc.After.Get() == "" || !lc.Types.Match(r) {
		return httpd.OK
	}
	httpd.SetCtx(r, &self, &ctx{})
	r.Out.ClearContentLength()
	r.Out.ClearAcceptRanges()
	r.WeakETag()
	return httpd.OK
}

// bodyFilter runs the additions (ngx_http_addition_body_filter).
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	if r.HeaderOnly || len(c.Pieces) == 0 && !c.Last && !c.Flush {
		return httpd.OK
	}
	x := httpd.Ctx[ctx](r, &self)
	if x == nil {
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if !x.beforeSent {
		x.beforeSent = true
		if uri := lc.Before.Get(); uri != "" {
			if _, rc := r.Subrequest(uri, "", 0, nil); rc != httpd.OK {
				return httpd.Error
			}
		}
	}
	after := lc.After.Get()
	if after == "" {
		httpd.SetCtx[ctx](r, &self, nil)
		return httpd.OK
	}
	if !c.Last {
		return httpd.OK
	}
	// the body goes first, then the addition, then the end of the response
	if rc := r.PassBodyOn(order, c); rc != httpd.OK {
		return rc
	}
	if _, rc := r.Subrequest(after, "", 0, nil); rc != httpd.OK {
		return httpd.Error
	}
	httpd.SetCtx[ctx](r, &self, nil)
	c.Reset()
	c.Last = true
	return httpd.OK
}
