// Package mirror is nginx's ngx_http_mirror_module: it copies each request
// to one or more URIs as background subrequests whose responses are
// ignored.
//
// The handler runs in the precontent phase, for main requests only (an
// internal redirect to a location with mirror runs it again, as in nginx).
// With mirror_request_body on (the default) it first reads the whole
// request body, which the mirrors then send too; with off the mirrors are
// created before the body is read and see none: a proxied mirror sends the
// request's headers (Content-Length among them, unless it is reset with
// proxy_set_header) and no body, as nginx's does. Each mirror is a
// header-only background subrequest of the URI with the request's method
// and arguments; a failure to create one answers 500.
//
// Timing differs from nginx's (docs/compat.md). nginx posts the mirror
// subrequests in the precontent phase and runs them once the main
// request's content handler first waits (for its upstream, say): from then
// on they run concurrently with it and with each other, so a mirror
// backend may get its request before the main backend answered. sluice
// runs a background subrequest on the connection's goroutine once the main
// response has been sent in full: a mirror backend always gets its request
// after the main response went out. In both, the main response does not
// wait for the mirrors, and the main request's log line, the connection's
// next request and its close wait until the mirrors end.
//
// What a mirror can observe differently: when its request arrives and the
// order of several mirrors (configuration order in sluice, any order in
// nginx). Variable values are cached once for the whole request tree in
// both: a cacheable variable the main request evaluated before its content
// handler first waited (say $request_body for proxy_set_body) is cached
// for the mirror in both; one it evaluated later is cached for sluice's
// mirror and may not be yet for nginx's. Per-request values ($uri, $args,
// $request_time, $upstream_*) are the mirror's own in both. A client
// connection that fails before the main response is complete cancels
// sluice's mirrors; nginx's may already have reached their backend.
//
// Directives
//
//	Syntax:  mirror uri | off;
//	Default: mirror off;
//	Context: http, server, location
//
//	Syntax:  mirror_request_body on | off;
//	Default: mirror_request_body on;
//	Context: http, server, location
package mirror
