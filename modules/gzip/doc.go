// Package gzip is nginx's gzip filter (ngx_http_gzip_filter_module): it
// compresses responses with gzip for clients that accept it, which often
// cuts the size of text by half or more.
//
//	gzip            on;
//	gzip_min_length 1000;
//	gzip_proxied    expired no-cache no-store private auth;
//	gzip_types      text/plain application/xml;
//
// A response is compressed when gzip is on for its location, its status is
// 200, 403 or 404, it has no Content-Encoding yet, its Content-Length (when
// known) is at least gzip_min_length, its type is text/html or one of
// gzip_types, and the client may have it (see OK): the request is the main
// one, its Accept-Encoding lists gzip with a non-zero quality, its HTTP
// version is at least gzip_http_version, gzip_proxied allows it when the
// request has a Via header, and gzip_disable does not match its
// User-Agent. The compressed response has "Content-Encoding: gzip", no
// Content-Length (HTTP/1.1 clients get it chunked, HTTP/1.0 ones until the
// connection closes), no Accept-Ranges (so it is never cut into ranges),
// and its ETag becomes weak ("W/" added). A response to HEAD gets the
// same head. With gzip_vary on, every response that passes the tests on
// the response (whether or not the request allows gzip) has "Vary:
// Accept-Encoding". $gzip_ratio is the ratio of the body's size to its
// compressed size ("3.27"), once the compression is complete.
//
// The body is compressed as it goes through the filters: a flush (as
// proxy_buffering off asks for each read) sends what is compressed so far
// with a sync flush, so the client can decompress it; otherwise output
// goes in units of gzip_buffers. The compressor is Go's compress/flate, so
// the compressed bytes differ from nginx's zlib (the decompressed body is
// the same); see docs/compat.md.
//
// Directives (as nginx.org documents them):
//
//	Syntax:  gzip on | off;
//	Default: gzip off;
//	Context: http, server, location, if in location
//
// Enables or disables gzipping of responses.
//
//	Syntax:  gzip_buffers number size;
//	Default: gzip_buffers 32 4k|16 8k;
//	Context: http, server, location
//
// Sets the number and size of buffers used to compress a response. By
// default the buffer size is one memory page.
//
//	Syntax:  gzip_comp_level level;
//	Default: gzip_comp_level 1;
//	Context: http, server, location
//
// Sets a gzip compression level of a response, from 1 to 9.
//
//	Syntax:  gzip_disable regex ...;
//	Default: —
//	Context: http, server, location
//
// Disables gzipping of responses for requests with User-Agent header
// fields matching any of the specified regular expressions (matched
// ignoring case; Go's RE2). The special mask "msie6" corresponds to
// "MSIE [4-6]\.", but works faster; "MSIE 6.0; ... SV1" is excluded from
// it.
//
//	Syntax:  gzip_http_version 1.0 | 1.1;
//	Default: gzip_http_version 1.1;
//	Context: http, server, location
//
// Sets the minimum HTTP version of a request required to compress a
// response.
//
//	Syntax:  gzip_min_length length;
//	Default: gzip_min_length 20;
//	Context: http, server, location
//
// Sets the minimum length of a response that will be gzipped, as its
// Content-Length tells it.
//
//	Syntax:  gzip_proxied off | expired | no-cache | no-store | private | no_last_modified | no_etag | auth | any ...;
//	Default: gzip_proxied off;
//	Context: http, server, location
//
// Enables or disables gzipping of responses for proxied requests
// (requests with a Via header), depending on the request and response:
// off disables it for all proxied requests; expired enables it if the
// response has an Expires in the past; no-cache, no-store and private if
// its Cache-Control has that directive; no_last_modified if it has no
// Last-Modified; no_etag if it has no ETag; auth if the request has an
// Authorization header; any for all proxied requests. A response with
// Expires is decided by expired alone, and one with Cache-Control (and no
// Expires) by no-cache, no-store and private alone.
//
//	Syntax:  gzip_types mime-type ...;
//	Default: gzip_types text/html;
//	Context: http, server, location
//
// Enables gzipping of responses for the specified MIME types in addition
// to "text/html". The special value "*" matches any MIME type. Responses
// with the "text/html" type are always compressed.
//
//	Syntax:  gzip_vary on | off;
//	Default: gzip_vary off;
//	Context: http, server, location
//
// Enables or disables inserting the "Vary: Accept-Encoding" response
// header field if the directives gzip, gzip_static, or gunzip are active.
//
// nginx also has four undocumented directives, which sluice reads:
// gzip_window size and gzip_hash size (zlib's window and memory level;
// validated as nginx does, then ignored: compress/flate's are fixed),
// gzip_no_buffer on|off (send what is compressed after each piece of the
// body rather than in full buffers) and postpone_gzipping size (hold up to
// size bytes of the body before compressing).
package gzip
