package cgi

import (
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// HideHeaders are the response headers fastcgi, scgi and uwsgi never pass
// to the client unless X_pass_header names them
// (ngx_http_fastcgi_hide_headers and its scgi and uwsgi twins); the list
// is the defaultHide argument of upstream.Conf.Merge.
var HideHeaders = []string{"Status", "X-Accel-Expires", "X-Accel-Redirect",
	"X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

// CacheDefaults are the params nginx adds for cacheable requests
// (ngx_http_fastcgi_cache_headers): the conditional and range headers of
// the client are not passed (the stored response must be the whole one),
// and the revalidation of an expired entry sends its Last-Modified and
// ETag.
var CacheDefaults = []Param{
	{Key: "HTTP_IF_MODIFIED_SINCE", Func: cacheLastModified},
	{Key: "HTTP_IF_UNMODIFIED_SINCE"},
	{Key: "HTTP_IF_NONE_MATCH", Func: cacheETag},
	{Key: "HTTP_IF_MATCH"},
	{Key: "HTTP_RANGE"},
	{Key: "HTTP_IF_RANGE"},
}

// cacheLastModified is $upstream_cache_last_modified.
func cacheLastModified(r *httpd.Request) string {
	if u, ok := r.Upstream.(*upstream.Upstream); ok && u != nil {
		v, _ := u.CacheLastModified()
		return v
	}
	return ""
}

// cacheETag is $upstream_cache_etag.
func cacheETag(r *httpd.Request) string {
	if u, ok := r.Upstream.(*upstream.Upstream); ok && u != nil {
		v, _ := u.CacheETag()
		return v
	}
	return ""
}
