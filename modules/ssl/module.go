package ssl

import (
	"crypto/x509"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv

// Verify modes of ssl_verify_client.
const (
	verifyOff = iota
	verifyOn
	verifyOptional
	verifyOptionalNoCA
)

var verifyModes = conf.Enum[int]{
	{Name: "off", Value: verifyOff}, {Name: "on", Value: verifyOn},
	{Name: "optional", Value: verifyOptional}, {Name: "optional_no_ca", Value: verifyOptionalNoCA},
}

var ocspModes = conf.Enum[int]{{Name: "off", Value: 0}, {Name: "on", Value: 1}, {Name: "leaf", Value: 2}}

func srv[F any](get func(*SrvConf) *F) func(*SrvConf) *F { return get }

// Module is the ssl HTTP module (ngx_http_ssl_module).
var Module = &httpd.Module{
	Name:   "ssl",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "ssl_certificate", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set: certFile(func(c *SrvConf) (*conf.List[string], *conf.List[*httpd.Complex]) {
				return &c.Certificates, &c.certValues
			}),
			Syntax: "ssl_certificate file;",
			Doc:    "A PEM certificate (and its chain) of the server; several (RSA and ECDSA) may be given, each with its ssl_certificate_key. With variables in any of them, the pairs are loaded for each handshake."},
		{Name: "ssl_certificate_key", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set: certFile(func(c *SrvConf) (*conf.List[string], *conf.List[*httpd.Complex]) {
				return &c.CertificateKeys, &c.keyValues
			}),
			Syntax: "ssl_certificate_key file;",
			Doc:    "The PEM secret key of the ssl_certificate of the same rank; may contain variables; \"store:file:path\" names a file store. \"engine:\", \"data:\" and other stores are not supported."},
		{Name: "ssl_certificate_cache", Context: contexts, Args: conf.Take123, Level: httpd.SrvLevel, Set: setCertificateCache,
			Syntax: "ssl_certificate_cache off;\nssl_certificate_cache max=N [inactive=time] [valid=time];", Default: "ssl_certificate_cache off;",
			Doc: "Keeps the certificates and keys that names with variables evaluate to between handshakes: at most max entries, one not used for inactive dropped when another is added, one older than valid checked against its file (inode, mtime) and reloaded when it changed."},
		{Name: "ssl_certificate_compression", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.CertificateCompression })),
			Syntax: "ssl_certificate_compression on | off;", Default: "ssl_certificate_compression off;",
			Doc: "Accepted; \"on\" is ignored with a warning (Go's crypto/tls does not compress certificates)."},
		{Name: "ssl_password_file", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel, Set: setPasswordFile,
			Syntax: "ssl_password_file file;",
			Doc:    "Passphrases (one per line) tried in turn on encrypted secret keys."},
		{Name: "ssl_dhparam", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    file(func(c *SrvConf) *conf.Str { return &c.DHParam }),
			Syntax: "ssl_dhparam file;",
			Doc:    "The file must be readable; Go's crypto/tls has no DHE cipher suites, so its parameters are not used."},
		{Name: "ssl_ecdh_curve", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetStr(srv(func(c *SrvConf) *conf.Str { return &c.ECDHCurve })),
			Syntax: "ssl_ecdh_curve curve;", Default: "ssl_ecdh_curve auto;",
			Doc: "Groups for key exchange, in order, separated by \":\": X25519, prime256v1, secp384r1, secp521r1, X25519MLKEM768 (and their Go names); auto is Go's default list."},
		{Name: "ssl_protocols", Context: contexts, Args: conf.OneMore, Level: httpd.SrvLevel,
			Set:    conf.SetBitmask(tlsconf.Protocols, srv(func(c *SrvConf) *conf.Val[uint] { return &c.protocols })),
			Syntax: "ssl_protocols [SSLv2] [SSLv3] [TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3];", Default: "ssl_protocols TLSv1.2 TLSv1.3;",
			Doc: "Enabled protocols: Go enables the range from the lowest to the highest listed; SSLv2 and SSLv3 do not exist in Go."},
		{Name: "ssl_ciphers", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetStr(srv(func(c *SrvConf) *conf.Str { return &c.Ciphers })),
			Syntax: "ssl_ciphers ciphers;", Default: "ssl_ciphers HIGH:!aNULL:!MD5;",
			Doc: "An OpenSSL cipher list selecting among the TLS 1.2 suites Go implements; TLS 1.3 suites are not configurable."},
		{Name: "ssl_buffer_size", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetSize(srv(func(c *SrvConf) *conf.Size { return &c.BufferSize })),
			Syntax: "ssl_buffer_size size;", Default: "ssl_buffer_size 16k;",
			Doc: "The most response bytes gathered into one write through TLS."},
		{Name: "ssl_verify_client", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetEnum(verifyModes, srv(func(c *SrvConf) *conf.Num { return &c.Verify })),
			Syntax: "ssl_verify_client on | off | optional | optional_no_ca;", Default: "ssl_verify_client off;",
			Doc: "Requests client certificates and verifies them against ssl_client_certificate/ssl_trusted_certificate; a failure is answered 400 (495, 496) as in nginx."},
		{Name: "ssl_verify_depth", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetNum(srv(func(c *SrvConf) *conf.Num { return &c.VerifyDepth })),
			Syntax: "ssl_verify_depth number;", Default: "ssl_verify_depth 1;",
			Doc: "The longest client certificate chain accepted."},
		{Name: "ssl_client_certificate", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    file(func(c *SrvConf) *conf.Str { return &c.ClientCertificate }),
			Syntax: "ssl_client_certificate file;",
			Doc:    "PEM CA certificates client certificates are verified against."},
		{Name: "ssl_trusted_certificate", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    file(func(c *SrvConf) *conf.Str { return &c.TrustedCertificate }),
			Syntax: "ssl_trusted_certificate file;",
			Doc:    "PEM CA certificates client certificates are verified against; OCSP stapling finds issuers and verifies responses with them."},
		{Name: "ssl_crl", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    file(func(c *SrvConf) *conf.Str { return &c.CRL }),
			Syntax: "ssl_crl file;",
			Doc:    "PEM revocation lists client certificates are checked against, every certificate of the chain (the root included) needing its issuer's."},
		{Name: "ssl_prefer_server_ciphers", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.PreferServerCiphers })),
			Syntax: "ssl_prefer_server_ciphers on | off;", Default: "ssl_prefer_server_ciphers off;",
			Doc: "Accepted for compatibility: Go's crypto/tls chooses the suite by its own preference order."},
		{Name: "ssl_session_cache", Context: contexts, Args: conf.Take12, Level: httpd.SrvLevel, Set: setSessionCache,
			Syntax: "ssl_session_cache off | none | [builtin[:size]] [shared:name:size];", Default: "ssl_session_cache none;",
			Doc: "With tickets, a shared zone shares its generated ticket keys (rotated every ssl_session_timeout) among its servers; with tickets off, sessions are kept by the server and resumed by ID tickets (TLS 1.3). No TLS 1.2 session IDs."},
		{Name: "ssl_session_tickets", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.SessionTickets })),
			Syntax: "ssl_session_tickets on | off;", Default: "ssl_session_tickets on;",
			Doc: "Enables or disables session resumption through TLS session tickets."},
		{Name: "ssl_session_ticket_key", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    fileList(func(c *SrvConf) *conf.List[string] { return &c.SessionTicketKeys }),
			Syntax: "ssl_session_ticket_key file;",
			Doc:    "A file of 48 or 80 bytes (key name, HMAC key, AES key) keying session tickets as nginx does; the first encrypts, a ticket is opened by the key it names. The session inside is Go's."},
		{Name: "ssl_session_timeout", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetSec(srv(func(c *SrvConf) *conf.Sec { return &c.SessionTimeout })),
			Syntax: "ssl_session_timeout time;", Default: "ssl_session_timeout 5m;",
			Doc: "How long a session ticket can resume a session."},
		{Name: "ssl_ocsp", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetEnum(ocspModes, srv(func(c *SrvConf) *conf.Num { return &c.OCSP })),
			Syntax: "ssl_ocsp on | off | leaf;", Default: "ssl_ocsp off;",
			Doc: "Checks the client's certificate (leaf), or every certificate of its verified chain but the root (on), by OCSP before the first request; a revoked or unknown status, or a failed request, answers 400 with $ssl_client_verify FAILED:..."},
		{Name: "ssl_ocsp_responder", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetStr(srv(func(c *SrvConf) *conf.Str { return &c.OCSPResponder })),
			Syntax: "ssl_ocsp_responder url;",
			Doc:    "An http:// OCSP responder asked instead of the one each certificate names (resolved at load time, and with resolver at run time)."},
		{Name: "ssl_ocsp_cache", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel, Set: setOCSPCache,
			Syntax: "ssl_ocsp_cache off | [shared:name:size];", Default: "ssl_ocsp_cache off;",
			Doc: "Caches ssl_ocsp statuses until their nextUpdate (an hour without one), shared by the servers naming the zone and kept across reloads."},
		{Name: "ssl_stapling", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.Stapling })),
			Syntax: "ssl_stapling on | off;", Default: "ssl_stapling off;",
			Doc: "Staples each certificate's OCSP response, fetched over HTTP/1.0 from its responder when a client first asks (that handshake goes without) and refreshed before it expires (an hour at most; five minutes after a failure)."},
		{Name: "ssl_stapling_file", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    file(func(c *SrvConf) *conf.Str { return &c.StaplingFile }),
			Syntax: "ssl_stapling_file file;",
			Doc:    "A DER OCSP response stapled as it is for every certificate of the server instead of fetched ones; it must parse as an OCSP response."},
		{Name: "ssl_stapling_responder", Context: contexts, Args: conf.Take1, Level: httpd.SrvLevel,
			Set:    conf.SetStr(srv(func(c *SrvConf) *conf.Str { return &c.StaplingResponder })),
			Syntax: "ssl_stapling_responder url;",
			Doc:    "An http:// OCSP responder asked for stapled responses instead of the one each certificate names."},
		{Name: "ssl_stapling_verify", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.StaplingVerify })),
			Syntax: "ssl_stapling_verify on | off;", Default: "ssl_stapling_verify off;",
			Doc: "Verifies a fetched response's signer against ssl_trusted_certificate and the server's chain before stapling it."},
		{Name: "ssl_early_data", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.EarlyData })),
			Syntax: "ssl_early_data on | off;", Default: "ssl_early_data off;",
			Doc: "Accepted; \"on\" is ignored with a warning (Go's crypto/tls server does not accept TLS 1.3 early data)."},
		{Name: "ssl_conf_command", Context: contexts, Args: conf.Take2, Level: httpd.SrvLevel,
			Set:    conf.SetKeyVal(srv(func(c *SrvConf) *conf.List[conf.KeyVal] { return &c.ConfCommands })),
			Syntax: "ssl_conf_command name value;",
			Doc:    "Applied after the other directives: Certificate with PrivateKey, Options [-]SessionTicket, MinProtocol, MaxProtocol, CipherString, Groups/Curves; other OpenSSL commands are accepted with a warning, unknown ones refused as nginx does."},
		{Name: "ssl_reject_handshake", Context: contexts, Args: conf.FlagArg, Level: httpd.SrvLevel,
			Set:    conf.SetFlag(srv(func(c *SrvConf) *conf.Flag { return &c.RejectHandshake })),
			Syntax: "ssl_reject_handshake on | off;", Default: "ssl_reject_handshake off;",
			Doc: "Refuses handshakes that reach the server (an unrecognized_name alert)."},
	},
	CreateMain: func(*httpd.Config) any {
		return &mainConf{certs: map[[2]string]loaded{}, names: map[*x509.Certificate]string{}, caches: map[string]*ocspCache{}}
	},
	CreateSrv: func(*httpd.Config) any { return &SrvConf{} },
	MergeSrv: func(_ *httpd.Config, parent, child any) error {
		mergeSrv(parent.(*SrvConf), child.(*SrvConf))
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		cf.EnableSSL()
		return addVariables(cf)
	},
	Postconfiguration: func(cf *httpd.Config) error {
		m := cf.MainConf(&self).(*mainConf)
		if cf.Cycle != nil {
			m.files = cf.Cycle.Files
		}
		m.prevCaches = cacheRegistry.Previous(m.files)
		for _, s := range cf.Servers {
			t, err := build(cf, m, s.Conf(&self).(*SrvConf), s.Loc.Core())
			if err != nil {
				return err
			}
			s.SetTLS(t)
		}
		cacheRegistry.Publish(m.files, m.caches)
		return nil
	},
}

// SrvConf is the ssl settings of a server (ngx_http_ssl_srv_conf_t).
type SrvConf struct {
	Certificates, CertificateKeys conf.List[string]
	// certValues and keyValues are the same names compiled, for
	// certificates chosen per handshake when any has variables
	certValues, keyValues       conf.List[*httpd.Complex]
	passwords                   conf.List[string]
	certCache                   conf.Val[*certCache]
	CertificateCompression      conf.Flag
	DHParam, ECDHCurve, Ciphers conf.Str
	protocols                   conf.Val[uint]
	BufferSize                  conf.Size
	Verify, VerifyDepth         conf.Num
	ClientCertificate           conf.Str
	TrustedCertificate, CRL     conf.Str
	PreferServerCiphers         conf.Flag
	sessionCache                conf.Val[sessionCache]
	SessionTickets              conf.Flag
	SessionTicketKeys           conf.List[string]
	SessionTimeout              conf.Sec
	OCSP                        conf.Num
	OCSPResponder               conf.Str
	ocspCacheZone               conf.Val[cacheZone]
	Stapling, StaplingVerify    conf.Flag
	StaplingFile                conf.Str
	StaplingResponder           conf.Str
	EarlyData, RejectHandshake  conf.Flag
	ConfCommands                conf.List[conf.KeyVal]
}

// mergeSrv is ngx_http_ssl_merge_srv_conf's inheritance.
func mergeSrv(p, c *SrvConf) {
	c.SessionTimeout.Inherit(p.SessionTimeout, 300)
	c.PreferServerCiphers.Inherit(p.PreferServerCiphers, false)
	c.CertificateCompression.Inherit(p.CertificateCompression, false)
	c.EarlyData.Inherit(p.EarlyData, false)
	c.RejectHandshake.Inherit(p.RejectHandshake, false)
	c.protocols.Inherit(p.protocols, tlsconf.DefaultProtocols)
	c.BufferSize.Inherit(p.BufferSize, 16384)
	c.Verify.Inherit(p.Verify, verifyOff)
	c.VerifyDepth.Inherit(p.VerifyDepth, 1)
	c.Certificates.InheritOnly(p.Certificates)
	c.CertificateKeys.InheritOnly(p.CertificateKeys)
	c.certValues.InheritOnly(p.certValues)
	c.certCache.Inherit(p.certCache, nil)
	c.keyValues.InheritOnly(p.keyValues)
	c.passwords.InheritOnly(p.passwords)
	c.DHParam.Inherit(p.DHParam, "")
	c.ClientCertificate.Inherit(p.ClientCertificate, "")
	c.TrustedCertificate.Inherit(p.TrustedCertificate, "")
	c.CRL.Inherit(p.CRL, "")
	c.ECDHCurve.Inherit(p.ECDHCurve, "auto")
	c.Ciphers.Inherit(p.Ciphers, "HIGH:!aNULL:!MD5")
	c.ConfCommands.InheritOnly(p.ConfCommands)
	c.OCSP.Inherit(p.OCSP, 0)
	c.OCSPResponder.Inherit(p.OCSPResponder, "")
	c.ocspCacheZone.Inherit(p.ocspCacheZone, cacheZone{})
	c.Stapling.Inherit(p.Stapling, false)
	c.StaplingVerify.Inherit(p.StaplingVerify, false)
	c.StaplingFile.Inherit(p.StaplingFile, "")
	c.StaplingResponder.Inherit(p.StaplingResponder, "")
	c.sessionCache.Inherit(p.sessionCache, sessionCache{kind: cacheNone})
	c.SessionTickets.Inherit(p.SessionTickets, true)
	c.SessionTicketKeys.InheritOnly(p.SessionTicketKeys)
}

// file sets a file name, made absolute against the configuration's
// directory as nginx's ngx_conf_full_name does for these directives.
func file(get func(*SrvConf) *conf.Str) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*SrvConf))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		f.Set(c.Loader.FullName(c.Arg(0), true))
		return nil
	}
}

// fileList appends a file name, made absolute as file does.
func fileList(get func(*SrvConf) *conf.List[string]) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		conf.Append(get(c.Conf.(*SrvConf)), c.Loader.FullName(c.Arg(0), true))
		return nil
	}
}

// certFile appends a certificate or key name as fileList does, and the
// name compiled. A name with variables stays as written: it is made
// absolute once evaluated, as nginx's ngx_ssl_load_certificate does.
func certFile(get func(*SrvConf) (*conf.List[string], *conf.List[*httpd.Complex])) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		names, values := get(c.Conf.(*SrvConf))
		name := c.Arg(0)
		if !strings.Contains(name, "$") && !strings.HasPrefix(name, "store:") && !strings.HasPrefix(name, "engine:") && !strings.HasPrefix(name, "data:") {
			name = c.Loader.FullName(name, true)
		}
		x, err := httpd.ConfigOf(c).Compile(c, name)
		if err != nil {
			return err
		}
		conf.Append(names, name)
		conf.Append(values, x)
		return nil
	}
}
