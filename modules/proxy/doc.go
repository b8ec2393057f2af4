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
// cookie.go (proxy_cookie_domain/path/flags), store.go (proxy_store),
// vars.go ($proxy_* variables).
//
// Not implemented, and left unknown so that configurations using them fail
// loudly (and nginx-tests skip their files): proxy_cache*, proxy_no_cache,
// proxy_ssl* and https:// upstreams ("https protocol requires SSL support"),
// proxy_http_version 2.
package proxy
