// Package notmodified is nginx's not-modified header filter
// (ngx_http_not_modified_filter_module): it answers conditional requests
// for 200 responses of main requests. If-Unmodified-Since and If-Match
// that fail give 412 Precondition Failed; If-Modified-Since (as
// if_modified_since off | exact | before says) and If-None-Match that
// match turn the response into 304 Not Modified without a body,
// Content-Type, Content-Length or Accept-Ranges.
package notmodified
