// Package index is nginx's index module (ngx_http_index_module): for a
// URI ending in a slash it looks for the files named by the "index"
// directive (default index.html), in order, in the directory the URI maps
// to, and redirects internally to the first that exists. Names may hold
// variables; an absolute name (only sensible last) is redirected to
// without looking. Errors are answered and logged as nginx does: a
// missing directory is a 404 (`"...index.html" is not found`), a denied
// one a 403 (`"..." is forbidden`).
package index
