// Package flv is nginx's ngx_http_flv_module: pseudo-streaming of Flash
// Video files. A request with "?start=N" gets the file from byte offset N,
// preceded by the 13-byte FLV header so that the player can read it as a
// whole file.
//
//	location ~ \.flv$ {
//	    flv;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  flv;
//	Default: —
//	Context: location
//
// GET and HEAD only (others get 405); a URI ending in '/' and a path that
// is not a regular file are left to the next content handler (index,
// static). A start that is not a decimal number, or not below the file
// size, is ignored and the whole file sent. The answer has the file's
// Content-Type, Last-Modified and ETag, and byte ranges apply to the
// answer as sent (header included), as in nginx.
package flv
