// Package realip is nginx's ngx_http_realip_module: when a request comes
// from a trusted address (set_real_ip_from), the client address is taken
// from a request header (X-Real-IP by default, X-Forwarded-For, or any
// header) and replaces the connection's for the rest of the request, so
// $remote_addr, $binary_remote_addr, allow/deny, ip_hash and the
// "client:" of error log lines see it. $realip_remote_addr and
// $realip_remote_port keep the connection's own address and port.
//
// The handler runs in the post-read phase with the server's settings and
// again in the preaccess phase with the location's, unless the address
// was already replaced (as nginx). With X-Forwarded-For the rightmost
// address is taken; with real_ip_recursive on, trusted addresses are
// skipped from the right, over every X-Forwarded-For line. An address
// may carry a port ("192.0.2.1:8000", "[2001:db8::1]:8000"), which then
// becomes $remote_port; without one $remote_port is empty.
//
// With "real_ip_header proxy_protocol" the address and port come from the
// connection's PROXY protocol header (a "listen ... proxy_protocol"
// address), when the balancer that sent it is trusted.
//
// Directives
//
//	Syntax:  set_real_ip_from address | CIDR | unix: | hostname;
//	Context: http, server, location
//
//	Syntax:  real_ip_header field | X-Real-IP | X-Forwarded-For | proxy_protocol;
//	Default: real_ip_header X-Real-IP;
//	Context: http, server, location
//
//	Syntax:  real_ip_recursive on | off;
//	Default: real_ip_recursive off;
//	Context: http, server, location
package realip
