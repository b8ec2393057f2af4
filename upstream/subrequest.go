package upstream

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// Subrequests. An upstream module may be a subrequest's handler (SSI
// include, addition, in-memory "set"): the framework then behaves as
// nginx's does for r != r->main.
//
//   - The request body is never read from the client: a subrequest sees
//     what the main request read (httpd gives it the main request's body,
//     or none), so protocols send the same bytes they would for the main
//     request.
//   - The client connection is not watched for an early close: the
//     subrequest runs on the goroutine of the request that started it, and
//     the main request (or its own upstream's watch) owns the client side.
//     A client that went away fails the subrequest's writes instead, and
//     the whole request ends then.
//   - A 101 Switching Protocols answer cannot be relayed (the response head
//     of a subrequest is never sent): "connection upgrade in subrequest".
//   - Output goes through httpd's postpone stage: to the client in document
//     order, or into memory for an in-memory subrequest, where a body
//     larger than subrequest_output_buffer_size fails the request.

// upgradeInSubrequest refuses to tunnel an upgraded connection for a
// subrequest (ngx_http_upstream_upgrade for r != r->main); it reports
// whether it did.
func (u *Upstream) upgradeInSubrequest() (httpd.Status, bool) {
	r := u.R
	if !r.IsSubrequest() {
		return 0, false
	}
	r.Log().Logf(errlog.Error, r, nil, "connection upgrade in subrequest")
	return u.finalize(502), true
}
