// Package dav is nginx's ngx_http_dav_module: the WebDAV methods PUT,
// DELETE, MKCOL, COPY and MOVE on the files under root or alias, in the
// content phase (before static, which answers them 405).
//
//	location /upload/ {
//	    dav_methods PUT DELETE MKCOL COPY MOVE;
//	    create_full_put_path on;
//	    dav_access group:rw all:r;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  dav_methods off | method ...;
//	Default: dav_methods off;
//	Context: http, server, location
//
//	Syntax:  dav_access users:permissions ...;
//	Default: dav_access user:rw;
//	Context: http, server, location
//
//	Syntax:  create_full_put_path on | off;
//	Default: create_full_put_path off;
//	Context: http, server, location
//
//	Syntax:  min_delete_depth number;
//	Default: min_delete_depth 0;
//	Context: http, server, location
//
// PUT reads the body into a temp file under client_body_temp_path and
// renames it into place with dav_access permissions (and the request's
// Date as its time): 201 Created with a Location for a new file, 204 for
// a replaced one. DELETE removes a file, or a directory recursively
// ("Depth: infinity"); MKCOL creates one directory; COPY and MOVE take
// the "Destination" (a path, or a URL on the same host) and "Overwrite"
// headers, and copy or move directories recursively. Every refusal gets
// nginx's status and error_log line.
package dav
