// Package cgiup is what the scgi and uwsgi modules share beyond the CGI
// helpers of package cgi: nginx's ngx_http_scgi_module and
// ngx_http_uwsgi_module repeat the same code for everything but the
// encoding of the request, and sluice writes it once here.
//
//   - Pass: the X_pass directive's target (an address, an upstream{}
//     group, unix:, or a value with variables evaluated per request), with
//     the module's optional URL schemes (uwsgi:// and suwsgi://).
//     fastcgi_pass uses it too (without schemes).
//   - Exchange: the per-request protocol part that does not depend on the
//     encoding: the response head (an HTTP status line if the server sends
//     one, else a CGI header block whose Status or Location gives the
//     status: ngx_http_scgi_process_status_line and _process_header), the
//     body length (input_filter_init), the request body streamed with
//     X_request_buffering off, reinit before a retry.
//   - Base, Module and Merge: the location conf both modules embed
//     (upstream.Conf, params, pass), the content handler
//     (ngx_http_scgi_handler: target, request body read or streamed,
//     upstream.Run with a pooled protocol value whose CreateRequest calls
//     the module's Encoder), X_pass, limit_except's handler, and the
//     merge; Directives, the framework's directives as these modules have
//     them.
//
// A module is then its directives, its merge and its Encoder.
//
// Neither protocol keeps the upstream connection alive: nginx never sets
// u->keepalive for them, so an upstream{} keepalive pool is never used.
package cgiup
