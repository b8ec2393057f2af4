package proxy

import (
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// The proxy cache's request fields: a cacheable request drops the client's
// conditional and Range fields (the response stored must be the whole
// one) and, when an expired entry is revalidated, sends its Last-Modified
// and ETag (ngx_http_proxy_cache_headers). The cache itself lives in the
// upstream framework (upstream/cache.go); its directives come from
// upstream.CacheDirectives.

// Kinds of the revalidation fields.
const (
	valCacheLastModified = 100 + iota
	valCacheETag
)

// cacheDefaultHeaders is nginx's default list for cacheable requests.
var cacheDefaultHeaders = append(append([]defaultHeader{}, defaultHeaders...),
	defaultHeader{"If-Modified-Since", valCacheLastModified, true},
	defaultHeader{"If-Unmodified-Since", 0, false},
	defaultHeader{"If-None-Match", valCacheETag, true},
	defaultHeader{"If-Match", 0, false},
	defaultHeader{"Range", 0, false},
	defaultHeader{"If-Range", 0, false},
)

// mergeCacheHeaders compiles the cache's header set of a level (shared
// with the parent when the level has no proxy_set_header).
func mergeCacheHeaders(p, c *LocConf) {
	if !c.headerSrc.IsSet() {
		if p.headersCache == nil {
			p.headersCache = compileHeadersWith(p.headerSrc.Get(), cacheDefaultHeaders)
		}
		c.headersCache = p.headersCache
		return
	}
	c.headersCache = compileHeadersWith(c.headerSrc.Get(), cacheDefaultHeaders)
}

// cacheHeaderValue is $upstream_cache_last_modified or
// $upstream_cache_etag for the request's exchange.
func cacheHeaderValue(r *httpd.Request, kind int) string {
	u, _ := r.Upstream.(*upstream.Upstream)
	if u == nil {
		return ""
	}
	var v string
	if kind == valCacheLastModified {
		v, _ = u.CacheLastModified()
	} else {
		v, _ = u.CacheETag()
	}
	return v
}
