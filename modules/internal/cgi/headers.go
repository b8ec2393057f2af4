package cgi

import (
	"strconv"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// HideHeaders are the response headers fastcgi, scgi and uwsgi never pass
// to the client unless X_pass_header names them
// (ngx_http_fastcgi_hide_headers and its scgi and uwsgi twins); the list
// is the defaultHide argument of upstream.Conf.Merge.
var HideHeaders = []string{"Status", "X-Accel-Expires", "X-Accel-Redirect",
	"X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

// Defaults are the params every set has unless a line names them
// (ngx_http_fastcgi_headers, nginx 1.29.5): HTTP_HOST is
// $host$is_request_port$request_port, the host the request was routed by
// rather than the client's Host line as it came.
var Defaults = []Param{
	{Key: "HTTP_HOST", Func: requestHost},
}

// CacheDefaults are the params of cacheable requests
// (ngx_http_fastcgi_cache_headers): Defaults, then the client's
// conditional and range headers are not passed (the stored response must
// be the whole one), and the revalidation of an expired entry sends its
// Last-Modified and ETag.
var CacheDefaults = []Param{
	{Key: "HTTP_HOST", Func: requestHost},
	{Key: "HTTP_IF_MODIFIED_SINCE", Func: cacheLastModified},
	{Key: "HTTP_IF_UNMODIFIED_SINCE"},
	{Key: "HTTP_IF_NONE_MATCH", Func: cacheETag},
	{Key: "HTTP_IF_MATCH"},
	{Key: "HTTP_RANGE"},
	{Key: "HTTP_IF_RANGE"},
}

// requestHost is $host$is_request_port$request_port.
func requestHost(r *httpd.Request) string {
	host, _ := r.VarByName("host")
	if r.In.Port <= 0 || r.In.Port > 65535 {
		return host
	}
	return host + ":" + strconv.Itoa(r.In.Port)
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
