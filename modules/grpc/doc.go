// Package grpc is sluice's ngx_http_grpc_module: it passes requests to a
// gRPC (or any HTTP/2) server through the upstream framework (package
// upstream) and relays the answer, trailers included, with nginx 1.22's
// directives, defaults and log wording.
//
//	location /helloworld.Greeter/ {
//	    grpc_pass grpc://127.0.0.1:50051;
//	}
//
// The protocol is an HTTP/2 client with one stream per request, written
// as nginx writes it, without I/O of its own:
//
//   - frame.go: the frame layer (9-byte header, types, flags, settings,
//     limits) and an incremental frame-header parser that takes input
//     split anywhere.
//   - hpack.go: HPACK as nginx speaks it. The request's fields are
//     encoded as nginx encodes them (static-table indexes for :method,
//     :scheme and :path, literals otherwise, Huffman when shorter); the
//     response may use the static table only, since nginx announces a
//     header table size of 0, and dynamic indexes or table size updates
//     are refused with nginx's messages. Huffman coding is
//     golang.org/x/net/http2/hpack's (the only part of x/net used).
//   - request.go: the connection preface (magic, SETTINGS with header
//     table size 0, push off, initial window 2^31-1, and a connection
//     WINDOW_UPDATE to 2^31-1), one HEADERS frame (CONTINUATION past 16
//     KiB), then the body as DATA frames of at most 16 KiB as far as the
//     peer's windows allow, the last with END_STREAM (an empty DATA frame
//     for an empty body, as nginx sends it). On a kept-alive connection
//     the preface is left out and the stream id is the connection's next
//     odd one.
//   - proto.go: the response. SETTINGS are acknowledged (their initial
//     window size applied), PINGs answered, WINDOW_UPDATEs open the send
//     windows and release held-back body bytes, GOAWAY below our stream
//     and RST_STREAM fail the attempt (next upstream as invalid_header,
//     else 502); the HEADERS (+CONTINUATION) block gives :status and the
//     header lines; DATA frames are the body, a final HEADERS frame with
//     END_STREAM the trailers. The receive windows are opened again with
//     WINDOW_UPDATE when they fall under a quarter of 2^31-1.
//
// The protocol writes through the framework's upstream.Writer capability:
// Connected fits the request to the connection (preface or not, stream
// id, DATA frames within the windows), Outgoing returns the control
// frames and buffered body bytes to send after each read. A body streamed
// as it arrives goes out from SendBody (upstream.BodySender), which the
// framework runs on a goroutine of its own while the response is read
// (bidirectional streaming RPCs work as through nginx): it waits for the
// windows with upstream.WaitSendable, which the WINDOW_UPDATE and SETTINGS
// frames the response side reads wake. The connection's state
// (last stream id, windows) lives in the framework's per-connection slot,
// Upstream.ConnData, so an upstream{} keepalive pool reuses connections
// for new streams as nginx does.
//
// Trailers go to an HTTP/1.1 client at the end of a chunked response
// (ngx_http_upstream_process_trailers with pass_trailers on, and the
// chunked filter): a response with a Content-Length from the server, or
// to an HTTP/1.0 client, carries none. The request carries TE: trailers
// when the client's TE asks for them ($grpc_internal_trailers).
//
// Directives
//
//	Syntax:  grpc_pass address;
//	Default: —
//	Context: location, if in location
//
// Sets the gRPC server address: host:port or grpc://host:port,
// grpcs://host:port (TLS, ALPN h2), unix:/path, the name of an upstream{}
// group, or a value with variables (an address, a known upstream, or a
// name resolved with resolver). :authority is the address as written
// ("localhost" for a unix socket) unless grpc_set_header sets Host.
//
//	Syntax:  grpc_set_header field value;
//	Default: grpc_set_header Content-Length $content_length;
//	         grpc_set_header TE $grpc_internal_trailers;
//	         grpc_set_header Host "";
//	         grpc_set_header Connection "";
//	         grpc_set_header Transfer-Encoding "";
//	         grpc_set_header Keep-Alive "";
//	         grpc_set_header Expect "";
//	         grpc_set_header Upgrade "";
//	Context: http, server, location
//
// Redefines or appends fields to the request header passed to the gRPC
// server; a field whose value is empty is not sent. A level with no
// grpc_set_header inherits all of its parent's. Header names are sent in
// lower case.
//
// The upstream framework's shared directives, with the grpc_ prefix and
// nginx's defaults (see package upstream): grpc_bind,
// grpc_buffer_size (4k|8k), grpc_connect_timeout (60s),
// grpc_hide_header, grpc_ignore_headers, grpc_intercept_errors (off),
// grpc_next_upstream (error timeout), grpc_next_upstream_timeout (0),
// grpc_next_upstream_tries (0), grpc_pass_header, grpc_read_timeout (60s),
// grpc_send_timeout (60s), grpc_socket_keepalive (off). The Date, Server
// and X-Accel-* headers are hidden by default. nginx's fixed values hold:
// no response buffering (X-Accel-Buffering is not honoured), no temp
// files, trailers passed.
//
// grpc_ssl_* are the framework's TLS family (upstream.SSLDirectives), as
// proxy_ssl_*: grpc_ssl_certificate, grpc_ssl_certificate_key,
// grpc_ssl_password_file, grpc_ssl_ciphers (DEFAULT), grpc_ssl_protocols
// (TLSv1.2 TLSv1.3), grpc_ssl_crl, grpc_ssl_name (the host of grpc_pass),
// grpc_ssl_server_name (off), grpc_ssl_session_reuse (on),
// grpc_ssl_trusted_certificate, grpc_ssl_verify (off),
// grpc_ssl_verify_depth (1); grpc_ssl_conf_command is an error (Go has no
// OpenSSL configuration commands).
//
// # Variables
//
// $grpc_internal_trailers is "trailers" when the client's TE header
// contains "trailers", else not found.
//
// # Differences from nginx
//
// A response header field whose name is empty (a Huffman-coded empty
// string) is dropped, as nginx's header filters never output it; nginx
// accepts a Huffman-coded string padded with a whole byte of ones, and so
// does sluice.
package grpc
