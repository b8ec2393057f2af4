package proxy

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// addVariables defines $proxy_host, $proxy_port,
// $proxy_add_x_forwarded_for, $proxy_internal_body_length and
// $proxy_internal_chunked (ngx_http_proxy_add_variables).
func addVariables(cf *httpd.Config) error {
	ctxVar := func(name string, flags httpd.VarFlags, get func(*reqCtx) (string, bool)) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: name, Flags: flags, Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			ctx := httpd.Ctx[reqCtx](r, &self)
			if ctx == nil {
				return "", false
			}
			return get(ctx)
		}})
		return err
	}
	if err := ctxVar("proxy_host", httpd.VarChangeable|httpd.VarNoCacheable, func(c *reqCtx) (string, bool) {
		return c.vars.hostHeader, true
	}); err != nil {
		return err
	}
	if err := ctxVar("proxy_port", httpd.VarChangeable|httpd.VarNoCacheable, func(c *reqCtx) (string, bool) {
		return c.vars.port, true
	}); err != nil {
		return err
	}
	if err := ctxVar("proxy_internal_body_length", httpd.VarNoCacheable, func(c *reqCtx) (string, bool) {
		if c.internalBodyLength < 0 {
			return "", false
		}
		return strconv.FormatInt(c.internalBodyLength, 10), true
	}); err != nil {
		return err
	}
	if err := ctxVar("proxy_internal_chunked", httpd.VarNoCacheable, func(c *reqCtx) (string, bool) {
		if !c.internalChunked {
			return "", false
		}
		return "chunked", true
	}); err != nil {
		return err
	}
	_, err := cf.AddVariable(&httpd.Variable{Name: "proxy_add_x_forwarded_for", Get: addXForwardedFor})
	return err
}

// addXForwardedFor is $proxy_add_x_forwarded_for: every X-Forwarded-For
// of the request, then the client address, joined with ", ".
func addXForwardedFor(r *httpd.Request, _ string, _ int) (string, bool) {
	var b strings.Builder
	for _, h := range r.In.List {
		if h.Deleted || !ascii.EqualFold(h.Key, "X-Forwarded-For") {
			continue
		}
		b.WriteString(h.Value)
		b.WriteString(", ")
	}
	if b.Len() == 0 {
		return r.RemoteAddr(), true
	}
	b.WriteString(r.RemoteAddr())
	return b.String(), true
}
