package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// SSLConf holds a level's X_ssl_* directives (the SSL part of
// ngx_http_proxy_loc_conf_t, and of the uwsgi module's): the values, and
// the TLS configuration built from them. A module embeds it in its
// location conf, lists SSLDirectives, and calls MergeSSL from its merge.
type SSLConf struct {
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
// that goes over TLS with it.
type sslCtx struct {
	conf *TLSConf
}

// own reports whether the level has any X_ssl_* directive that makes a
// TLS configuration of its own (ngx_http_proxy_merge_ssl's test: X_ssl_name
// and X_ssl_server_name do not).
func (s *SSLConf) own() bool {
	return s.protocols.IsSet() || s.ciphers.IsSet() || s.cert.IsSet() || s.certKey.IsSet() ||
		s.passwords.IsSet() || s.verify.IsSet() || s.verifyDepth.IsSet() || s.trusted.IsSet() ||
		s.crl.IsSet() || s.sessionReuse.IsSet() || s.commands.IsSet()
}

// SSLDirectives returns the X_ssl_* directive family of a module: prefix
// "proxy_" gives proxy_ssl_protocols, proxy_ssl_verify ... acc returns the
// module's *SSLConf from its location conf; server names the upstream
// server in the directives' descriptions ("proxied HTTPS server").
func SSLDirectives[C any](prefix, server string, acc func(*C) *SSLConf) []conf.Directive {
	msl := conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	flag := func(f func(*SSLConf) *conf.Flag) func(*conf.Cmd) error {
		return conf.SetFlag(func(c *C) *conf.Flag { return f(acc(c)) })
	}
	str := func(f func(*SSLConf) *conf.Str) func(*conf.Cmd) error {
		return conf.SetStr(func(c *C) *conf.Str { return f(acc(c)) })
	}
	p := prefix + "ssl_"
	return []conf.Directive{
		{Name: p + "session_reuse", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *SSLConf) *conf.Flag { return &s.sessionReuse }),
			Syntax: p + "session_reuse on | off;", Default: p + "session_reuse on;",
			Doc: "Determines whether TLS sessions can be reused when working with the " + server + " (Go's client session cache, one per TLS configuration)."},
		{Name: p + "protocols", Context: msl, Args: conf.OneMore,
			Set:    conf.SetBitmask(tlsconf.Protocols, func(c *C) *conf.Val[uint] { return &acc(c).protocols }),
			Syntax: p + "protocols [SSLv2] [SSLv3] [TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3];", Default: p + "protocols TLSv1.2 TLSv1.3;",
			Doc: "Enables the specified protocols for requests to a " + server + " (a range in Go: SSLv2 and SSLv3 are not available)."},
		{Name: p + "ciphers", Context: msl, Args: conf.Take1,
			Set:    str(func(s *SSLConf) *conf.Str { return &s.ciphers }),
			Syntax: p + "ciphers ciphers;", Default: p + "ciphers DEFAULT;",
			Doc: "Specifies the enabled TLS 1.2 ciphers (OpenSSL's list format) for requests to a " + server + "; TLS 1.3 suites are not configurable."},
		{Name: p + "name", Context: msl, Args: conf.Take1,
			Set:    setSSLComplex(acc, func(s *SSLConf) *conf.Val[*httpd.Complex] { return &s.name }),
			Syntax: p + "name name;", Default: p + "name $" + prefix + "host;",
			Doc: "Allows overriding the server name used to verify the certificate of the " + server + " and to be passed through SNI."},
		{Name: p + "server_name", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *SSLConf) *conf.Flag { return &s.serverName }),
			Syntax: p + "server_name on | off;", Default: p + "server_name off;",
			Doc: "Enables or disables passing of the server name through TLS Server Name Indication (SNI) when establishing a connection with the " + server + "."},
		{Name: p + "verify", Context: msl, Args: conf.FlagArg,
			Set:    flag(func(s *SSLConf) *conf.Flag { return &s.verify }),
			Syntax: p + "verify on | off;", Default: p + "verify off;",
			Doc: "Enables or disables verification of the " + server + " certificate."},
		{Name: p + "verify_depth", Context: msl, Args: conf.Take1,
			Set:    conf.SetNum(func(c *C) *conf.Num { return &acc(c).verifyDepth }),
			Syntax: p + "verify_depth number;", Default: p + "verify_depth 1;",
			Doc: "Sets the verification depth in the " + server + " certificates chain."},
		{Name: p + "trusted_certificate", Context: msl, Args: conf.Take1,
			Set:    setSSLPath(acc, func(s *SSLConf) *conf.Str { return &s.trusted }),
			Syntax: p + "trusted_certificate file;",
			Doc:    "Specifies a file with trusted CA certificates in the PEM format used to verify the certificate of the " + server + "."},
		{Name: p + "crl", Context: msl, Args: conf.Take1,
			Set:    setSSLPath(acc, func(s *SSLConf) *conf.Str { return &s.crl }),
			Syntax: p + "crl file;",
			Doc:    "Specifies a file with revoked certificates (CRL) in the PEM format used to verify the certificate of the " + server + "."},
		{Name: p + "certificate", Context: msl, Args: conf.Take1,
			Set:    setSSLComplex(acc, func(s *SSLConf) *conf.Val[*httpd.Complex] { return &s.cert }),
			Syntax: p + "certificate file;",
			Doc:    "Specifies a file with the certificate in the PEM format used for authentication to a " + server + "; variables are allowed."},
		{Name: p + "certificate_key", Context: msl, Args: conf.Take1,
			Set:    setSSLComplex(acc, func(s *SSLConf) *conf.Val[*httpd.Complex] { return &s.certKey }),
			Syntax: p + "certificate_key file;",
			Doc:    "Specifies a file with the secret key in the PEM format used for authentication to a " + server + "; variables are allowed."},
		{Name: p + "password_file", Context: msl, Args: conf.Take1, Set: setSSLPasswordFile(acc),
			Syntax: p + "password_file file;",
			Doc:    "Specifies a file with passphrases for secret keys where each passphrase is specified on a separate line (traditional PEM encryption)."},
		{Name: p + "conf_command", Context: msl, Args: conf.Take2, Set: setSSLConfCommand,
			Syntax: p + "conf_command name value;",
			Doc:    "Not supported: an error (OpenSSL configuration commands have no counterpart in Go's crypto/tls)."},
	}
}

// setSSLPath sets a file name, made absolute relative to the configuration
// prefix.
func setSSLPath[C any](acc func(*C) *SSLConf, get func(*SSLConf) *conf.Str) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		v := get(acc(c.Conf.(*C)))
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

// setSSLComplex is ngx_http_set_complex_value_slot (and its zero variant
// for file names, which allows an empty value). File names are made
// absolute, relative to the configuration prefix, when used.
func setSSLComplex[C any](acc func(*C) *SSLConf, get func(*SSLConf) *conf.Val[*httpd.Complex]) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		v := get(acc(c.Conf.(*C)))
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
func setSSLPasswordFile[C any](acc func(*C) *SSLConf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		s := acc(c.Conf.(*C))
		if s.passwords.IsSet() {
			return conf.ErrDuplicate
		}
		pw, err := tlsconf.ReadPasswords(c.Loader.FullName(c.Arg(0), true))
		if err != nil {
			return c.Errorf("%v", err)
		}
		s.passwords.Set(pw)
		return nil
	}
}

// setSSLConfCommand refuses X_ssl_conf_command: its commands are
// OpenSSL's (SSL_CONF_cmd), and accepting them without effect could leave
// a security setting silently unapplied.
func setSSLConfCommand(c *conf.Cmd) error {
	return c.Errorf("\"%s\" is not supported: sluice uses Go's crypto/tls, which has no OpenSSL configuration commands (\"%s\")", c.Name, c.Arg(0))
}

// MergeSSL merges the X_ssl_* values of c with its parent p (the SSL part
// of ngx_http_proxy_merge_loc_conf with ngx_http_proxy_merge_ssl) and,
// when the level's pass may go over TLS, returns the TLS configuration of
// its exchanges (ngx_http_proxy_set_ssl); nil otherwise. prefix is the
// module's directive prefix, for messages.
func MergeSSL(cf *httpd.Config, p, c *SSLConf, prefix string, overTLS bool) (*TLSConf, error) {
	if c.ctx == nil {
		switch {
		case c.own():
			c.ctx = &sslCtx{}
		case p.ctx != nil:
			c.ctx = p.ctx
		default:
			// the enclosing level keeps it, so that its other blocks
			// share it
			c.ctx = &sslCtx{}
			p.ctx = c.ctx
		}
	}
	c.sessionReuse.Inherit(p.sessionReuse, true)
	c.protocols.Inherit(p.protocols, tlsconf.DefaultProtocols)
	c.ciphers.Inherit(p.ciphers, "DEFAULT")
	c.name.Inherit(p.name, nil)
	c.serverName.Inherit(p.serverName, false)
	c.verify.Inherit(p.verify, false)
	c.verifyDepth.Inherit(p.verifyDepth, 1)
	c.trusted.Inherit(p.trusted, "")
	c.crl.Inherit(p.crl, "")
	c.cert.Inherit(p.cert, nil)
	c.certKey.Inherit(p.certKey, nil)
	c.passwords.Inherit(p.passwords, nil)
	c.commands.Inherit(p.commands, nil)

	if !overTLS {
		return nil, nil
	}
	if c.ctx.conf == nil {
		tc, err := buildTLS(cf, c, prefix)
		if err != nil {
			// nginx reports these while merging, without a position
			return nil, &conf.Error{NoPos: true, Msg: err.Error()}
		}
		c.ctx.conf = tc
	}
	// per location: ssl_name and ssl_server_name are not part of the
	// shared context in nginx either
	tc := *c.ctx.conf
	tc.Name = c.name.Get()
	tc.ServerName = c.serverName.Get()
	return &tc, nil
}

// buildTLS makes the TLS client configuration (ngx_http_proxy_set_ssl).
func buildTLS(cf *httpd.Config, s *SSLConf, prefix string) (*TLSConf, error) {
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
		// checks it when X_ssl_verify is on (upstream.handshake)
		InsecureSkipVerify: true,
		MinVersion:         minV,
		MaxVersion:         maxV,
		CipherSuites:       suites,
	}
	if s.sessionReuse.Get() {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	tc := &TLSConf{Config: cfg, Passwords: s.passwords.Get(), ConfPrefix: cf.Cycle.ConfPrefix}
	if cert := s.cert.Get(); cert != nil && cert.Source() != "" {
		key := s.certKey.Get()
		if key == nil {
			return nil, fmt.Errorf("no \"%sssl_certificate_key\" is defined for certificate \"%s\"", prefix, cert.Source())
		}
		cs, cok := cert.Literal()
		ks, kok := key.Literal()
		if cok && kok {
			pair, err := tc.LoadCertificate(cs, ks)
			if err != nil {
				return nil, err
			}
			SendCertificate(cfg, &pair)
		} else {
			tc.Certificate, tc.CertificateKey = cert, key
		}
	}
	if s.verify.Get() {
		if s.trusted.Get() == "" {
			return nil, fmt.Errorf("no %sssl_trusted_certificate for %sssl_verify", prefix, prefix)
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
