// Package ssl is nginx's ngx_http_ssl_module on Go's crypto/tls: the
// directives that give a server its certificates and TLS settings, and
// the $ssl_ variables. The framework (package httpd) runs the handshake
// on "listen ... ssl" addresses, chooses the virtual server by SNI and
// answers plain HTTP sent to such a port with 497 (400 "The plain HTTP
// request was sent to HTTPS port").
//
// Each server with certificates gets its own tls.Config (nginx's SSL_CTX):
// its certificates (several, e.g. RSA and ECDSA: Go picks the first the
// client supports), the version range of ssl_protocols, the TLS 1.2
// suites of ssl_ciphers (an OpenSSL cipher list; TLS 1.3 suites are not
// configurable), the groups of ssl_ecdh_curve, session tickets in nginx's
// layout (keys from ssl_session_ticket_key, or generated and, with a
// shared session cache, shared by its servers and rotated; lifetime
// ssl_session_timeout) or, with tickets off and a session cache, sessions
// kept by the server (sessions.go), and the ALPN
// protocols nginx accepts for HTTP/1 (http/1.1, http/1.0, http/0.9).
// Certificates named with variables are loaded for each handshake
// (certvars.go): the names are evaluated on a request made for the
// connection (httpd.InHandshake), as nginx's certificate callback does.
// What Go cannot do is accepted where nginx would accept a build without
// it (ssl_early_data is ignored with a warning, so are the
// ssl_conf_command commands Go has no setting for (confcmd.go));
// docs/compat.md lists the differences.
//
// OCSP (package internal/ocspc is the client): with ssl_stapling each
// certificate's response is fetched from its responder (its AIA, or
// ssl_stapling_responder; the name resolved with "resolver") when a client
// first asks for one, stapled while valid and refreshed as nginx does
// (stapling.go); ssl_stapling_file staples a fixed response. With
// ssl_ocsp the client's verified chain is checked by OCSP after the
// handshake and before the first request, through ssl_ocsp_cache
// (ocsp.go).
//
// Variables: $ssl_protocol, $ssl_cipher, $ssl_ciphers, $ssl_curve,
// $ssl_curves, $ssl_session_id (always empty: Go keeps no session IDs),
// $ssl_session_reused, $ssl_early_data (always empty), $ssl_server_name,
// $ssl_alpn_protocol; with ssl_verify_client, $ssl_client_verify,
// $ssl_client_s_dn, $ssl_client_i_dn (and their _legacy forms),
// $ssl_client_serial,
// $ssl_client_fingerprint, $ssl_client_cert, $ssl_client_raw_cert,
// $ssl_client_escaped_cert, $ssl_client_v_start, $ssl_client_v_end and
// $ssl_client_v_remain. $https and $scheme are the framework's.
//
// Client certificates are requested in the handshake and verified after
// it (crypto/x509, against the CAs of ssl_client_certificate and
// ssl_trusted_certificate, ssl_verify_depth deep), so that a failure is
// the request's 495 or 496, as nginx answers it.
//
// Directives
//
//	Syntax:  ssl_buffer_size size;
//	Default: ssl_buffer_size 16k;
//	Context: http, server
//
//	Syntax:  ssl_certificate file;
//	Context: http, server
//
//	Syntax:  ssl_certificate_cache off;
//	         ssl_certificate_cache max=N [inactive=time] [valid=time];
//	Default: ssl_certificate_cache off;
//	Context: http, server
//
//	Syntax:  ssl_certificate_compression on | off;
//	Default: ssl_certificate_compression off;
//	Context: http, server
//
//	Syntax:  ssl_certificate_key file;
//	Context: http, server
//
//	Syntax:  ssl_ciphers ciphers;
//	Default: ssl_ciphers HIGH:!aNULL:!MD5;
//	Context: http, server
//
//	Syntax:  ssl_client_certificate file;
//	Context: http, server
//
//	Syntax:  ssl_conf_command name value;
//	Context: http, server
//
//	Syntax:  ssl_crl file;
//	Context: http, server
//
//	Syntax:  ssl_dhparam file;
//	Context: http, server
//
//	Syntax:  ssl_early_data on | off;
//	Default: ssl_early_data off;
//	Context: http, server
//
//	Syntax:  ssl_ecdh_curve curve;
//	Default: ssl_ecdh_curve auto;
//	Context: http, server
//
//	Syntax:  ssl_ocsp on | off | leaf;
//	Default: ssl_ocsp off;
//	Context: http, server
//
//	Syntax:  ssl_ocsp_cache off | [shared:name:size];
//	Default: ssl_ocsp_cache off;
//	Context: http, server
//
//	Syntax:  ssl_ocsp_responder url;
//	Context: http, server
//
//	Syntax:  ssl_password_file file;
//	Context: http, server
//
//	Syntax:  ssl_prefer_server_ciphers on | off;
//	Default: ssl_prefer_server_ciphers off;
//	Context: http, server
//
//	Syntax:  ssl_protocols [SSLv2] [SSLv3] [TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3];
//	Default: ssl_protocols TLSv1.2 TLSv1.3;
//	Context: http, server
//
//	Syntax:  ssl_reject_handshake on | off;
//	Default: ssl_reject_handshake off;
//	Context: http, server
//
//	Syntax:  ssl_session_cache off | none | [builtin[:size]] [shared:name:size];
//	Default: ssl_session_cache none;
//	Context: http, server
//
//	Syntax:  ssl_session_ticket_key file;
//	Context: http, server
//
//	Syntax:  ssl_session_tickets on | off;
//	Default: ssl_session_tickets on;
//	Context: http, server
//
//	Syntax:  ssl_session_timeout time;
//	Default: ssl_session_timeout 5m;
//	Context: http, server
//
//	Syntax:  ssl_stapling on | off;
//	Default: ssl_stapling off;
//	Context: http, server
//
//	Syntax:  ssl_stapling_file file;
//	Context: http, server
//
//	Syntax:  ssl_stapling_responder url;
//	Context: http, server
//
//	Syntax:  ssl_stapling_verify on | off;
//	Default: ssl_stapling_verify off;
//	Context: http, server
//
//	Syntax:  ssl_trusted_certificate file;
//	Context: http, server
//
//	Syntax:  ssl_verify_client on | off | optional | optional_no_ca;
//	Default: ssl_verify_client off;
//	Context: http, server
//
//	Syntax:  ssl_verify_depth number;
//	Default: ssl_verify_depth 1;
//	Context: http, server
package ssl
