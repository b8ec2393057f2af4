// Package tlsconf turns the TLS settings of nginx.conf into Go's
// crypto/tls terms, for the server side (ssl_*) and for upstreams
// (proxy_ssl_*) alike: the protocol list of ssl_protocols, the OpenSSL
// cipher list of ssl_ciphers, the names $ssl_protocol and $ssl_cipher
// report, and the loading of PEM certificates, keys and CA bundles with
// nginx's error texts.
//
// Go's crypto/tls is not OpenSSL: a protocol list is a range (a gap such
// as "TLSv1 TLSv1.2" enables TLSv1.1 too), SSLv2 and SSLv3 do not exist,
// TLS 1.3 suites are not configurable, and only the suites Go implements
// can be selected. docs/compat.md lists these differences.
package tlsconf
