package authrequest

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the auth_request HTTP module (ngx_http_auth_request_module).
var Module = &httpd.Module{
	Name:   "auth_request",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "auth_request", Context: contexts, Args: conf.Take1, Set: setURI,
			Syntax: "auth_request uri | off;", Default: "auth_request off;",
			Doc: "Allows the request when a subrequest to uri (the body not sent, the answer's body discarded) answers 2xx; " +
				"401 and 403 deny with that status (401 with the subrequest's WWW-Authenticate), any other status is a 500 " +
				"(\"auth request unexpected status\")."},
		{Name: "auth_request_set", Context: contexts, Args: conf.Take2, Set: setVariable,
			Syntax: "auth_request_set $variable value;",
			Doc: "Sets $variable of the request to value evaluated in the auth subrequest once it is done " +
				"(so $upstream_http_* are the auth server's)."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if !c.uriSet {
			c.uri, c.uriSet = p.uri, p.uriSet
		}
		if !c.varsSet {
			c.vars, c.varsSet = p.vars, p.varsSet
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Access, handler)
		return nil
	},
}

// LocConf is the auth_request settings of one level.
type LocConf struct {
	// uri is the subrequest's URI, "" with auth_request off.
	uri    string
	uriSet bool
	// vars are the level's auth_request_set directives; a level without
	// one inherits its parent's list whole (ngx_conf_merge_ptr_value).
	vars    []setVar
	varsSet bool
}

// setVar is one auth_request_set.
type setVar struct {
	index int
	value *httpd.Complex
}

// setURI is "auth_request" (ngx_http_auth_request).
func setURI(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.uriSet {
		return conf.ErrDuplicate
	}
	lc.uriSet = true
	if v := c.Arg(0); v != "off" {
		lc.uri = v
	}
	return nil
}

// setVariable is "auth_request_set" (ngx_http_auth_request_set).
func setVariable(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	name := c.Arg(0)
	if name == "" || name[0] != '$' {
		return c.Errorf("invalid variable name \"%s\"", name)
	}
	name = name[1:]
	if name == "" {
		return c.Errorf("invalid variable name \"$\"")
	}
	cf := httpd.ConfigOf(c)
	v, err := cf.AddVariable(&httpd.Variable{Name: name, Flags: httpd.VarChangeable})
	if err != nil {
		return c.Errorf("%s", err)
	}
	if v.Get == nil {
		// not found until the auth subrequest set it
		// (ngx_http_auth_request_variable)
		v.Get = notFound
	}
	x, err := cf.Compile(c, c.Arg(1))
	if err != nil {
		return err
	}
	lc.varsSet = true
	lc.vars = append(lc.vars, setVar{index: cf.VariableIndex(name), value: x})
	return nil
}

func notFound(*httpd.Request, string, int) (string, bool) { return "", false }

// reqCtx is the module's per-request state: the auth subrequest runs once
// per request (until an internal redirect clears the contexts, as nginx's
// ngx_http_internal_redirect does).
type reqCtx struct {
	done   bool
	status int
	sr     *httpd.Request
}

// handler is the access-phase handler (ngx_http_auth_request_handler).
// The subrequest is a header-only GET of the configured URI with the
// client's headers and an empty body of its own; sluice runs it to its end
// before Subrequest returns, where nginx returns NGX_AGAIN and is called
// again once the subrequest's post handler marked the context done.
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.uri == "" {
		return httpd.Declined
	}
	ctx := httpd.Ctx[reqCtx](r, &self)
	if ctx == nil {
		ctx = &reqCtx{}
		httpd.SetCtx(r, &self, ctx)
		sr, rc := r.Subrequest(lc.uri, "",
			httpd.SubrequestWaited|httpd.SubrequestHeaderOnly|httpd.SubrequestNoBody,
			func(sr *httpd.Request, rc httpd.Status) httpd.Status {
				// ngx_http_auth_request_done: it may run twice, the
				// second time with the status of the special response
				ctx.done = true
				ctx.status = sr.Out.Status
				return rc
			})
		if rc != httpd.OK {
			return httpd.Error
		}
		ctx.sr = sr
		if !ctx.done {
			// the subrequest ended without a final status of its own
			// (nginx would still be waiting for it): take its head's
			ctx.done, ctx.status = true, sr.Out.Status
		}
	}
	if !ctx.done {
		return httpd.Again
	}

	// set the variables explicitly, so that they survive internal
	// redirects
	for _, v := range lc.vars {
		r.SetVar(v.index, v.value.Eval(ctx.sr))
	}

	switch st := ctx.status; {
	case st == 403:
		return 403
	case st == 401:
		copyWWWAuthenticate(r, ctx.sr)
		return 401
	case st >= 200 && st < 300:
		return httpd.OK
	default:
		r.Log().Logf(errlog.Error, r, nil, "auth request unexpected status: %d", st)
		return 500
	}
}

// copyWWWAuthenticate gives the main response every WWW-Authenticate line
// of the auth subrequest's answer. nginx takes the subrequest's
// headers_out.www_authenticate, else its upstream's: with a proxied auth
// server both are the upstream's lines (its headers_out list is set only
// when proxy_intercept_errors passed a 401 on, from the same lines), so
// sluice reads the upstream's head when there is one, even the lines
// proxy_hide_header kept from the subrequest's response, as nginx does.
// nginx before 1.23 copied the first line only.
func copyWWWAuthenticate(r, sr *httpd.Request) {
	first := -1
	add := func(k, v string) {
		i := r.Out.Add(k, v)
		if first < 0 {
			first = i
		}
	}
	if u, ok := sr.Upstream.(*upstream.Upstream); ok && u != nil {
		for _, h := range u.HeadersIn.List {
			if !h.Deleted && ascii.EqualFold(h.Key, "WWW-Authenticate") {
				add(h.Key, h.Value)
			}
		}
	} else if i := sr.Out.WWWAuthenticate; i >= 0 {
		for _, h := range sr.Out.List[i:] {
			if !h.Deleted && ascii.EqualFold(h.Key, "WWW-Authenticate") {
				add(h.Key, h.Value)
			}
		}
	}
	if first >= 0 {
		r.Out.WWWAuthenticate = first
	}
}
