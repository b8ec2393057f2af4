// Package userid is nginx's ngx_http_userid_filter_module: it sets a
// cookie identifying the client, and exposes the identifier received
// ($uid_got) and the one set ($uid_set), as "name=" and 32 hex digits.
//
// An identifier is 16 bytes, four 32-bit words: the service (userid_service,
// else the server's IPv4 address or the last four bytes of its IPv6
// address, 0 on a unix socket), the time, a start value (the start time's
// microseconds over 20 in the high half, ORed with the process id) and a
// sequence number. With "userid on" the words are in network order; with
// "userid v1" (the old layout) they are in the host's order, the service
// is 0 unless set and the sequence starts at 1. The cookie value is the 16
// bytes in base64 with padding; userid_mark replaces the first "=".
//
// A received cookie is read from its first 22 characters, which must be
// base64 ("client sent too short userid cookie" or "client sent invalid
// userid cookie" is logged otherwise, at error level, with the whole
// Cookie line); an identifier whose last word is zero counts as none. A
// valid cookie is not set again unless it lacks the configured mark (then
// it is sent back with the mark), or $uid_reset (changeable with map or
// set) is non-empty and not "0": then a new identifier is set, and with
// the value "log" the old one is logged at notice level ("userid cookie
// "uid=..." was reset").
//
// $uid_got and $uid_set print each word as a little-endian host (x86,
// arm64) prints its memory, as the nginx test suite expects there; nginx
// on a big-endian host prints them the other way round. The cookie sets
// only in main requests; the variables read the main request's.
//
// Directives
//
//	Syntax:  userid on | v1 | log | off;
//	Default: userid off;
//	Context: http, server, location
//
//	Syntax:  userid_service number;
//	Default: userid_service IP address of the server;
//	Context: http, server, location
//
//	Syntax:  userid_name name;
//	Default: userid_name uid;
//	Context: http, server, location
//
//	Syntax:  userid_domain name | none;
//	Default: userid_domain none;
//	Context: http, server, location
//
//	Syntax:  userid_path path;
//	Default: userid_path /;
//	Context: http, server, location
//
//	Syntax:  userid_expires time | max | off;
//	Default: userid_expires off;
//	Context: http, server, location
//
//	Syntax:  userid_flags off | flag ...;
//	Default: userid_flags off;
//	Context: http, server, location
//
//	Syntax:  userid_p3p string | none;
//	Default: userid_p3p none;
//	Context: http, server, location
//
//	Syntax:  userid_mark letter | digit | = | off;
//	Default: userid_mark off;
//	Context: http, server, location
package userid
