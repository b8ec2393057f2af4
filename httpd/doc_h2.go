package httpd

// HTTP/2 (the V2 module, nginx's ngx_http_v2_module): "listen ... http2"
// (nginx 1.22) or "http2 on" (nginx 1.25.1+) serve HTTP/2 over TLS when
// the client picks "h2" by ALPN, and on a plain address to a client whose
// first bytes are the HTTP/2 preface. The frame layer and the request-head
// checks are package http2; the connection loop is h2conn.go and
// h2frames.go, a stream's request h2stream.go, its response frames
// h2_output.go.
//
// Directives
//
//	Syntax:  http2 on | off;
//	Default: http2 off;
//	Context: http, server
//
//	Syntax:  http2_body_preread_size size;
//	Default: http2_body_preread_size 64k;
//	Context: http, server
//
//	Syntax:  http2_chunk_size size;
//	Default: http2_chunk_size 8k;
//	Context: http, server, location
//
//	Syntax:  http2_max_concurrent_streams number;
//	Default: http2_max_concurrent_streams 128;
//	Context: http, server
//
//	Syntax:  http2_recv_buffer_size size;
//	Default: http2_recv_buffer_size 256k;
//	Context: http
//
//	Syntax:  http2_pool_size size;
//	Default: http2_pool_size 4k;
//	Context: http, server
//
//	Syntax:  http2_streams_index_size number;
//	Default: http2_streams_index_size 32;
//	Context: http, server
//
// Obsolete, accepted with nginx's warning: http2_recv_timeout,
// http2_idle_timeout, http2_max_requests, http2_max_field_size,
// http2_max_header_size ("use the ... directive instead"), http2_push,
// http2_push_preload, http2_max_concurrent_pushes ("is obsolete,
// ignored"). Variable: $http2 ("h2", "h2c" or empty).
