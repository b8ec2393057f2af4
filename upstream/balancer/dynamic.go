package balancer

import (
	"context"
	"errors"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
)

// Dynamic finds the target of a pass directive with variables once its
// URL is evaluated for the request (ngx_http_upstream_init_request with
// u->resolved): an address literal, a known upstream (explicit or
// implicit), or a name resolved now with the location's resolver. It
// returns the target, or the status to end the request with (logged as
// nginx logs it; 499 when the client went away during resolution).
func Dynamic(r *httpd.Request, u *URL) (upstream.Target, httpd.Status) {
	if len(u.Addrs) > 0 {
		return NewResolved(u.Host, u.Addrs[:1]), 0
	}
	if g := Find(r, u.Host, u.Port, u.NoPort); g != nil {
		return g, 0
	}
	cl := r.CoreLoc()
	res := cl.Resolver.Get()
	if res == nil || len(res.Servers) == 0 {
		r.Log().Logf(errlog.Error, r, nil, "no resolver defined to resolve %s", u.Host)
		return nil, 502
	}
	// the resolution ends with the client connection (a fast shutdown
	// aborts it) or at resolver_timeout
	rctx := r.Context()
	if d := cl.ResolverTimeout.Get(); d > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(rctx, d)
		defer cancel()
	}
	ips, err := res.Resolve(rctx, u.Host)
	if err != nil && r.Context().Err() != nil {
		// the connection is gone: nobody to answer, nothing to log
		return nil, httpd.StatusClientClosedRequest
	}
	if err != nil {
		code, text := 110, "Operation timed out"
		var re *httpd.ResolveError
		if errors.As(err, &re) {
			code, text = re.Code, re.Text
		}
		// nginx's resolver lowercases the name in place before logging it
		r.Log().Logf(errlog.Error, r, nil, "%s could not be resolved (%d: %s)", ascii.ToLower(u.Host), code, text)
		return nil, 502
	}
	addrs := make([]Addr, 0, len(ips))
	for _, ip := range ips {
		addrs = append(addrs, AddrOf(ip.Unmap(), u.Port))
	}
	return NewResolved(u.Host, addrs), 0
}
