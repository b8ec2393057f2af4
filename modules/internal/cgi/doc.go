// Package cgi holds what nginx's fastcgi, scgi and uwsgi modules share —
// code each of those C modules repeats — for sluice's modules/fastcgi,
// modules/scgi and modules/uwsgi:
//
//   - the X_param directive (fastcgi_param, scgi_param, uwsgi_param:
//     "KEY VALUE [if_not_empty]"), its compiled form and its inheritance
//     (Params, SetParam, Params.Merge): a level without its own params
//     inherits the whole compiled set of its parent, as
//     ngx_http_fastcgi_init_params and merge_loc_conf do; every set has
//     HTTP_HOST from $host$is_request_port$request_port unless a line sets
//     it (Defaults, nginx 1.29.5); a cache-enabled level also gets the set
//     nginx sends for cacheable requests (CacheDefaults);
//   - the HTTP_* params built from the client's request headers when
//     X_pass_request_headers is on (Set.Passes, AppendHTTPName): the name
//     upper-cased with '-' turned into '_', and a header skipped when a
//     param already sets its HTTP_ name (nginx's params hash). Headers
//     refused by underscores_in_headers / ignore_invalid_headers never
//     reach the request's header list (httpd drops them as it reads the
//     request), so they are never passed either. Headers of the same name
//     are sent once, their values joined (Set.EachHeader, FirstOfName,
//     JoinedLen, AppendJoined), as nginx 1.23 and later do;
//   - the response headers these modules hide by default (HideHeaders:
//     Status and the X-Accel-* family);
//   - the parser of a CGI response head (Head): header lines parsed with
//     http1's header-line parser and added to the upstream's HeadersIn,
//     then the status taken from "Status: 404 Not Found", else 302 when
//     there is a Location, else 200 (ngx_http_fastcgi_process_header,
//     ngx_http_scgi_process_header, ngx_http_uwsgi_process_header).
//
// How each module uses it: every module embeds a Params in its location
// conf, lists SetParam under its own directive name and calls Merge from
// its merge; its CreateRequest walks Set.Each for the params and
// r.In.List filtered by Set.Passes for the headers, and encodes them in its
// own wire format (FastCGI name-value pairs in FCGI_PARAMS records, SCGI's
// netstring of NUL-separated pairs, uwsgi's length-prefixed pairs). scgi
// and uwsgi feed the response bytes straight to Head (after an optional
// "HTTP/1.x" status line, which sets StatusN first); fastcgi first strips
// its record framing and feeds Head the FCGI_STDOUT bytes.
package cgi
