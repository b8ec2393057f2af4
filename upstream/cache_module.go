package upstream

import (
	"github.com/sluicehq/sluice/cache"
	"github.com/sluicehq/sluice/httpd"
)

// cacheSelf is CacheModule's identity for conf lookups.
var cacheSelf httpd.Handle

// CacheModule holds the cache zones an http block defines (the *_cache_path
// directives of every module) and the $upstream_cache_* variables; list it
// among the HTTP modules, after Module.
var CacheModule = &httpd.Module{
	Name:              "upstream_cache",
	Handle:            &cacheSelf,
	CreateMain:        func(*httpd.Config) any { return &cacheZones{} },
	Preconfiguration:  addCacheVariables,
	Postconfiguration: startZones,
}

// cacheZones are the zones of one http block.
type cacheZones struct {
	list []cacheZone
}

// cacheZone is one zone with the prefix of the directive that defined it:
// proxy_cache finds only proxy_cache_path zones, as in nginx.
type cacheZone struct {
	prefix string
	zone   *cache.Zone
}

func (zs *cacheZones) find(prefix, name string) *cache.Zone {
	if zs == nil {
		return nil
	}
	for _, z := range zs.list {
		if z.prefix == prefix && z.zone.Name() == name {
			return z.zone
		}
	}
	return nil
}

func zonesOf(cf *httpd.Config) *cacheZones {
	zs, _ := cf.MainConf(&cacheSelf).(*cacheZones)
	return zs
}

func zonesOfRequest(r *httpd.Request) *cacheZones {
	return httpd.MainConf[cacheZones](r, &cacheSelf)
}

// startZones holds every zone of a configuration that goes live and starts
// its loader and manager; the configuration lets go of them when it
// retires (after a reload, once its last connection is gone), so a zone no
// live configuration names stops. A configuration test (-t) starts nothing.
func startZones(cf *httpd.Config) error {
	if cf.Cycle != nil && cf.Cycle.Options != nil && cf.Cycle.Options.Test {
		return nil
	}
	list := zonesOf(cf).list
	for _, z := range list {
		z.zone.Acquire()
		z.zone.Start()
	}
	cf.OnRetire(func() {
		for _, z := range list {
			z.zone.Drop()
		}
	})
	return nil
}

// upstreamOf is the request's exchange, for the cache variables.
func upstreamOf(r *httpd.Request) *Upstream {
	if u, ok := r.Upstream.(*Upstream); ok && u != nil {
		return u
	}
	if ctx := stateOf(r); ctx != nil {
		return ctx.last
	}
	return nil
}

// addCacheVariables defines $upstream_cache_status,
// $upstream_cache_last_modified and $upstream_cache_etag.
func addCacheVariables(cf *httpd.Config) error {
	vars := []*httpd.Variable{
		{Name: "upstream_cache_status", Flags: httpd.VarNoCacheable, Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			u := upstreamOf(r)
			if u == nil || u.cache == nil || u.cache.status == 0 {
				return "", false
			}
			return cacheStatusNames[u.cache.status], true
		}},
		{Name: "upstream_cache_last_modified", Flags: httpd.VarNoCacheable, Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			u := upstreamOf(r)
			if u == nil {
				return "", false
			}
			return u.CacheLastModified()
		}},
		{Name: "upstream_cache_etag", Flags: httpd.VarNoCacheable, Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			u := upstreamOf(r)
			if u == nil {
				return "", false
			}
			return u.CacheETag()
		}},
	}
	for _, v := range vars {
		if _, err := cf.AddVariable(v); err != nil {
			return err
		}
	}
	return nil
}
