// Package referer is nginx's ngx_http_referer_module: the variable
// $invalid_referer says whether the request's Referer is one of those
// valid_referers lists, for use with if or map.
//
// $invalid_referer is "" (valid) or "1", computed as nginx computes it:
//
//   - a level without valid_referers (none anywhere above either) accepts
//     every request; a level with one inherits nothing of its parent's
//     names, none or blocked, but does inherit the parent's regular
//     expressions when it has none of its own;
//   - no Referer header: valid with none;
//   - a Referer shorter than "http://i.ru" or not starting with http:// or
//     https:// (in any case): valid with blocked;
//   - otherwise the host is what follows the scheme up to the first '/' or
//     ':', lowercased; longer than 256 bytes it is invalid. It is looked up
//     among the exact names, then "*.example.com" / ".example.com", then
//     "www.example.*" (the most specific wildcard wins); a name with a URI
//     part ("example.com/pictures/") is valid only when the path after the
//     host and any port starts with it, case-sensitively;
//   - then the server's regular-expression server names (server_names)
//     are matched against the lowercased host, and the "~" expressions,
//     case-insensitively, against the Referer after the scheme.
//
// server_names adds the names of the server the valid_referers is in,
// wildcards included, at the end of the http block: a name also listed
// explicitly is a conflict ("conflicting parameter", reported at the
// block's closing brace as by nginx). "none" or "blocked" without any
// name (regular expressions do not count) is an error.
//
// Regular expressions are Go's RE2 (see docs/compat.md); a pattern RE2
// cannot compile is a configuration error saying so. referer_hash_max_size
// only refuses 0 (sluice's tables have no fixed number of slots, so nginx's
// "you should increase either referer_hash_max_size or
// referer_hash_bucket_size" warning for many names never comes);
// referer_hash_bucket_size limits the length of names as nginx does.
//
// Directives
//
//	Syntax:  valid_referers none | blocked | server_names | string ...;
//	Context: server, location
//
//	Syntax:  referer_hash_bucket_size size;
//	Default: referer_hash_bucket_size 64;
//	Context: server, location
//
//	Syntax:  referer_hash_max_size size;
//	Default: referer_hash_max_size 2048;
//	Context: server, location
package referer
