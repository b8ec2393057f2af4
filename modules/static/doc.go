// Package static is nginx's static module (ngx_http_static_module): in
// the content phase it answers GET and HEAD requests for URIs without a
// trailing slash with the file the URI maps to under "root" or "alias".
//
// A found file is sent whole (the range filter cuts byte ranges from it)
// with Content-Type from the "types" table by extension (else
// default_type), Content-Length, Last-Modified and, unless "etag off",
// an ETag of nginx's form "<mtime hex>-<size hex>". A directory is
// answered with a 301 to the URI with a slash added. A missing file is a
// 404 logged as nginx logs it (unless log_not_found is off), a permission
// problem a 403, other methods a 405. The module has no directives.
package static
