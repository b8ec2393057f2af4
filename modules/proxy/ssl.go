package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
	"github.com/sluicehq/sluice/upstream"
)

// sslConf holds the proxy_ssl_* directives of a level (the SSL part of
// ngx_http_proxy_loc_conf_t).
type sslConf struct {
	sessionReuse conf.Flag
	protocols    conf.Val[uint]
	ciphers      conf.Str
	name         conf.Val[*httpd.Complex]
	serverName   conf.Flag
	verify       conf.Flag
	verifyDepth  conf.Num
	trusted      conf.Str
	crl          conf.Str
	cert         conf.Val[*httpd.Complex]
	certKey      conf.Val[*httpd.Complex]
	passwords    conf.Val[[]string]
	commands     conf.List[conf.KeyVal]

	// ctx is the TLS configuration built from these values, shared by the
	// levels that inherit them all (nginx's plcf->upstream.ssl, kept in
	// the enclosing level by ngx_http_proxy_merge_ssl's "preserve").
	ctx *sslCtx
}

// sslCtx is one TLS client configuration; built by the first location
// that proxies over TLS with it.
type sslCtx struct {
	conf *upstream.TLSConf
}

// own reports whether the level has any proxy_ssl_* directive that makes
// a TLS configuration of its own (ngx_http_proxy_merge_ssl's test:
// proxy_ssl_name and proxy_ssl_server_name do not).
func (s *sslConf) own() bool {
	return s.protocols.IsSet() || s.ciphers.IsSet() || s.cert.IsSet() || s.certKey.IsSet() ||
		s.passwords.IsSet() || s.verify.IsSet() || s.verifyDepth.IsSet() || s.trusted.IsSet() ||
		s.crl.IsSet() || s.sessionReuse.IsSet() || s.commands.IsSet()
}

func sslDirectives() []conf.Directive {
	acc := func(c *LocConf) *sslConf { return &c.ssl }
	flag := func(f func(*sslConf) *conf.Flag) func(*conf.Cmd) error {
		return conf.SetFlag(func(c *LocConf) *conf.Flag { return f(acc(c)) })
	}
	str := func(f func(*sslConf) *conf.Str) func(*conf.Cmd) error {
		return conf.SetStr(func(c *LocConf) *conf.Str { return f(acc(c)) })
	}
	return []conf.Directive{
		{Name: "proxy_ssl_session_reuse", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *sslConf) *conf.Flag { return &s.sessionReuse }),
			Syntax: "proxy_ssl_session_reuse on | off;", Default: "proxy_ssl_session_reuse on;",
			Doc: "Determines whether TLS sessions can be reused when working with the proxied server (Go's client session cache, one per TLS configuration)."},
		{Name: "proxy_ssl_protocols", Context: msl, Args: conf.OneMore,
			Set:    conf.SetBitmask(tlsconf.Protocols, func(c *LocConf) *conf.Val[uint] { return &c.ssl.protocols }),
			Syntax: "proxy_ssl_protocols [SSLv2] [SSLv3] [TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3];", Default: "proxy_ssl_protocols TLSv1.2 TLSv1.3;",
			Doc: "Enables the specified protocols for requests to a proxied HTTPS server (a range in Go: SSLv2 and SSLv3 are not available)."},
		{Name: "proxy_ssl_ciphers", Context: msl, Args: conf.Take1,
			Set:    str(func(s *sslConf) *conf.Str { return &s.ciphers }),
			Syntax: "proxy_ssl_ciphers ciphers;", Default: "proxy_ssl_ciphers DEFAULT;",
			Doc: "Specifies the enabled TLS 1.2 ciphers (OpenSSL's list format) for requests to a proxied HTTPS server; TLS 1.3 suites are not configurable."},
		{Name: "proxy_ssl_name", Context: msl, Args: conf.Take1,
			Set:    setComplex(func(s *sslConf) *conf.Val[*httpd.Complex] { return &s.name }, false),
			Syntax: "proxy_ssl_name name;", Default: "proxy_ssl_name $proxy_host;",
			Doc: "Allows overriding the server name used to verify the certificate of the proxied HTTPS server and to be passed through SNI."},
		{Name: "proxy_ssl_server_name", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *sslConf) *conf.Flag { return &s.serverName }),
			Syntax: "proxy_ssl_server_name on | off;", Default: "proxy_ssl_server_name off;",
			Doc: "Enables or disables passing of the server name through TLS Server Name Indication (SNI) when establishing a connection with the proxied HTTPS server."},
		{Name: "proxy_ssl_verify", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *sslConf) *conf.Flag { return &s.verify }),
			Syntax: "proxy_ssl_verify on | off;", Default: "proxy_ssl_verify off;",
			Doc: "Enables or disables verification of the proxied HTTPS server certificate."},
		{Name: "proxy_ssl_verify_depth", Context: msl, Args: conf.Take1,
			Set:    conf.SetNum(func(c *LocConf) *conf.Num { return &c.ssl.verifyDepth }),
			Syntax: "proxy_ssl_verify_depth number;", Default: "proxy_ssl_verify_depth 1;",
			Doc: "Sets the verification depth in the proxied HTTPS server certificates chain."},
		{Name: "proxy_ssl_trusted_certificate", Context: msl, Args: conf.Take1,
			Set:    setSSLPath(func(s *sslConf) *conf.Str { return &s.trusted }),
			Syntax: "proxy_ssl_trusted_certificate file;",
			Doc:    "Specifies a file with trusted CA certificates in the PEM format used to verify the certificate of the proxied HTTPS server."},
		{Name: "proxy_ssl_crl", Context: msl, Args: conf.Take1,
			Set:    setSSLPath(func(s *sslConf) *conf.Str { return &s.crl }),
			Syntax: "proxy_ssl_crl file;",
			Doc:    "Specifies a file with revoked certificates (CRL) in the PEM format used to verify the certificate of the proxied HTTPS server."},
		{Name: "proxy_ssl_certificate", Context: msl, Args: conf.Take1,
			Set:    setComplex(func(s *sslConf) *conf.Val[*httpd.Complex] { return &s.cert }, true),
			Syntax: "proxy_ssl_certificate file;",
			Doc:    "Specifies a file with the certificate in the PEM format used for authentication to a proxied HTTPS server; variables are allowed."},
		{Name: "proxy_ssl_certificate_key", Context: msl, Args: conf.Take1,
			Set:    setComplex(func(s *sslConf) *conf.Val[*httpd.Complex] { return &s.certKey }, true),
			Syntax: "proxy_ssl_certificate_key file;",
			Doc:    "Specifies a file with the secret key in the PEM format used for authentication to a proxied HTTPS server; variables are allowed."},
		{Name: "proxy_ssl_password_file", Context: msl, Args: conf.Take1, Set: setSSLPasswordFile,
			Syntax: "proxy_ssl_password_file file;",
			Doc:    "Specifies a file with passphrases for secret keys where each passphrase is specified on a separate line (traditional PEM encryption)."},
		{Name: "proxy_ssl_conf_command", Context: msl, Args: conf.Take2, Set: setSSLConfCommand,
			Syntax: "proxy_ssl_conf_command name value;",
			Doc:    "Not supported: an error (OpenSSL configuration commands have no counterpart in Go's crypto/tls)."},
	}
}

// setSSLPath sets a file name, made absolute relative to the configuration
// prefix.
func setSSLPath(get func(*sslConf) *conf.Str) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		v := get(&c.Conf.(*LocConf).ssl)
		if v.IsSet() {
			return conf.ErrDuplicate
		}
		if c.Arg(0) == "" {
			v.Set("")
			return nil
		}
		v.Set(c.Loader.FullName(c.Arg(0), true))
		return nil
	}
}

// setComplex is ngx_http_set_complex_value_slot (and its zero variant
// for file names, which allows an empty value). File names are made
// absolute, relative to the configuration prefix, when used.
func setComplex(get func(*sslConf) *conf.Val[*httpd.Complex], _ bool) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		v := get(&c.Conf.(*LocConf).ssl)
		if v.IsSet() {
			return conf.ErrDuplicate
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		v.Set(x)
		return nil
	}
}

// setSSLPasswordFile reads the passphrases at once, as nginx does.
func setSSLPasswordFile(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.ssl.passwords.IsSet() {
		return conf.ErrDuplicate
	}
	pw, err := tlsconf.ReadPasswords(c.Loader.FullName(c.Arg(0), true))
	if err != nil {
		return c.Errorf("%v", err)
	}
	lc.ssl.passwords.Set(pw)
	return nil
}

// setSSLConfCommand refuses proxy_ssl_conf_command: its commands are
// OpenSSL's (SSL_CONF_cmd), and accepting them without effect could leave
// a security setting silently unapplied.
func setSSLConfCommand(c *conf.Cmd) error {
	return c.Errorf("\"%s\" is not supported: sluice uses Go's crypto/tls, which has no OpenSSL configuration commands (\"%s\")", c.Name, c.Arg(0))
}

// mergeSSL merges the proxy_ssl_* values (the SSL part of
// ngx_http_proxy_merge_loc_conf with ngx_http_proxy_merge_ssl) and builds
// the TLS configuration of a location that proxies over TLS
// (ngx_http_proxy_set_ssl).
func mergeSSL(cf *httpd.Config, p, c *LocConf) error {
	ps, cs := &p.ssl, &c.ssl
	if cs.ctx == nil {
		switch {
		case cs.own():
			cs.ctx = &sslCtx{}
		case ps.ctx != nil:
			cs.ctx = ps.ctx
		default:
			// the enclosing level keeps it, so that its other blocks
			// share it
			cs.ctx = &sslCtx{}
			ps.ctx = cs.ctx
		}
	}
	cs.sessionReuse.Inherit(ps.sessionReuse, true)
	cs.protocols.Inherit(ps.protocols, tlsconf.DefaultProtocols)
	cs.ciphers.Inherit(ps.ciphers, "DEFAULT")
	cs.name.Inherit(ps.name, nil)
	cs.serverName.Inherit(ps.serverName, false)
	cs.verify.Inherit(ps.verify, false)
	cs.verifyDepth.Inherit(ps.verifyDepth, 1)
	cs.trusted.Inherit(ps.trusted, "")
	cs.crl.Inherit(ps.crl, "")
	cs.cert.Inherit(ps.cert, nil)
	cs.certKey.Inherit(ps.certKey, nil)
	cs.passwords.Inherit(ps.passwords, nil)
	cs.commands.Inherit(ps.commands, nil)

	if c.pass == nil || !c.pass.tls() {
		return nil
	}
	if cs.ctx.conf == nil {
		tc, err := buildTLS(cf, cs)
		if err != nil {
			// nginx reports these while merging, without a position
			return &conf.Error{NoPos: true, Msg: err.Error()}
		}
		cs.ctx.conf = tc
	}
	// per location: ssl_name and ssl_server_name are not part of the
	// shared context in nginx either
	tc := *cs.ctx.conf
	tc.Name = cs.name.Get()
	tc.ServerName = cs.serverName.Get()
	c.U.TLS = &tc
	return nil
}

// tls reports whether the proxy_pass may go over TLS: an https URL, or
// one with variables (nginx's plcf->ssl).
func (pc *passConf) tls() bool {
	return pc.dynamic != nil || pc.vars.tls
}

// buildTLS makes the TLS client configuration (ngx_http_proxy_set_ssl).
func buildTLS(cf *httpd.Config, s *sslConf) (*upstream.TLSConf, error) {
	minV, maxV, err := tlsconf.Versions(s.protocols.Get())
	if err != nil {
		return nil, err
	}
	suites, err := tlsconf.Ciphers(s.ciphers.Get())
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		// nginx completes the handshake whatever the certificate, then
		// checks it when proxy_ssl_verify is on (upstream.handshake)
		InsecureSkipVerify: true,
		MinVersion:         minV,
		MaxVersion:         maxV,
		CipherSuites:       suites,
	}
	if s.sessionReuse.Get() {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	tc := &upstream.TLSConf{Config: cfg, Passwords: s.passwords.Get(), ConfPrefix: cf.Cycle.ConfPrefix}
	if cert := s.cert.Get(); cert != nil && cert.Source() != "" {
		key := s.certKey.Get()
		if key == nil {
			return nil, fmt.Errorf("no \"proxy_ssl_certificate_key\" is defined for certificate \"%s\"", cert.Source())
		}
		cs, cok := cert.Literal()
		ks, kok := key.Literal()
		if cok && kok {
			pair, err := tc.LoadCertificate(cs, ks)
			if err != nil {
				return nil, err
			}
			upstream.SendCertificate(cfg, &pair)
		} else {
			tc.Certificate, tc.CertificateKey = cert, key
		}
	}
	if s.verify.Get() {
		if s.trusted.Get() == "" {
			return nil, fmt.Errorf("no proxy_ssl_trusted_certificate for proxy_ssl_verify")
		}
		roots, trusted, err := tlsconf.LoadTrusted(s.trusted.Get())
		if err != nil {
			return nil, err
		}
		v := &tlsconf.Verifier{Roots: roots, Trusted: trusted, Depth: s.verifyDepth.Get(), Usage: x509.ExtKeyUsageServerAuth}
		if f := s.crl.Get(); f != "" {
			crls, err := tlsconf.LoadCRL(f)
			if err != nil {
				return nil, err
			}
			v.CRLs = crls
		}
		tc.Verify = v
	}
	return tc, nil
}
