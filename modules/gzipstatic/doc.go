// Package gzipstatic is nginx's ngx_http_gzip_static_module: it sends a
// precompressed file, FILE.gz, for a request of FILE, instead of
// compressing FILE at each request with the gzip filter.
//
//	gzip_static  on;
//	gzip_proxied expired no-cache no-store private auth;
//
// The content handler runs before the static module's, for GET and HEAD
// of a URI that does not end with a slash. With "gzip_static on" the
// client must accept gzip as the gzip module decides it (see gzip.OK: the
// main request, Accept-Encoding with gzip of non-zero quality,
// gzip_http_version, gzip_proxied for a request with Via — judged before
// the response has any header —, gzip_disable); the answer is kept for
// the request, so that the gzip and gunzip filters see the same one. With
// "always" FILE.gz is sent in any case, and gunzip, if on, decompresses it
// for the clients that do not accept gzip.
//
// FILE.gz is opened as the static module opens files (disable_symlinks
// applies). A missing one (ENOENT, ENOTDIR, ENAMETOOLONG) leaves FILE to
// the static module silently; one that cannot be opened for another
// reason is logged ("open() "/www/a.html.gz" failed (13: Permission
// denied)" at error for EACCES, and for EMLINK and ELOOP from
// disable_symlinks; at crit otherwise) and FILE is served all the same. A
// directory named FILE.gz is passed over; a FIFO or other file that is not
// regular is 404, with nginx's crit line ""/www/a.html.gz" is not a
// regular file".
//
// The answer is 200 with Content-Encoding: gzip, the length, modification
// time (Last-Modified) and ETag of FILE.gz, FILE's Content-Type, and
// ranges allowed (byte ranges of the compressed file, as nginx 1.23.3 and
// later: Debian's nginx 1.22 has no ranges here). Conditional requests
// (If-Modified-Since, If-None-Match, If-Range, ...) are judged against
// FILE.gz's validators. With gzip_vary on and "gzip_static on", a request
// for which FILE.gz exists (or is a directory) gets "Vary:
// Accept-Encoding" whether or not the client accepts gzip; FILE.gz is
// opened even for a client that does not, to know it. "gzip_static
// always" does not add Vary itself (gunzip does, when it is on).
//
// Directives
//
//	Syntax:  gzip_static on | off | always;
//	Default: gzip_static off;
//	Context: http, server, location
//
// Enables ("on") or disables ("off") checking the existence of
// precompressed files. The following directives are also taken into
// account: gzip_http_version, gzip_proxied, gzip_disable, gzip_vary. With
// the "always" value, gzipped file is used in all cases, without checking
// if the client supports it. It is useful if there are no uncompressed
// files on the disk anyway or the gunzip module is used. The files can be
// compressed using the gzip command, or any other compatible one. It is
// recommended that the modification date and time of original and
// compressed files be the same.
package gzipstatic
