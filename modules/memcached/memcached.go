// Package memcached is sluice's memcached module (nginx's
// ngx_http_memcached_module): a location answers GET and HEAD requests with
// the value memcached holds for the key in $memcached_key.
//
//	location / {
//	    set            $memcached_key "$uri?$args";
//	    memcached_pass 127.0.0.1:11211;
//	    error_page     404 502 504 = @fallback;
//	}
//
// The module is a worked example of an upstream module (see
// docs/modules.md): the handler builds a per-request protocol value and hands
// the request to the upstream framework; the protocol sends "get KEY",
// parses the VALUE or END line, and its body filter strips the
// "\r\nEND\r\n" trailer. A hit is a 200 with the value as the body
// (Content-Encoding: gzip when the value's flags match
// memcached_gzip_flag), a miss a 404, anything else a 502.
//
// Directives
//
//	Syntax:  memcached_pass address;
//	Default: —
//	Context: location, if in location
//
// Sets the memcached server: host:port, unix:/path, or the name of an
// upstream{} group. The key is taken from $memcached_key.
//
//	Syntax:  memcached_next_upstream error | timeout | invalid_response | not_found | off ...;
//	Default: memcached_next_upstream error timeout;
//	Context: http, server, location
//
// When to try the next server.
//
//	Syntax:  memcached_gzip_flag flag;
//	Default: —
//	Context: http, server, location
//
// Flag bits that mark a value as gzip-compressed.
//
// memcached_bind, memcached_socket_keepalive, memcached_connect_timeout,
// memcached_send_timeout, memcached_read_timeout, memcached_buffer_size,
// memcached_next_upstream_tries and memcached_next_upstream_timeout are the
// upstream framework's shared directives (see package upstream). The rest
// of the upstream configuration is fixed as nginx fixes it: no buffering,
// no request headers or body passed, ranges allowed.
package memcached

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler (see
// httpd.Handle): the handler cannot name Module.
var self httpd.Handle

// Module is the memcached HTTP module.
var Module = &httpd.Module{
	Name:       "memcached",
	Handle:     &self,
	Directives: directives(),
	CreateLoc:  func(*httpd.Config) any { return &LocConf{Upstream: upstream.Conf{Intercept404: true}} },
	MergeLoc:   mergeLoc,
}

// LocConf is the memcached location configuration
// (ngx_http_memcached_loc_conf_t).
type LocConf struct {
	// Upstream is the upstream configuration every request of the
	// location shares.
	Upstream upstream.Conf
	// GzipFlag is memcached_gzip_flag (0: never gzip).
	GzipFlag conf.Num

	// pass is the memcached_pass argument as written; target where it
	// leads.
	pass   conf.Str
	target upstream.Target
	// keyIndex is the index of $memcached_key (-1 when no memcached_pass
	// was seen in this block or above).
	keyIndex int
	keySet   bool
}

// nextUpstreamMasks are memcached_next_upstream's values: nginx names
// the header and 404 classes after memcached's answers.
var nextUpstreamMasks = conf.Enum[uint32]{
	{Name: "error", Value: upstream.FtError},
	{Name: "timeout", Value: upstream.FtTimeout},
	{Name: "invalid_response", Value: upstream.FtInvalidHeader},
	{Name: "not_found", Value: upstream.FtHTTP404},
	{Name: "off", Value: upstream.FtOff},
}

func directives() []conf.Directive {
	acc := func(lc *LocConf) *upstream.Conf { return &lc.Upstream }
	msl := conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	ds := []conf.Directive{
		{Name: "memcached_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "memcached_pass address;",
			Doc:    "Sets the memcached server address (host:port, unix:/path) or upstream group; the key is $memcached_key."},
		{Name: "memcached_next_upstream", Context: msl, Args: conf.OneMore,
			Set:     conf.SetBitmask(nextUpstreamMasks, func(lc *LocConf) *conf.Val[uint32] { return &lc.Upstream.NextUpstream }),
			Syntax:  "memcached_next_upstream error | timeout | invalid_response | not_found | off ...;",
			Default: "memcached_next_upstream error timeout;",
			Doc:     "Specifies in which cases a request should be passed to the next server."},
		{Name: "memcached_gzip_flag", Context: msl, Args: conf.Take1,
			Set:    conf.SetNum(func(lc *LocConf) *conf.Num { return &lc.GzipFlag }),
			Syntax: "memcached_gzip_flag flag;",
			Doc:    "Enables testing the flag presence in the memcached server response and setting Content-Encoding: gzip when it is set."},
	}
	shared := upstream.Directives("memcached_", acc,
		"bind", "socket_keepalive", "connect_timeout", "send_timeout", "buffer_size",
		"read_timeout", "next_upstream_tries", "next_upstream_timeout")
	for i := range shared {
		if d := &shared[i]; d.Name == "memcached_buffer_size" {
			d.Default = "memcached_buffer_size 4k|8k;"
		}
	}
	return append(ds, shared...)
}

// mergeLoc merges a location's conf with the enclosing one
// (ngx_http_memcached_merge_loc_conf), with the upstream settings nginx
// hard-codes for memcached.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if !c.pass.IsSet() {
		c.pass, c.target = p.pass, p.target
	}
	if !c.keySet {
		c.keyIndex, c.keySet = p.keyIndex, p.keySet
	}
	c.GzipFlag.Inherit(p.GzipFlag, 0)

	u := &c.Upstream
	// The fixed part (create_loc_conf's "hardcoded values"). Buffers are
	// never used without buffering; they are sized from buffer_size only so
	// that the framework's buffer checks hold for any memcached_buffer_size.
	u.BufferSize.Inherit(p.Upstream.BufferSize, 4096)
	size := u.BufferSize.Get()
	u.Bufs.Set(conf.Bufs{Num: 8, Size: size})
	u.MaxTempFileSize.Set(0)
	u.Buffering.Set(false)
	u.RequestBuffering.Set(true)
	u.IgnoreClientAbort.Set(false)
	u.SendLowat.Set(0)
	u.InterceptErrors.Set(true)
	u.PassRequestHeaders.Set(false)
	u.PassRequestBody.Set(false)
	u.ForceRanges.Set(true)
	return u.Merge(cf, &p.Upstream, "memcached_", nil, "memcached_temp")
}
