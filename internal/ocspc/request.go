package ocspc

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/netip"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/ngxurl"
)

// Responder is an OCSP responder's address: an http:// URL as
// ssl_stapling_responder, ssl_ocsp_responder or a certificate's
// authorityInfoAccess gives it.
type Responder struct {
	// Host is the URL's host, sent in the Host header and named in logs.
	Host string
	// URI is the URL's path ("/" when it has none); the request is
	// appended to it.
	URI string
	// Port is the URL's port, 80 by default.
	Port int
	// Addrs are the addresses known without the resolver: the literal
	// address, or those the system resolver gave at configuration time.
	Addrs []ngxurl.Addr
}

// ErrPrefix is a responder URL that is not http:// (nginx's "invalid URL
// prefix").
var ErrPrefix = errors.New("invalid URL prefix")

// ParseResponder parses a responder URL as nginx does (ngx_parse_url with
// port 80 and a URI part after the "http://" prefix, any case). It
// returns the part after the prefix too, which nginx's messages quote;
// noResolve leaves a host name without addresses. Its errors are
// ErrPrefix or ngx_parse_url's texts ("invalid port", "host not found").
func ParseResponder(url string, noResolve bool, lookup func(string) ([]netip.Addr, error)) (*Responder, string, error) {
	rest := url
	if len(url) <= 7 || !ascii.EqualFold(url[:7], "http://") {
		return nil, rest, ErrPrefix
	}
	rest = url[7:]
	u, err := ngxurl.Parse(rest, ngxurl.Options{DefaultPort: 80, URIPart: true, NoResolve: noResolve, Lookup: lookup})
	if err != nil {
		return nil, rest, err
	}
	r := &Responder{Host: u.Host, URI: u.URI, Port: u.Port, Addrs: u.Addrs}
	if r.URI == "" {
		r.URI = "/"
	}
	return r, rest, nil
}

// CertResponder is the first OCSP responder URL of a certificate's
// authorityInfoAccess (X509_get1_ocsp), "" when it has none.
func CertResponder(c *x509.Certificate) string {
	if len(c.OCSPServer) == 0 {
		return ""
	}
	return c.OCSPServer[0]
}

// NewRequest is the DER OCSP request nginx sends for cert
// (ngx_ssl_ocsp_create_request): one SHA-1 CertID, no nonce.
func NewRequest(cert, issuer *x509.Certificate) ([]byte, error) {
	return xocsp.CreateRequest(cert, issuer, nil)
}

// httpRequest is the HTTP/1.0 GET nginx sends: the URI, a '/' unless it
// ends with one, the request in base64 escaped as a URI component ('+',
// '/' and '=' encoded), and the Host header.
func httpRequest(r *Responder, der []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(der)
	b := make([]byte, 0, len("GET ")+len(r.URI)+1+3*len(enc)+len(" HTTP/1.0\r\nHost: \r\n\r\n")+len(r.Host))
	b = append(b, "GET "...)
	b = append(b, r.URI...)
	if r.URI[len(r.URI)-1] != '/' {
		b = append(b, '/')
	}
	b = http1.Escape(b, []byte(enc), http1.EscapeURIComponent)
	b = append(b, " HTTP/1.0\r\nHost: "...)
	b = append(b, r.Host...)
	return append(b, "\r\n\r\n"...)
}
