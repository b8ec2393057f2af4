package cgiup

import (
	"fmt"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// CacheDirectives are the framework's cache directives as the scgi and
// uwsgi modules have them: no cache_convert_head (HEAD is passed as it
// is), and no default cache key (one is required with the cache).
func CacheDirectives[C any](prefix string, acc func(*C) *upstream.Conf) []conf.Directive {
	var out []conf.Directive
	for _, d := range upstream.CacheDirectives(prefix, acc) {
		switch d.Name {
		case prefix + "cache_convert_head":
			continue
		case prefix + "cache_key":
			d.Default = ""
		}
		out = append(out, d)
	}
	return out
}

// Merge merges the upstream configuration and the params of an
// scgi or uwsgi level, with their rules: the cache needs a key, HEAD is
// never converted to GET, and a cache-enabled level sends the cache's
// params. hide are the response headers the module hides by default.
func Merge(cf *httpd.Config, pu, cu *upstream.Conf, pp, cp *cgi.Params, prefix string, hide []string) error {
	cu.Cache.ConvertHead.Set(false)
	if err := cu.Merge(cf, pu, prefix, hide, prefix+"temp"); err != nil {
		return err
	}
	if cu.Cache.Enabled() && cu.Cache.Key.Get() == nil {
		return &conf.Error{NoPos: true, Msg: fmt.Sprintf("no \"%scache_key\" for \"%scache\"", prefix, prefix)}
	}
	if !cp.Src.IsSet() {
		// TODO(cgi): move to modules/internal/cgi. Params.Merge compiles
		// the cache set of a level without lines from its parent's own
		// lines, which are none when the parent inherited too (scgi_param
		// at http level, scgi_cache in a location): the lines are
		// inherited here so that the set has them.
		cp.Src = pp.Src
	}
	cp.Merge(pp, cu.Cache.Enabled(), cgi.CacheDefaults)
	return nil
}
