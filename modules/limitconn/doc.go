// Package limitconn is nginx's ngx_http_limit_conn_module: it limits the
// number of requests in progress per key (usually the client's address,
// hence "connections").
//
// A zone (limit_conn_zone) counts, for each value of its key, the
// requests in progress. In the preaccess phase each limit_conn of the
// location counts the request in its zone; a key that has the limit's
// number of requests in progress already rejects the request
// (limit_conn_status, 503 by default), logged at limit_conn_log_level:
// "limiting connections by zone "one"". The counts the request took
// before that limit are released. Requests with an empty key are not
// counted; a key longer than 255 bytes is not counted either, and logged
// at error ("the value of the "$x" key is more than 255 bytes: ...").
// Each limit_conn of a level applies (a level without one inherits them
// all). With limit_conn_dry_run on, a request over a limit is logged
// ("limiting connections, dry run, by zone "one""), its counts are
// released as for a rejection, and it passes (REJECTED_DRY_RUN).
//
// A request is counted once: when its main request has a
// $limit_conn_status, its internal redirects and subrequests pass, and a
// subrequest's counts are its main request's. The counts are held until
// the main request is freed (after it was answered, with its subrequests,
// post_action and background subrequests), as nginx holds them until the
// request's pool goes.
//
// $limit_conn_status is PASSED, REJECTED or REJECTED_DRY_RUN once a limit
// had a key, not found before.
//
// sluice is one process: a zone is a map shared by every request rather
// than shared memory, and it outlives a reload as limit_req's zones do
// (see the limitreq package and internal/shmzone): a configuration
// reloaded with a zone of the same name and size keeps its counts (with a
// different key the reload fails: limit_conn_zone "one" uses the "$a" key
// while previously it used the "$b" key). The zone's size bounds its keys
// as nginx's slab allocator would on 64-bit Linux (see internal/shmzone):
// a key takes 36 bytes plus the key, in a slot of the next power of two
// (64 bytes for $binary_remote_addr, sharing pages with the zone's
// header), so that one megabyte keeps 16,191 addresses and 32k 383; keys
// over 28 bytes take larger slots on pages of their own (32k keeps 40
// keys of 250 bytes, as nginx). A key that finds no room (keys go when
// their last request ends; nothing is evicted) rejects the request, and
// nginx's slab allocator's line "ngx_slab_alloc() failed: no memory in
// limit_conn_zone "one"" is logged at crit.
//
// Directives
//
//	Syntax:  limit_conn_zone key zone=name:size;
//	Context: http
//
//	Syntax:  limit_conn zone number;
//	Context: http, server, location
//
//	Syntax:  limit_conn_log_level info | notice | warn | error;
//	Default: limit_conn_log_level error;
//	Context: http, server, location
//
//	Syntax:  limit_conn_status code;
//	Default: limit_conn_status 503;
//	Context: http, server, location
//
//	Syntax:  limit_conn_dry_run on | off;
//	Default: limit_conn_dry_run off;
//	Context: http, server, location
package limitconn
