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
//   - The client connection is watched for an early close as for a main
//     request (a client gone ends the subrequest with 499, and the whole
//     request with it, as nginx's check_broken_connection on the shared
//     connection), unless the upstream of another request of the tree
//     (the main request relaying a body SSI includes into) watches it
//     already, or the subrequest runs in the background. A client that
//     went away also fails the subrequest's writes.
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
