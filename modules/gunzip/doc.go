// Package gunzip is nginx's ngx_http_gunzip_filter_module: it decompresses
// responses with "Content-Encoding: gzip" for clients that do not support
// gzip, so that an upstream (or gzip_static always) can keep only
// compressed data.
//
//	location /storage/ {
//	    gunzip on;
//	    proxy_pass http://backend;
//	}
//
// A response is decompressed when gunzip is on for its location, its
// Content-Encoding is exactly "gzip" (in any case; not "x-gzip", not a
// list), and the request may not have gzip (see gzip.OK, asked once per
// request: a client without gzip in Accept-Encoding, with q=0, below
// gzip_http_version, behind a proxy gzip_proxied refuses, or matched by
// gzip_disable). A subrequest is never "ok for gzip", so the gzip parts of
// an SSI page or of an addition are always decompressed, whatever the
// client accepts. With gzip_vary on, every gzip response in a gunzip
// location gets "Vary: Accept-Encoding", decompressed or not. The
// decompressed response has no Content-Encoding, no Content-Length (it is
// chunked for HTTP/1.1, closed for HTTP/1.0), no Accept-Ranges (no byte
// ranges are served of it), and its ETag becomes weak (W/"..."; one that
// is not quoted is dropped).
//
// The filter sits where nginx's module order puts it: after the headers
// filter and before addition, sub_filter, SSI and gzip, so those see the
// decompressed text. Several gzip members one after the other are
// decompressed one after the other, as zlib resets at the end of each.
// When the body is not gzip, is corrupt, has bytes after the last member
// that are not another member, or ends inside a member (an empty body
// too), the response is cut (the connection closes; a head not yet sent
// is not sent) and nginx's line is logged at error: "inflate() failed: 0,
// -3" (zlib's flush value, 0, 2 for a flushed piece or 4 for the last, and
// Z_DATA_ERROR), or "inflate() returned -5 on response end" (Z_BUF_ERROR).
//
// Output goes into gunzip_buffers (32 of 4k by default); when all are
// full they are sent before decompression goes on. The decompressor is
// Go's compress/gzip, run as a coroutine (iter.Pull) fed the body's
// pieces; its state (about 40 KB) comes from a pool. compress/flate hands
// out its output at the end of each deflate block or every 32 KiB, where
// zlib gives all it can decode from the input so far: a stream the
// upstream sync-flushes passes on at each flush as with nginx, but the
// pieces of other streams may come later and in other sizes (the bytes
// are the same). See docs/compat.md.
//
// Directives
//
//	Syntax:  gunzip on | off;
//	Default: gunzip off;
//	Context: http, server, location
//
// Enables or disables decompression of gzipped responses for clients that
// lack gzip support. If enabled, the following directives are also taken
// into account when determining if clients support gzip:
// gzip_http_version, gzip_proxied, and gzip_disable. See also the
// gzip_vary directive.
//
//	Syntax:  gunzip_buffers number size;
//	Default: gunzip_buffers 32 4k|16 8k;
//	Context: http, server, location
//
// Sets the number and size of buffers used to decompress a response. By
// default, the buffer size is equal to one memory page.
package gunzip
