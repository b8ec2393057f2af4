package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// TLSConf is a location's configuration of TLS connections to upstream
// servers (nginx's u->conf->ssl with the ssl_* fields of
// ngx_http_upstream_conf_t), built by the module when it merges its
// configuration. An exchange uses it when the protocol sets
// Upstream.TLS (proxy_pass https://...).
type TLSConf struct {
	// Config is the client configuration every connection starts from:
	// versions, cipher suites, a certificate without variables, the
	// session cache (nil with session_reuse off). Verification is not
	// Go's (InsecureSkipVerify is set): nginx completes the handshake
	// whatever the certificate and then checks it (Verify).
	Config *tls.Config
	// ServerName sends the name in the server name extension (SNI,
	// ssl_server_name).
	ServerName bool
	// Name is ssl_name; nil means the upstream's host (Upstream.TLSName).
	Name *httpd.Complex
	// Verify, when set, checks the peer's certificate chain, and its name
	// (ssl_verify with ssl_trusted_certificate, ssl_verify_depth,
	// ssl_crl).
	Verify *tlsconf.Verifier
	// Certificate and CertificateKey are ssl_certificate and
	// ssl_certificate_key when either has variables: evaluated for each
	// new connection (a certificate without variables is in Config).
	// Passwords decrypt the key (ssl_password_file).
	Certificate, CertificateKey *httpd.Complex
	Passwords                   []string
	// ConfPrefix makes relative certificate paths absolute.
	ConfPrefix string
}

// actionSSLHandshaking is the action of the TLS handshake in log lines.
const actionSSLHandshaking = "SSL handshaking to upstream"

// sslName is the name for SNI and the certificate check
// (ngx_http_upstream_ssl_name): ssl_name or the upstream's host, without a
// port.
func (u *Upstream) sslName(tc *TLSConf) string {
	name := u.TLSName
	if tc.Name != nil {
		name = tc.Name.Eval(u.R)
	}
	p := 0
	if strings.HasPrefix(name, "[") {
		if i := strings.IndexByte(name, ']'); i >= 0 {
			p = i
		}
	}
	if i := strings.IndexByte(name[p:], ':'); i >= 0 {
		name = name[:p+i]
	}
	return name
}

// sniName is the name sent in SNI, "" for none: as per RFC 6066, literal
// IPv4 and IPv6 addresses are not sent.
func sniName(name string) string {
	if name == "" || name[0] == '[' {
		return ""
	}
	if ip := net.ParseIP(name); ip != nil {
		return ""
	}
	return name
}

// handshake makes nc a TLS connection and installs it as the attempt's
// connection (ngx_http_upstream_ssl_init_connection and
// ngx_http_upstream_ssl_handshake). The handshake is bounded by what is
// left of connect_timeout since the connect began, as nginx's connect
// timer goes on bounding it.
func (u *Upstream) handshake(nc net.Conn, start time.Time) uint32 {
	r := u.R
	tc := u.Conf.TLS
	if tc == nil || tc.Config == nil {
		nc.Close()
		r.Log().Logf(errlog.Alert, r, nil, "no SSL configuration for an upstream over SSL")
		u.finalizeLater = 500
		return ftInternal
	}
	cfg := tc.Config.Clone()
	name := ""
	if tc.ServerName || tc.Verify != nil {
		name = u.sslName(tc)
		if tc.ServerName {
			cfg.ServerName = sniName(name)
		}
	}
	if tc.Certificate != nil {
		if cert := tc.Certificate.Eval(r); cert != "" {
			key := tc.CertificateKey.Eval(r)
			c, err := tc.LoadCertificate(cert, key)
			if err != nil {
				nc.Close()
				r.Log().Logf(errlog.Error, r, nil, "%v", err)
				u.finalizeLater = 500
				return ftInternal
			}
			SendCertificate(cfg, &c)
		}
	}
	c := &Conn{Conn: tls.Client(nc, cfg), Start: time.Now(), tcp: nc}
	u.setConn(c)
	u.setAction(actionSSLHandshaking)
	c.SetDeadline(start.Add(u.Conf.ConnectTimeout.Get()))
	err := c.Conn.(*tls.Conn).Handshake()
	// the exchange arms its own deadlines (lazily) from here on
	c.SetDeadline(time.Time{})
	if err != nil {
		if isTimeout(err) {
			return FtTimeout
		}
		logHandshakeError(r, err)
		return FtError
	}
	if tc.Verify != nil {
		certs := c.Conn.(*tls.Conn).ConnectionState().PeerCertificates
		if err := tc.Verify.Verify(certs); err != nil {
			r.Log().Logf(errlog.Error, r, nil, "upstream SSL certificate verify error: %v", err)
			return FtError
		}
		if len(certs) == 0 || !tlsconf.CheckHost(certs[0], name) {
			r.Log().Logf(errlog.Error, r, nil, "upstream SSL certificate does not match \"%s\"", name)
			return FtError
		}
	}
	return 0
}

// LoadCertificate loads a client certificate and its key as
// proxy_ssl_certificate and proxy_ssl_certificate_key name them (or their
// values): relative to ConfPrefix, the key decrypted with Passwords.
func (tc *TLSConf) LoadCertificate(cert, key string) (tls.Certificate, error) {
	return tlsconf.LoadCertificate(fullName(tc.ConfPrefix, cert), fullName(tc.ConfPrefix, key), tc.Passwords)
}

// SendCertificate makes cfg send c whenever the server asks, whatever CAs
// it names, as OpenSSL does (Go's default would send none when the
// server's list does not name the issuer).
func SendCertificate(cfg *tls.Config, c *tls.Certificate) {
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
}

// fullName makes a file name absolute, relative to the configuration
// prefix (ngx_conf_full_name); an empty name (a variable that evaluated
// to nothing) stays empty.
func fullName(prefix, name string) string {
	if name == "" {
		return name
	}
	return conf.FullName(prefix, name)
}

// logHandshakeError logs a failed handshake as nginx's ngx_ssl_handshake
// does: a close by the peer as "peer closed connection in SSL handshake",
// anything else as SSL_do_handshake() failed with OpenSSL's text where
// Go's error has a counterpart.
func logHandshakeError(r *httpd.Request, err error) {
	var en syscall.Errno
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.Log().Logf(errlog.Error, r, nil, "peer closed connection in SSL handshake")
	case errors.As(err, &en):
		r.Log().Logf(errlog.Error, r, en, "peer closed connection in SSL handshake")
	default:
		r.Log().Logf(errlog.Error, r, nil, "SSL_do_handshake() failed (SSL: %s)", SSLErrorText(err))
	}
}

// logIOError logs a failed read or write on an upstream connection: with
// the system call's name for a plain connection, with OpenSSL's function
// for a TLS one (SSL_read() failed (104: Connection reset by peer), or
// with the TLS error's text).
func logIOError(r *httpd.Request, c *Conn, err error, plain, overTLS string) {
	if c == nil || c.tcp == nil {
		r.Log().Logf(errlog.Error, r, syscallErr(err), "%s", plain)
		return
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		r.Log().Logf(errlog.Error, r, en, "%s", overTLS)
		return
	}
	r.Log().Logf(errlog.Error, r, nil, "%s (SSL: %s)", overTLS, SSLErrorText(err))
}

// SSLErrorText renders a TLS error of Go's as OpenSSL 3 reports the same
// failure where there is one ("error:0A00010B:SSL routines::wrong version
// number"), else as Go words it.
func SSLErrorText(err error) string {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		// a peer that answers with something other than TLS
		return "error:0A00010B:SSL routines::wrong version number"
	}
	if n, _, ok := tlsconf.RemoteAlert(err); ok {
		if reason, ok := tlsconf.AlertReason(n); ok {
			return fmt.Sprintf("error:0A%06X:SSL routines::%s:SSL alert number %d", 1000+n, reason, n)
		}
	}
	return strings.TrimPrefix(err.Error(), "tls: ")
}
