// Package autoindex is nginx's autoindex module
// (ngx_http_autoindex_module): a listing of the directory a URI ending in
// a slash maps to, for GET and HEAD, when "autoindex on" — as HTML (the
// default), JSON, JSONP (the "callback" argument names the function) or
// XML, with nginx's exact output: directories first, then files, each
// group in byte order of the names; names starting with a dot are left
// out. autoindex_exact_size and autoindex_localtime shape the HTML
// listing's sizes and times.
package autoindex
