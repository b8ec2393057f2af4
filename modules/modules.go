// Package modules lists the modules compiled into sluice, in nginx's
// module order. cmd/sluice and the in-process test server use the same
// list, so tests exercise what ships.
package modules

import (
	"slices"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/access"
	"github.com/sluicehq/sluice/modules/addition"
	"github.com/sluicehq/sluice/modules/authbasic"
	"github.com/sluicehq/sluice/modules/authrequest"
	"github.com/sluicehq/sluice/modules/autoindex"
	"github.com/sluicehq/sluice/modules/charset"
	"github.com/sluicehq/sluice/modules/dav"
	"github.com/sluicehq/sluice/modules/emptygif"
	"github.com/sluicehq/sluice/modules/fastcgi"
	"github.com/sluicehq/sluice/modules/flv"
	"github.com/sluicehq/sluice/modules/geo"
	"github.com/sluicehq/sluice/modules/grpc"
	"github.com/sluicehq/sluice/modules/gunzip"
	"github.com/sluicehq/sluice/modules/gzip"
	"github.com/sluicehq/sluice/modules/gzipstatic"
	"github.com/sluicehq/sluice/modules/headers"
	"github.com/sluicehq/sluice/modules/imagefilter"
	"github.com/sluicehq/sluice/modules/index"
	"github.com/sluicehq/sluice/modules/limitconn"
	"github.com/sluicehq/sluice/modules/limitreq"
	"github.com/sluicehq/sluice/modules/log"
	"github.com/sluicehq/sluice/modules/mapmod"
	"github.com/sluicehq/sluice/modules/memcached"
	"github.com/sluicehq/sluice/modules/mirror"
	"github.com/sluicehq/sluice/modules/mp4"
	"github.com/sluicehq/sluice/modules/mytest"
	"github.com/sluicehq/sluice/modules/notmodified"
	"github.com/sluicehq/sluice/modules/proxy"
	"github.com/sluicehq/sluice/modules/randomindex"
	"github.com/sluicehq/sluice/modules/rangefilter"
	"github.com/sluicehq/sluice/modules/realip"
	"github.com/sluicehq/sluice/modules/referer"
	"github.com/sluicehq/sluice/modules/rewrite"
	"github.com/sluicehq/sluice/modules/scgi"
	"github.com/sluicehq/sluice/modules/securelink"
	"github.com/sluicehq/sluice/modules/slice"
	"github.com/sluicehq/sluice/modules/splitclients"
	"github.com/sluicehq/sluice/modules/ssi"
	"github.com/sluicehq/sluice/modules/ssl"
	"github.com/sluicehq/sluice/modules/static"
	"github.com/sluicehq/sluice/modules/stubstatus"
	"github.com/sluicehq/sluice/modules/sub"
	"github.com/sluicehq/sluice/modules/userid"
	"github.com/sluicehq/sluice/modules/uwsgi"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// HTTP returns the HTTP modules (the core HTTP module is implicit and
// always first). Phase handlers of one phase run in reverse order of this
// list, as in nginx.
func HTTP() []*httpd.Module {
	return []*httpd.Module{
		log.Module,
		upstream.Module,
		upstream.CacheModule,
		balancer.Module,
		static.Module,
		gzipstatic.Module,
		dav.Module,
		autoindex.Module,
		index.Module,
		randomindex.Module,
		mirror.Module,
		authrequest.Module,
		authbasic.Module,
		access.Module,
		limitconn.Module,
		limitreq.Module,
		realip.Module,
		geo.Module,
		mapmod.Module,
		splitclients.Module,
		referer.Module,
		rewrite.Module,
		proxy.Module,
		fastcgi.Module,
		uwsgi.Module,
		scgi.Module,
		grpc.Module,
		memcached.Module,
		securelink.Module,
		balancer.HashModule,
		balancer.IPHashModule,
		balancer.LeastConnModule,
		balancer.RandomModule,
		balancer.KeepaliveModule,
		balancer.ZoneModule,
		stubstatus.Module,
		emptygif.Module,
		flv.Module,
		mp4.Module,
		mytest.Module,
		ssl.Module,
		httpd.V2,
		gzip.Module,
		ssi.Module,
		charset.Module,
		imagefilter.Module,
		sub.Module,
		addition.Module,
		gunzip.Module,
		userid.Module,
		headers.Module,
		rangefilter.Module,
		notmodified.Module,
		slice.Module,
	}
}

// All returns the top-level modules.
func All() []*core.Module { return AllWith() }

// AllWith returns the top-level modules with extra HTTP modules compiled
// in, as nginx's --add-module places them: after the built-in handler
// modules, before the header and body filters. An out-of-tree binary
// passes it to core.Load (see docs/modules.md).
func AllWith(extra ...*httpd.Module) []*core.Module {
	mods := HTTP()
	at := slices.Index(mods, gzip.Module) // the first filter
	mods = slices.Insert(mods, at, extra...)
	return []*core.Module{httpd.New(mods...), log.Files}
}

// Implemented names the nginx modules sluice implements, as nginx's
// configure script names them ("http_proxy"), for -V.
var Implemented = []string{
	"http_mirror",
	"http_auth_request",
	"http_auth_basic",
	"http_access",
	"http_limit_conn",
	"http_limit_req",
	"http_realip",
	"http_geo",
	"http_map",
	"http_split_clients",
	"http_referer",
	"http_autoindex",
	"http_random_index",
	"http_rewrite",
	"http_proxy",
	"http_fastcgi",
	"http_uwsgi",
	"http_scgi",
	"http_grpc",
	"http_memcached",
	"http_secure_link",
	"http_upstream_hash",
	"http_upstream_ip_hash",
	"http_upstream_least_conn",
	"http_upstream_random",
	"http_upstream_keepalive",
	"http_upstream_zone",
	"http_stub_status",
	"http_ssi",
	"http_userid",
	"http_addition",
	"http_sub",
	"http_gzip",
	"http_gzip_static",
	"http_gunzip",
	"http_cache",
	"http_ssl",
	"http_v2",
	"http_slice",
	"http_charset",
	"http_image_filter",
	"http_empty_gif",
	"http_dav",
	"http_flv",
	"http_mp4",
}
