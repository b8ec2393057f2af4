package ssl

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// mainConf caches certificates loaded for the http block: servers that
// inherit the same pair share one load.
type mainConf struct {
	certs map[[2]string]loaded
	// names are the files the certificates were loaded from
	names map[*x509.Certificate]string
	// ctx ends when the configuration retires: OCSP requests stop
	ctx context.Context
	// caches are the ssl_ocsp_cache zones by name; prevCaches the zones
	// of the configuration before, kept across a reload (cacheRegistry)
	caches, prevCaches map[string]*ocspCache
	// ticketers and stores are the session ticket keys and the kept
	// sessions of shared session cache zones, by zone name
	ticketers map[string]*ticketer
	stores    map[string]*sessionStore
	files     *errlog.Files
}

// context returns the configuration's context, made on first need.
func (m *mainConf) context(cf *httpd.Config) context.Context {
	if m.ctx == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cf.OnRetire(cancel)
		m.ctx = ctx
	}
	return m.ctx
}

type loaded struct {
	cert tls.Certificate
	err  error
}

// alpnProtos are the protocols nginx's HTTP/1 servers accept in ALPN
// (NGX_HTTP_ALPN_PROTOS): a client offering only others fails the
// handshake with no_application_protocol.
var alpnProtos = []string{"http/1.1", "http/1.0", "http/0.9"}

// noPos is an error nginx logs without a position (ngx_log_error during
// the merge).
func noPos(format string, args ...any) error {
	return &conf.Error{NoPos: true, Msg: fmt.Sprintf(format, args...)}
}

// build makes a server's TLS settings in the order
// ngx_http_ssl_merge_srv_conf checks them. A server without certificates
// that does not reject handshakes gets no tls.Config (it uses the default
// server's when SNI chooses it).
func build(cf *httpd.Config, m *mainConf, sc *SrvConf, loc *httpd.CoreLocConf) (*httpd.ServerTLS, error) {
	// a server without certificates still checks client certificates
	// with its own ssl_verify_client (the handshake's are the default
	// server's), as nginx merges verify before it returns
	t := &httpd.ServerTLS{Reject: sc.RejectHandshake.Get(), BufferSize: int(sc.BufferSize.Get()), VerifyClient: sc.Verify.Get()}
	certs, keys := sc.Certificates.Get(), sc.CertificateKeys.Get()
	if len(certs) > 0 {
		if len(keys) < len(certs) {
			return nil, noPos("no \"ssl_certificate_key\" is defined for certificate \"%s\"", certs[len(certs)-1])
		}
	} else if !t.Reject {
		return t, nil
	}
	cfg := &tls.Config{NextProtos: alpnProtos}
	var err error
	if cfg.MinVersion, cfg.MaxVersion, err = tlsconf.Versions(sc.protocols.Get()); err != nil {
		return nil, noPos("%s", err)
	}
	if cfg.CipherSuites, err = tlsconf.Ciphers(sc.Ciphers.Get()); err != nil {
		return nil, noPos("%s", err)
	}
	dynamic := false
	for i, cert := range certs {
		dynamic = dynamic || strings.Contains(cert, "$") || strings.Contains(keys[i], "$")
	}
	static := certs
	if dynamic {
		cfg.GetCertificate = handshakeCertificates(cf, sc)
		static = nil
	}
	for i, cert := range static {
		if strings.HasPrefix(keys[i], "engine:") || strings.HasPrefix(cert, "data:") || strings.HasPrefix(keys[i], "data:") {
			return nil, noPos("cannot load certificate key \"%s\": \"engine:\" and \"data:\" are not supported by sluice", keys[i])
		}
		k := [2]string{cert, keys[i]}
		l, ok := m.certs[k]
		if !ok {
			l.cert, l.err = tlsconf.LoadCertificate(cert, keys[i], sc.passwords.Get())
			if l.err == nil && l.cert.Leaf == nil {
				l.cert.Leaf, _ = x509.ParseCertificate(l.cert.Certificate[0])
			}
			m.certs[k] = l
			if l.err == nil {
				m.names[l.cert.Leaf] = cert
			}
		}
		if l.err != nil {
			return nil, noPos("%s", l.err)
		}
		cfg.Certificates = append(cfg.Certificates, l.cert)
	}
	cfg.Certificates = byKeyType(cfg.Certificates)
	if sc.CertificateCompression.Get() {
		cf.Warnf("\"ssl_certificate_compression\" ignored, not supported")
	}
	store, err := clientVerify(cf, m, cfg, t, sc, loc)
	if err != nil {
		return nil, err
	}
	if f := sc.DHParam.Get(); f != "" {
		if _, err := os.Stat(f); err != nil {
			return nil, noPos("BIO_new_file(\"%s\") failed (%s)", f, tlsconf.FopenError(f, "r", err))
		}
	}
	if cfg.CurvePreferences, err = curves(sc.ECDHCurve.Get()); err != nil {
		return nil, err
	}
	// ssl_conf_command goes after the directives, as in nginx
	cc, err := parseConfCommands(cf, sc.ConfCommands.Get())
	if err != nil {
		return nil, err
	}
	if err := cc.apply(cfg, sc.passwords.Get()); err != nil {
		return nil, err
	}
	tickets := sc.SessionTickets.Get()
	if cc.tickets != nil {
		tickets = *cc.tickets
	}
	var names []string
	if dynamic {
		names = certs
	}
	if err := setResumption(m, cfg, sc, names, tickets); err != nil {
		return nil, err
	}
	// certificates loaded per handshake are not stapled: nginx's
	// ngx_ssl_stapling finds none in the context
	if sc.Stapling.Get() && !dynamic {
		if err := setupStapling(cf, m, cfg, sc, store, loc); err != nil {
			return nil, err
		}
	}
	if sc.EarlyData.Get() {
		cf.Warnf("\"ssl_early_data\" is not supported on this platform, ignored")
	}
	if len(certs) > 0 {
		t.Config = cfg
	}
	return t, nil
}

// groups are the names ssl_ecdh_curve takes: OpenSSL's and Go's.
var groups = map[string]tls.CurveID{
	"x25519": tls.X25519, "prime256v1": tls.CurveP256, "p-256": tls.CurveP256,
	"secp256r1": tls.CurveP256, "secp384r1": tls.CurveP384, "p-384": tls.CurveP384,
	"secp521r1": tls.CurveP521, "p-521": tls.CurveP521,
	"x25519mlkem768": tls.X25519MLKEM768,
}

// curves parses ssl_ecdh_curve: "auto" is Go's default list; otherwise
// group names separated by ':'.
func curves(spec string) ([]tls.CurveID, error) {
	if spec == "auto" {
		return nil, nil
	}
	var out []tls.CurveID
	for _, n := range strings.Split(spec, ":") {
		id, ok := groups[ascii.ToLower(n)]
		if !ok {
			return nil, noPos("SSL_CTX_set1_curves_list(\"%s\") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group '%s' cannot be set)", spec, n)
		}
		out = append(out, id)
	}
	return out, nil
}

// clientVerify sets client certificate verification (ssl_verify_client):
// certificates are requested, and verified after the handshake so that a
// failure is the request's 495 or 496 as in nginx (see verify.go); with
// ssl_ocsp their status is checked then too (ocsp.go). It returns the
// certificates of the server's store (ssl_client_certificate when
// verifying, ssl_trusted_certificate), which stapling uses too.
func clientVerify(cf *httpd.Config, m *mainConf, cfg *tls.Config, t *httpd.ServerTLS, sc *SrvConf, loc *httpd.CoreLocConf) ([]*x509.Certificate, error) {
	mode := sc.Verify.Get()
	if mode != verifyOff {
		if mode != verifyOptionalNoCA && sc.ClientCertificate.Get() == "" && sc.TrustedCertificate.Get() == "" {
			return nil, noPos("no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client")
		}
	}
	roots := x509.NewCertPool()
	var cas []*x509.Certificate
	if f := sc.ClientCertificate.Get(); f != "" && mode != verifyOff {
		p, certs, err := tlsconf.LoadTrusted(f)
		if err != nil {
			return nil, noPos("%s", err)
		}
		// sent to the client as the names of acceptable authorities
		cfg.ClientCAs = p
		cas = append(cas, certs...)
	}
	if f := sc.TrustedCertificate.Get(); f != "" {
		_, certs, err := tlsconf.LoadTrusted(f)
		if err != nil {
			return nil, noPos("%s", err)
		}
		cas = append(cas, certs...)
	}
	for _, c := range cas {
		roots.AddCert(c)
	}
	var crls []*x509.RevocationList
	if f := sc.CRL.Get(); f != "" {
		var err error
		if crls, err = tlsconf.LoadCRL(f); err != nil {
			return nil, noPos("%s", err)
		}
	}
	var oc *clientOCSP
	if sc.OCSP.Get() != 0 {
		if mode == verifyOptionalNoCA {
			return nil, noPos("\"ssl_ocsp\" is incompatible with \"ssl_verify_client optional_no_ca\"")
		}
		var err error
		if oc, err = newClientOCSP(cf, m, sc, roots, cas, loc); err != nil {
			return nil, err
		}
	}
	if mode == verifyOff {
		return cas, nil
	}
	cfg.ClientAuth = tls.RequestClientCert
	t.VerifyClient = mode
	v := &tlsconf.Verifier{Roots: roots, Trusted: cas, Depth: sc.VerifyDepth.Get(), CRLs: crls, Usage: x509.ExtKeyUsageClientAuth}
	t.VerifyPeer = func(ctx context.Context, log errlog.Context, certs []*x509.Certificate) error {
		chain, err := v.VerifiedChain(certs)
		if err != nil || oc == nil {
			return err
		}
		return oc.check(ctx, log, chain)
	}
	return cas, nil
}

// byKeyType keeps one certificate per kind of key, the last configured of
// each as OpenSSL keeps them (a second RSA certificate replaces the
// first), ECDSA before Ed25519 before RSA: Go serves the first the client
// supports, and clients that support ECDSA prefer it, which decides
// OpenSSL's choice.
func byKeyType(certs []tls.Certificate) []tls.Certificate {
	if len(certs) < 2 {
		return certs
	}
	rank := func(c tls.Certificate) int {
		switch c.PrivateKey.(type) {
		case *ecdsa.PrivateKey:
			return 0
		case ed25519.PrivateKey:
			return 1
		case *rsa.PrivateKey:
			return 2
		}
		return 3
	}
	var slot [4]*tls.Certificate
	var other []tls.Certificate
	for i := range certs {
		if r := rank(certs[i]); r < 3 {
			slot[r] = &certs[i]
		} else {
			other = append(other, certs[i])
		}
	}
	var out []tls.Certificate
	for _, c := range slot[:3] {
		if c != nil {
			out = append(out, *c)
		}
	}
	return append(out, other...)
}
