package cgiup

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// shared are the upstream framework's directives scgi and uwsgi have in
// nginx 1.22 (not send_lowat, not pass_trailers).
var shared = []string{"connect_timeout", "send_timeout", "read_timeout", "next_upstream_timeout",
	"next_upstream_tries", "next_upstream", "buffer_size", "buffers", "busy_buffers_size",
	"temp_file_write_size", "max_temp_file_size", "temp_path", "buffering", "request_buffering",
	"pass_request_headers", "pass_request_body", "ignore_client_abort", "intercept_errors",
	"force_ranges", "socket_keepalive", "hide_header", "pass_header", "ignore_headers",
	"limit_rate", "bind", "store", "store_access"}

// NextUpstreamMasks are the values of X_next_upstream and
// X_cache_use_stale for scgi and uwsgi (ngx_http_scgi_next_upstream_masks):
// proxy's without http_502 and http_504.
var NextUpstreamMasks = conf.Enum[uint32]{
	{Name: "error", Value: upstream.FtError}, {Name: "timeout", Value: upstream.FtTimeout},
	{Name: "invalid_header", Value: upstream.FtInvalidHeader}, {Name: "non_idempotent", Value: upstream.FtNonIdempotent},
	{Name: "http_500", Value: upstream.FtHTTP500}, {Name: "http_503", Value: upstream.FtHTTP503},
	{Name: "http_403", Value: upstream.FtHTTP403}, {Name: "http_404", Value: upstream.FtHTTP404},
	{Name: "http_429", Value: upstream.FtHTTP429}, {Name: "updating", Value: upstream.FtUpdating},
	{Name: "off", Value: upstream.FtOff},
}

const masksSyntax = "error | timeout | invalid_header | http_500 | http_503 | http_403 | http_404 | http_429 | non_idempotent | off ..."

// Directives are the framework's directives as the scgi and uwsgi modules
// have them: the shared family without send_lowat and pass_trailers,
// next_upstream and cache_use_stale without http_502 and http_504, and the
// cache without cache_convert_head (HEAD is passed as it is) and without a
// default key.
func Directives[C any](prefix string, acc func(*C) *upstream.Conf) []conf.Directive {
	out := upstream.Directives(prefix, acc, shared...)
	for _, d := range upstream.CacheDirectives(prefix, acc) {
		if d.Name == prefix+"cache_convert_head" {
			continue
		}
		out = append(out, d)
	}
	for i := range out {
		d := &out[i]
		switch d.Name {
		case prefix + "next_upstream":
			d.Set = conf.SetBitmask(NextUpstreamMasks, func(c *C) *conf.Val[uint32] { return &acc(c).NextUpstream })
			d.Syntax = prefix + "next_upstream " + masksSyntax + ";"
		case prefix + "cache_use_stale":
			d.Set = conf.SetBitmask(NextUpstreamMasks, func(c *C) *conf.Val[uint32] { return &acc(c).Cache.UseStale })
			d.Syntax = prefix + "cache_use_stale " + masksSyntax + ";"
		case prefix + "cache_key":
			d.Default = ""
		}
	}
	return out
}

// noKey is the empty cache key of a level that caches without
// X_cache_key.
var noKey = &httpd.Complex{}

// Merge merges an scgi or uwsgi level with its parent, with their rules:
// X_pass inherited, HEAD never converted to GET for the cache, a cache
// without a key warned about and using the empty key (as nginx does), the
// cache's params for a cache-enabled level. hide are the response headers
// the module hides by default.
func Merge(cf *httpd.Config, p, c *Base, prefix string, hide []string) error {
	if c.Pass == nil {
		c.Pass = p.Pass
	}
	pu, cu, pp, cp := &p.U, &c.U, &p.Params, &c.Params
	cu.Cache.ConvertHead.Set(false)
	if err := cu.Merge(cf, pu, prefix, hide, prefix+"temp"); err != nil {
		return err
	}
	if k := cu.Cache.Key.Get(); cu.Cache.Enabled() && (k == nil || k == noKey) {
		// at every level that caches without a key, as nginx (its
		// empty key is inherited as none)
		cf.Warnf("no \"%scache_key\" for \"%scache\"", prefix, prefix)
		cu.Cache.Key.Set(noKey)
	}
	cp.Merge(pp, cu.Cache.Enabled(), cgi.CacheDefaults)
	return nil
}
