// Package fastcgi is sluice's ngx_http_fastcgi_module: it passes requests
// to a FastCGI server (PHP-FPM, Go's net/http/fcgi, ...) through the
// upstream framework (package upstream) and relays the answer, with
// nginx's directives, defaults, variables and log wording.
//
// The request is FCGI_BEGIN_REQUEST (responder role, FCGI_KEEP_CONN with
// fastcgi_keep_conn on), the FCGI_PARAMS stream — the fastcgi_param lines,
// then each client header as HTTP_NAME unless a param sets that name —
// and the FCGI_STDIN stream with the body in records of up to 32 KiB (or
// streamed as it arrives with fastcgi_request_buffering off). The response
// records are decoded as they arrive, split across reads at any byte:
// FCGI_STDOUT carries a CGI head ("Status: 404 Not Found", else 302 with
// a Location, else 200) then the body, FCGI_STDERR is logged
// ("FastCGI sent in stderr: ..."), FCGI_END_REQUEST ends the body. The
// parts fastcgi shares with scgi and uwsgi (params, HTTP_ headers, hidden
// headers, the CGI head parser) are in modules/internal/cgi.
//
// Files: module.go (the module, confs, merge), pass.go (fastcgi_pass, on
// cgiup.Pass, shared with scgi and uwsgi), record.go (the record layer: encoding and the incremental decoder),
// request.go (the handler, create_request, body streaming), response.go
// (process_header and the body filter), split.go
// (fastcgi_split_path_info and its variables).
//
// Directives
//
//	Syntax:  fastcgi_pass address;
//	Default: —
//	Context: location, if in location
//
// Sets the address of a FastCGI server: host:port, unix:/path, or the
// name of an upstream{} group; with variables, evaluated per request (a
// name not matching a group is resolved with the resolver).
//
//	Syntax:  fastcgi_param parameter value [if_not_empty];
//	Default: —
//	Context: http, server, location
//
// Sets a parameter passed to the FastCGI server. The value may hold
// variables; with if_not_empty an empty value is not passed. A level with
// no fastcgi_param inherits all of its parent's. HTTP_NAME params replace
// the client's header of that name; with an empty value they only hide it.
//
//	Syntax:  fastcgi_index name;
//	Default: —
//	Context: http, server, location
//
// A file name appended to a URI ending with a slash in
// $fastcgi_script_name.
//
//	Syntax:  fastcgi_split_path_info regex;
//	Default: —
//	Context: http, server, location
//
// A regular expression (Go's RE2) with two captures: the first is
// $fastcgi_script_name, the second $fastcgi_path_info.
//
//	Syntax:  fastcgi_keep_conn on | off;
//	Default: fastcgi_keep_conn off;
//	Context: http, server, location
//
// Asks the server to keep the connection open (FCGI_KEEP_CONN): with an
// upstream keepalive pool, connections are reused once FCGI_END_REQUEST
// was received.
//
//	Syntax:  fastcgi_catch_stderr string;
//	Default: —
//	Context: http, server, location
//
// A string looked for in FCGI_STDERR before the head: found, the response
// is invalid (fastcgi_next_upstream invalid_header, else 502).
//
// The shared upstream directives, with the fastcgi_ prefix and nginx's
// defaults (see package upstream): fastcgi_connect_timeout,
// fastcgi_send_timeout, fastcgi_read_timeout, fastcgi_send_lowat,
// fastcgi_buffer_size, fastcgi_buffers, fastcgi_busy_buffers_size,
// fastcgi_buffering, fastcgi_request_buffering, fastcgi_limit_rate,
// fastcgi_temp_path, fastcgi_max_temp_file_size,
// fastcgi_temp_file_write_size, fastcgi_next_upstream,
// fastcgi_next_upstream_tries, fastcgi_next_upstream_timeout,
// fastcgi_pass_request_headers, fastcgi_pass_request_body,
// fastcgi_ignore_client_abort, fastcgi_intercept_errors,
// fastcgi_force_ranges, fastcgi_socket_keepalive, fastcgi_bind,
// fastcgi_hide_header, fastcgi_pass_header, fastcgi_ignore_headers
// (Status and X-Accel-* are hidden by default), fastcgi_store,
// fastcgi_store_access, and the cache family: fastcgi_cache_path,
// fastcgi_cache, fastcgi_cache_key (no default: nginx warns when
// fastcgi_cache has none and uses an empty key), fastcgi_cache_valid,
// fastcgi_cache_methods, fastcgi_cache_min_uses,
// fastcgi_cache_max_range_offset, fastcgi_cache_bypass, fastcgi_no_cache,
// fastcgi_cache_use_stale, fastcgi_cache_lock, fastcgi_cache_lock_timeout,
// fastcgi_cache_lock_age, fastcgi_cache_revalidate,
// fastcgi_cache_background_update.
//
// Variables: $fastcgi_script_name (the URI, or the first capture of
// fastcgi_split_path_info; fastcgi_index appended when it ends with a
// slash) and $fastcgi_path_info (the second capture).
package fastcgi
