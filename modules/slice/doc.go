// Package slice is nginx's slice filter (ngx_http_slice_filter_module):
// it splits a request into subrequests that each ask the upstream for one
// slice of the resource, a byte range of a fixed size, and stitches their
// answers into one response. Each slice can then be cached on its own:
//
//	location / {
//	    slice             1m;
//	    proxy_cache       cache;
//	    proxy_cache_key   $uri$is_args$args$slice_range;
//	    proxy_set_header  Range $slice_range;
//	    proxy_cache_valid 200 206 1h;
//	    proxy_pass        http://localhost:8000;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  slice size;
//	Default: slice 0;
//	Context: http, server, location
//
// Sets the size of a slice; zero disables splitting.
//
// Variables: $slice_range is the current slice's range in the format of a
// Range header, "bytes=START-END". Evaluating it (proxy_set_header Range
// $slice_range) is what turns slicing on for a request: the first slice is
// the one holding the start of the client's range (the first when there is
// no single "bytes=N-" range, or with If-Range).
//
// The main request fetches the first slice; each following slice is a
// clone of the request (same method, location, headers) run once the
// previous one ended, its body going to the client after the previous
// one's. Every slice must come back as 206 with a Content-Range
// "bytes START-END/LENGTH" that matches the slice asked for and a known
// length, and with the first slice's ETag; otherwise the response is cut
// and the connection closed, with nginx's error_log lines ("unexpected
// status code 200 in slice response", "etag mismatch in slice response",
// "invalid range in slice response", "no complete length in slice
// response", "unexpected range in slice response: 0-3", "missing slice
// response"). A main response other than 206 passes unchanged. The
// stitched response is 200 with the whole length, and the range filter
// serves a client's single Range from it (several ranges get the whole
// response, as for any proxied response); only the slices the range
// touches are fetched.
//
// Subrequests run synchronously in sluice (see package httpd): the next
// slice starts when the previous one's body has been passed on, where
// nginx starts it once the previous subrequest is done.
package slice
