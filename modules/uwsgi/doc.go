// Package uwsgi is sluice's ngx_http_uwsgi_module: it passes requests to a
// uwsgi server through the upstream framework (package upstream) and
// relays the answer, with nginx 1.22's directives, defaults and log
// wording.
//
//	location / {
//	    include    uwsgi_params;
//	    uwsgi_pass 127.0.0.1:3031;
//	}
//
// The request is a uwsgi packet — modifier1, the 16-bit little-endian size
// of the vars, modifier2, then each name and value with its 16-bit
// little-endian length: the uwsgi_param lines and the client's headers as
// HTTP_* — followed by the body. A packet larger than 65535 bytes is
// nginx's "uwsgi request is too big" alert and a 500. The server answers
// with an HTTP status line and headers (or CGI headers alone: Status:, or
// 302 with Location:, else 200), then the body up to Content-Length or the
// connection's close; the connection is never kept alive. What uwsgi
// shares with scgi is in modules/internal/cgiup, what it shares with
// fastcgi in modules/internal/cgi.
//
// Directives
//
//	Syntax:  uwsgi_pass [protocol://]address;
//	Default: —
//	Context: location, if in location
//
// Sets the protocol and address of a uwsgi server: uwsgi:// (the default)
// or suwsgi:// (uwsgi over TLS), then host:port, unix:/path, the name of
// an upstream{} group; or a value with variables (an address, a known
// upstream, or a name resolved with resolver).
//
//	Syntax:  uwsgi_param parameter value [if_not_empty];
//	Default: —
//	Context: http, server, location
//
// Sets a parameter passed to the uwsgi server; the value may have
// variables. A level with no uwsgi_param inherits all of its parent's. A
// parameter named HTTP_* replaces the client's header of that name (an
// empty value drops it).
//
//	Syntax:  uwsgi_modifier1 number;
//	Default: uwsgi_modifier1 0;
//	Context: http, server, location
//
//	Syntax:  uwsgi_modifier2 number;
//	Default: uwsgi_modifier2 0;
//	Context: http, server, location
//
// Set the modifier1 and modifier2 bytes of the packet header (0 to 255).
//
//	Syntax:  uwsgi_string string;
//	Default: —
//	Context: http, server, location
//
// Undocumented in nginx: bytes sent as they are after the vars, counted in
// the packet's size.
//
// TLS (suwsgi://): the handshake follows the connect and is bounded by
// what is left of uwsgi_connect_timeout, as for proxy_pass https://; the
// uwsgi_ssl_* directives are the framework's TLS family
// (upstream.SSLDirectives), the same as proxy_ssl_*: uwsgi_ssl_certificate,
// uwsgi_ssl_certificate_key, uwsgi_ssl_password_file, uwsgi_ssl_ciphers
// (DEFAULT), uwsgi_ssl_protocols (TLSv1.2 TLSv1.3), uwsgi_ssl_crl,
// uwsgi_ssl_name (the host of uwsgi_pass), uwsgi_ssl_server_name (off),
// uwsgi_ssl_session_reuse (on), uwsgi_ssl_trusted_certificate,
// uwsgi_ssl_verify (off), uwsgi_ssl_verify_depth (1); uwsgi_ssl_conf_command
// is an error (Go has no OpenSSL configuration commands).
//
// The upstream framework's shared directives, with the uwsgi_ prefix and
// nginx's defaults (see package upstream): uwsgi_bind,
// uwsgi_buffer_size (4k|8k), uwsgi_buffering (on), uwsgi_buffers (8
// 4k|8k), uwsgi_busy_buffers_size (8k|16k), uwsgi_connect_timeout (60s),
// uwsgi_force_ranges (off), uwsgi_hide_header, uwsgi_ignore_client_abort
// (off), uwsgi_ignore_headers, uwsgi_intercept_errors (off),
// uwsgi_limit_rate (0), uwsgi_max_temp_file_size (1024m),
// uwsgi_next_upstream (error timeout), uwsgi_next_upstream_timeout (0),
// uwsgi_next_upstream_tries (0), uwsgi_pass_header,
// uwsgi_pass_request_body (on), uwsgi_pass_request_headers (on),
// uwsgi_read_timeout (60s), uwsgi_request_buffering (on),
// uwsgi_send_timeout (60s), uwsgi_socket_keepalive (off),
// uwsgi_temp_file_write_size (8k|16k), uwsgi_temp_path (uwsgi_temp), and
// the cache: uwsgi_cache, uwsgi_cache_path, uwsgi_cache_key (no default:
// required with uwsgi_cache), uwsgi_cache_valid, uwsgi_cache_methods,
// uwsgi_cache_min_uses, uwsgi_cache_max_range_offset, uwsgi_cache_bypass,
// uwsgi_no_cache, uwsgi_cache_use_stale, uwsgi_cache_lock,
// uwsgi_cache_lock_timeout, uwsgi_cache_lock_age, uwsgi_cache_revalidate,
// uwsgi_cache_background_update. The X-Accel-* headers are hidden by
// default; Status is not (as in nginx, unlike scgi and fastcgi).
//
// uwsgi_store on | off | string and uwsgi_store_access (user:rw) store a
// complete 200 response as a file (the framework's store, shared with
// proxy_store); they exclude uwsgi_cache, as in nginx.
package uwsgi
