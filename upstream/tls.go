package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
	"time"

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
			c, err := tlsconf.LoadCertificate(fullName(tc.ConfPrefix, cert), fullName(tc.ConfPrefix, key), tc.Passwords)
			if err != nil {
				nc.Close()
				r.Log().Logf(errlog.Error, r, nil, "%v", err)
				u.finalizeLater = 500
				return ftInternal
			}
			// sent whenever the server asks, as OpenSSL does
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
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

// fullName makes a file name evaluated from variables absolute
// (ngx_get_full_name with the configuration prefix).
func fullName(prefix, name string) string {
	if name == "" || name[0] == '/' {
		return name
	}
	return prefix + name
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
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil {
		if v := reflect.ValueOf(oe.Err); v.Kind() == reflect.Uint8 {
			n := int(v.Uint())
			if text, ok := alertTexts[n]; ok {
				return fmt.Sprintf("error:0A%06X:SSL routines::%s:SSL alert number %d", 1000+n, text, n)
			}
		}
	}
	return strings.TrimPrefix(err.Error(), "tls: ")
}

// alertTexts are OpenSSL's reason texts for the alerts a peer sends
// (SSL_AD_REASON_OFFSET + alert).
var alertTexts = map[int]string{
	0:   "sslv3 alert close notify",
	10:  "sslv3 alert unexpected message",
	20:  "sslv3 alert bad record mac",
	22:  "tlsv1 alert record overflow",
	30:  "sslv3 alert decompression failure",
	40:  "sslv3 alert handshake failure",
	42:  "sslv3 alert bad certificate",
	43:  "sslv3 alert unsupported certificate",
	44:  "sslv3 alert certificate revoked",
	45:  "sslv3 alert certificate expired",
	46:  "sslv3 alert certificate unknown",
	47:  "sslv3 alert illegal parameter",
	48:  "tlsv1 alert unknown ca",
	49:  "tlsv1 alert access denied",
	50:  "tlsv1 alert decode error",
	51:  "tlsv1 alert decrypt error",
	70:  "tlsv1 alert protocol version",
	71:  "tlsv1 alert insufficient security",
	80:  "tlsv1 alert internal error",
	86:  "tlsv1 alert inappropriate fallback",
	90:  "tlsv1 alert user cancelled",
	100: "tlsv1 alert no renegotiation",
	109: "tlsv13 alert missing extension",
	110: "tlsv1 unsupported extension",
	112: "tlsv1 unrecognized name",
	116: "tlsv13 alert certificate required",
	120: "tlsv1 alert no application protocol",
}
