// Package limitreq is nginx's ngx_http_limit_req_module: it limits the
// rate of requests per key (usually the client's address) with the
// "leaky bucket" method, delaying requests that come too fast and
// rejecting those beyond a burst.
//
// A zone (limit_req_zone) keeps, for each value of its key, the excess of
// requests over its rate in thousandths of a request, and when it was last
// reduced. A request adds one request to the excess of its key, less what
// the rate leaked since; an excess over the burst rejects the request
// (limit_req_status, 503 by default) without counting it, and an excess
// over the delay (delay=, none with nodelay, the whole burst by default)
// delays it by the time the rate takes to leak the difference. Requests
// with an empty key are not limited. Each limit_req of a level applies (a
// level without one inherits them all); the request waits for the longest
// of their delays. Rejections are logged at limit_req_log_level ("limiting
// requests, excess: 1.000 by zone "one""), delays one level lower
// ("delaying request, excess: 0.500, by zone "one""). With
// limit_req_dry_run on, nothing is delayed or rejected, and the log lines
// say "dry run".
//
// The handler runs in the preaccess phase, once per request: internal
// redirects and subrequests of a request that was limited pass. A delayed
// request waits on its connection's goroutine; a client that closes the
// connection or shuts down its side during the wait ends the request with
// 499 ("client prematurely closed connection", at info). A delayed
// subrequest waits its delay out: the connection's hangup watch may be its
// main request's.
//
// $limit_req_status is PASSED, DELAYED, REJECTED, DELAYED_DRY_RUN or
// REJECTED_DRY_RUN once the module decided, not found before.
//
// sluice is one process: a zone is a map shared by every request rather
// than shared memory, and a configuration reloaded with a zone of the same
// name and size keeps its state (with a different key, the reload fails as
// in nginx: limit_req "one" uses the "$a" key while previously it used the
// "$b" key). The zone's size bounds its keys as nginx's slab allocator
// would on 64-bit Linux (see internal/shmzone): a key's state takes 80
// bytes plus the key, in a slot of the next power of two (128 bytes for
// $binary_remote_addr), and a zone of size S has (S - 704) / 4120 pages
// of 4 KiB, less one for the string of its log lines, the zone's header
// taking a 128-byte slot, so one megabyte keeps 8,095 addresses; keys of
// another size class take pages of their own. When a new key finds no
// room, the least recently used one is evicted (after up to two that have
// been idle for a minute with nothing left to leak); when even that leaves
// no room (the key is larger, or the oldest is in use), the request is
// rejected and "could not allocate node in limit_req zone "one"" is
// logged at alert.
//
// Directives
//
//	Syntax:  limit_req_zone key zone=name:size rate=rate;
//	Context: http
//
//	Syntax:  limit_req zone=name [burst=number] [nodelay | delay=number];
//	Context: http, server, location
//
//	Syntax:  limit_req_log_level info | notice | warn | error;
//	Default: limit_req_log_level error;
//	Context: http, server, location
//
//	Syntax:  limit_req_status code;
//	Default: limit_req_status 503;
//	Context: http, server, location
//
//	Syntax:  limit_req_dry_run on | off;
//	Default: limit_req_dry_run off;
//	Context: http, server, location
package limitreq
