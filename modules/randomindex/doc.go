// Package randomindex is nginx's ngx_http_random_index_module: a request
// for a directory (a URI ending in "/") with random_index on is
// redirected internally to a file of that directory picked at random.
//
// Only regular files count, symbolic links to them included; names
// starting with "." are skipped. A directory with no such file declines,
// leaving the request to index, autoindex and static. Only GET, HEAD and
// POST are served. A directory that cannot be opened answers as nginx does
// (404 for a missing one, 403 for a denied one, logged as "opendir()
// "PATH" failed"); an entry that cannot be examined is logged at crit
// ("stat()" or "lstat()") and answered 500.
//
// Directives
//
//	Syntax:  random_index on | off;
//	Default: random_index off;
//	Context: location
package randomindex
