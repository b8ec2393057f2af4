// Package authrequest is nginx's ngx_http_auth_request_module: it
// authorizes each request by the result of a subrequest to an
// authorization endpoint, usually proxied to an auth server.
//
// The handler runs in the access phase of main requests (subrequests skip
// the phase): with auth_request uri, it makes a subrequest of uri — a GET
// with the client's request headers, Content-Length and Authorization
// included, but an empty body of its own, so nothing of a request body is
// sent to the auth server or read for it, whether or not the main request
// read its body already. The subrequest is header only: an upstream ends
// the exchange once it has the head, and nothing of the answer's body
// reaches the client. uri is used as written, arguments and all (nginx
// does not split "?args" off either). A 2xx answer allows the request; 401
// and 403 deny it with that status, a 401 carrying the auth server's
// WWW-Authenticate lines (all of them, as nginx 1.23 and later; nginx 1.22
// copied the first); any other status (a 3xx, 404, a 500 or the 502 of an
// auth server that is down) is logged at error as "auth request
// unexpected status: N" and answered 500. The status is the subrequest's
// final one: an error_page in the auth location changes it. error_page in
// the main location applies to the 401, 403 and 500 as to any other
// status, and auth_delay delays the 401. The subrequest's own location
// limits apply to it: a client_max_body_size smaller than the request's
// Content-Length answers it 413, and so the request 500, as in nginx.
//
// The access phase's handlers run in nginx's order: access (allow/deny),
// auth_basic, then auth_request. With "satisfy all" (the default) each
// must admit the request, and the first denial answers. With "satisfy any"
// the first that admits the request ends the phase — an allow rule or good
// Basic credentials admit it without an auth subrequest — and when none
// does, the request is denied with 401 if any handler said 401 (its
// WWW-Authenticate lines kept), else 403.
//
// auth_request_set $variable value evaluates value in the auth
// subrequest once it is done — $upstream_http_*, $upstream_status and the
// other $upstream_* variables are the auth server's exchange, which the
// main request's own $upstream_* never list — and sets $variable of the
// request to it, before the status is acted on, so the variables can be
// used in the main location, its logs, and the error page of a denial.
// The variable reads as not found until then. A level with no
// auth_request_set inherits its parent's list whole.
//
// A client that closes its connection while the auth server has not
// answered ends the request as nginx does: "epoll_wait() reported that
// client prematurely closed connection, so upstream connection is closed
// too" at info, with the subrequest in the context, and 499.
//
// The subrequest runs once per request: the module keeps its result in
// its request context; an internal redirect clears it (as nginx), so a
// location reached by error_page or rewrite that has auth_request asks
// again.
//
// sluice runs the subrequest synchronously on the connection's goroutine
// (nginx's NGX_HTTP_SUBREQUEST_WAITED subrequest and the handler called
// again when it is done come to the same).
//
// Directives
//
//	Syntax:  auth_request uri | off;
//	Default: auth_request off;
//	Context: http, server, location
//
//	Syntax:  auth_request_set $variable value;
//	Default: —
//	Context: http, server, location
package authrequest
