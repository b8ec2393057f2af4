// Package proxy is sluice's ngx_http_proxy_module: it passes requests to an
// HTTP/1.x server through the upstream framework (package upstream) and
// relays the answer, with nginx's directives, defaults, variables and log
// wording.
//
// The module is a content handler installed by proxy_pass. For each request
// it builds the upstream request exactly as nginx does (method, request line
// with the URI rules of proxy_pass, proxy_set_header list, client headers,
// body or proxy_set_body, optional streaming of the body with
// proxy_request_buffering off), and parses the response as nginx's proxy
// does: status line (HTTP/0.9 answers passed raw), header lines, 103 Early
// Hints skipped, body framing by Content-Length, chunked coding (with
// trailers for proxy_pass_trailers) or connection close, 101 Switching
// Protocols handed to the framework's tunnel.
//
// Files: module.go (the module, confs, merge), pass.go (proxy_pass, the URL
// and where requests go), headers.go (proxy_set_header and friends),
// request.go (the handler, create_request, body streaming), response.go
// (status line and headers), body.go (chunked decoding and trailers),
// redirect.go (proxy_redirect and the rewrite rules shared with cookies),
// cookie.go (proxy_cookie_domain/path/flags),
// vars.go ($proxy_* variables), ssl.go (the proxy_ssl_* directives and the
// TLS configuration of https:// upstreams).
//
// TLS to upstreams: proxy_pass https://host[:port]/uri, https://$var and
// https://group (default port 443) go over TLS with Go's crypto/tls. The
// handshake follows the connect (upstream/tls.go) and is bounded by what is
// left of proxy_connect_timeout; its failure is an "error" for
// proxy_next_upstream. The directives, as in nginx 1.29:
//
//	proxy_ssl_server_name on | off (off)    send the name in SNI (never an IP address)
//	proxy_ssl_name name ($proxy_host)       the name for SNI and the certificate check; variables allowed; a port is stripped
//	proxy_ssl_verify on | off (off)         verify the chain and the name after the handshake
//	proxy_ssl_verify_depth n (1)            intermediates allowed between the peer's certificate and the anchor
//	proxy_ssl_trusted_certificate file      CA certificates (PEM) for proxy_ssl_verify (required with it)
//	proxy_ssl_crl file                      CRLs (PEM); every CA of the chain needs one, as with OpenSSL's CRL_CHECK_ALL
//	proxy_ssl_certificate file              client certificate (PEM, with its chain); variables allowed
//	proxy_ssl_certificate_key file          its key; variables allowed
//	proxy_ssl_password_file file            passphrases for traditionally encrypted PEM keys
//	proxy_ssl_protocols ... (TLSv1.2 TLSv1.3) a version range in Go (SSLv2 and SSLv3 do not exist)
//	proxy_ssl_ciphers list (DEFAULT)        OpenSSL's list format, mapped to Go's TLS 1.2 suites (internal/tlsconf)
//	proxy_ssl_session_reuse on | off (on)   TLS session resumption, one Go client session cache per TLS configuration
//	proxy_ssl_conf_command name value       an error: Go has no OpenSSL configuration commands
//
// docs/compat.md lists where this differs from nginx with OpenSSL.
//
// Not implemented, and left unknown so that configurations using them fail
// loudly (and nginx-tests skip their files): proxy_http_version 2,
// proxy_ssl_certificate_cache.
package proxy
