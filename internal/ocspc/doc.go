// Package ocspc is sluice's OCSP client, nginx's ngx_event_openssl_stapling.c
// without the TLS callbacks: it asks an OCSP responder for a certificate's
// status over HTTP/1.0 GET (the responder's name resolved with the
// "resolver" directive's servers), parses and verifies the DER response as
// OpenSSL's OCSP_basic_verify does for nginx (the three ways nginx calls
// it: no chain check for ssl_stapling, trusting the configured chain for
// ssl_stapling_verify, a full check for ssl_ocsp), and logs every failure
// with nginx's wording, level and context (" while requesting certificate
// status, responder: ..., peer: ..., certificate: ...").
//
// The ssl module uses it for OCSP stapling and for checking client
// certificates (ssl_ocsp); Cache is ssl_ocsp_cache.
package ocspc
