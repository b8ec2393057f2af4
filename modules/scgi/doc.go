// Package scgi is sluice's ngx_http_scgi_module: it passes requests to an
// SCGI server through the upstream framework (package upstream) and relays
// the answer, with nginx 1.22's directives, defaults and log wording.
//
//	location / {
//	    include   scgi_params;
//	    scgi_pass 127.0.0.1:9000;
//	}
//
// The request is one netstring of NUL-terminated names and values —
// CONTENT_LENGTH first, then the scgi_param lines, then the client's
// headers as HTTP_* — followed by the body. The server answers with an
// HTTP status line and headers, or with CGI headers alone (Status:, or 302
// with Location:, else 200), then the body up to Content-Length or the
// connection's close; the connection is never kept alive. What scgi shares
// with uwsgi is in modules/internal/cgiup, what it shares with fastcgi in
// modules/internal/cgi.
//
// Directives
//
//	Syntax:  scgi_pass address;
//	Default: —
//	Context: location, if in location
//
// Sets the address of an SCGI server: host:port, unix:/path, the name of
// an upstream{} group, or a value with variables (an address, a known
// upstream, or a name resolved with resolver).
//
//	Syntax:  scgi_param parameter value [if_not_empty];
//	Default: —
//	Context: http, server, location
//
// Sets a parameter passed to the SCGI server; the value may have
// variables. A level with no scgi_param inherits all of its parent's. A
// parameter named HTTP_* replaces the client's header of that name (an
// empty value drops it).
//
// The upstream framework's shared directives, with the scgi_ prefix and
// nginx's defaults (see package upstream): scgi_bind,
// scgi_buffer_size (4k|8k), scgi_buffering (on), scgi_buffers (8 4k|8k),
// scgi_busy_buffers_size (8k|16k), scgi_connect_timeout (60s),
// scgi_force_ranges (off), scgi_hide_header, scgi_ignore_client_abort
// (off), scgi_ignore_headers, scgi_intercept_errors (off),
// scgi_limit_rate (0), scgi_max_temp_file_size (1024m),
// scgi_next_upstream (error timeout), scgi_next_upstream_timeout (0),
// scgi_next_upstream_tries (0), scgi_pass_header,
// scgi_pass_request_body (on), scgi_pass_request_headers (on),
// scgi_read_timeout (60s), scgi_request_buffering (on),
// scgi_send_timeout (60s), scgi_socket_keepalive (off),
// scgi_temp_file_write_size (8k|16k), scgi_temp_path (scgi_temp), and the
// cache: scgi_cache, scgi_cache_path, scgi_cache_key (no default: required
// with scgi_cache), scgi_cache_valid, scgi_cache_methods,
// scgi_cache_min_uses, scgi_cache_max_range_offset, scgi_cache_bypass,
// scgi_no_cache, scgi_cache_use_stale, scgi_cache_lock,
// scgi_cache_lock_timeout, scgi_cache_lock_age, scgi_cache_revalidate,
// scgi_cache_background_update. The Status and X-Accel-* headers are
// hidden by default.
//
// scgi_store on | off | string and scgi_store_access (user:rw) store a
// complete 200 response as a file (the framework's store, shared with
// proxy_store); they exclude scgi_cache, as in nginx.
package scgi
