// Package headers is nginx's ngx_http_headers_filter_module: "add_header",
// "add_trailer", "expires" and their inheritance switches
// "add_header_inherit" and "add_trailer_inherit".
//
// A header filter adds the configured fields to responses with status 200,
// 201, 204, 206, 301, 302, 303, 304, 307 or 308, and to every response for
// fields marked "always". Values may hold variables; a value that is empty
// adds nothing. A few names are special, as in nginx: Cache-Control and Link
// lines join the response's own lines of that name (so $sent_http_* sees
// them all); Last-Modified and ETag replace the response's field, and an
// empty value removes it (an empty Last-Modified also drops the time a file
// handler set).
//
// "expires" sets Expires and Cache-Control (max-age, or no-cache for a
// time in the past) from the time of the request, from the response's
// Last-Modified ("modified"), or at a time of day ("@15h30m"); "epoch" and
// "max" give nginx's fixed values. It replaces Expires and the first
// Cache-Control line and removes other Cache-Control lines.
//
// Trailers are evaluated when the last body piece goes out and appended
// to the response's trailers; a response that will carry them is sent
// chunked (HTTP/1.1), as nginx does.
//
// A level with none of its own inherits its parent's add_header (and
// add_trailer) list; "add_header_inherit merge" appends the parent's list to
// the level's own, "off" inherits nothing.
//
// Directives
//
//	Syntax:  add_header name value [always];
//	Context: http, server, location, if in location
//
//	Syntax:  add_trailer name value [always];
//	Context: http, server, location, if in location
//
//	Syntax:  expires [modified] time;
//	         expires epoch | max | off;
//	Default: expires off;
//	Context: http, server, location, if in location
//
//	Syntax:  add_header_inherit on | off | merge;
//	Default: add_header_inherit on;
//	Context: http, server, location, if in location
//
//	Syntax:  add_trailer_inherit on | off | merge;
//	Default: add_trailer_inherit on;
//	Context: http, server, location, if in location
package headers
