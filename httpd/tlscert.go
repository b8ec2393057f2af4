package httpd

import (
	"crypto/tls"
	"errors"

	"github.com/sluicehq/sluice/errlog"
)

// InHandshake runs f with a request made for the connection whose TLS
// handshake sent hello, as nginx's certificate callback allocates one
// (ngx_http_ssl_certificate): the request is in the server the SNI name
// chose, complex values evaluated on it see the connection's variables,
// and r.TLS() holds what the ClientHello told ($ssl_server_name,
// $ssl_ciphers, $ssl_curves). log is the connection's context, whose lines
// end "while SSL handshaking, client: ..., server: ...". The request is
// not logged and lives only for the call. InHandshake reports false when
// hello did not come from a sluice connection's handshake.
func InHandshake(hello *tls.ClientHelloInfo, f func(r *Request, log errlog.Context)) bool {
	pc, ok := hello.Conn.(*preConn)
	if !ok {
		return false
	}
	c := pc.c
	c.tls.info = &TLSInfo{ServerName: c.tls.hello.serverName, Ciphers: c.tls.hello.ciphers, Curves: c.tls.hello.curves}
	defer func() { c.tls.info = nil }()
	r := new(Request)
	c.newRequest(r)
	f(r, c)
	return true
}

// ErrCertCallback is what a tls.Config.GetCertificate returns when it
// could not give the handshake a certificate and has logged why: the
// failed handshake is then logged as nginx logs a failed certificate
// callback ("cert cb error").
var ErrCertCallback = errors.New("sluice: certificate callback failed")
