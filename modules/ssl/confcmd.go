package ssl

import (
	"crypto/tls"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// confCommands is what a server's ssl_conf_command directives say, read
// as OpenSSL's SSL_CONF_cmd reads them in nginx (names without regard to
// case, applied after the other directives): the commands Go's crypto/tls
// has a setting for change it; the rest are accepted with a warning.
type confCommands struct {
	cert, key string // Certificate, PrivateKey
	tickets   *bool  // Options [-]SessionTicket
	min, max  uint16 // MinProtocol, MaxProtocol (0: unchanged)
	ciphers   []uint16
	ciphersOK bool
	curves    []tls.CurveID
	curvesOK  bool
}

// sslOptions are the names OpenSSL 3's "Options" command takes.
var sslOptions = map[string]bool{
	"SessionTicket": true, "EmptyFragments": true, "Bugs": true, "Compression": true,
	"ServerPreference": true, "NoResumptionOnRenegotiation": true, "DHSingle": true,
	"ECDHSingle": true, "UnsafeLegacyRenegotiation": true, "UnsafeLegacyServerConnect": true,
	"NoRenegotiation": true, "AllowNoDHEKEX": true, "PrioritizeChaCha": true,
	"MiddleboxCompat": true, "AntiReplay": true, "ExtendedMasterSecret": true,
	"CANames": true, "KTLS": true, "ClientRenegotiation": true, "LegacyServerConnect": true,
	"EncryptThenMac": true, "IgnoreUnexpectedEOF": true,
	"TxCertificateCompression": true, "RxCertificateCompression": true,
}

// protocolVersions are MinProtocol and MaxProtocol's values.
var protocolVersions = map[string]uint16{
	"none": 0, "tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11,
	"tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13,
}

// parseConfCommands reads the commands; an unknown command or a bad
// value is nginx's error, as SSL_CONF_cmd refuses it.
func parseConfCommands(cf *httpd.Config, kvs []conf.KeyVal) (confCommands, error) {
	var cc confCommands
	bad := func(kv conf.KeyVal) error {
		return noPos("SSL_CONF_cmd(\"%s\", \"%s\") failed (SSL: error:0A000180:SSL routines::bad value:cmd=%s, value=%s)", kv.Key, kv.Value, kv.Key, kv.Value)
	}
	for _, kv := range kvs {
		switch ascii.ToLower(kv.Key) {
		case "certificate":
			cc.cert = conf.FullName(cf.Cycle.ConfPrefix, kv.Value)
		case "privatekey":
			cc.key = conf.FullName(cf.Cycle.ConfPrefix, kv.Value)
		case "options":
			for _, o := range strings.FieldsFunc(kv.Value, func(r rune) bool { return r == ',' || r == ' ' }) {
				name, off := strings.CutPrefix(o, "-")
				if !sslOptions[name] {
					return cc, bad(kv)
				}
				if name == "SessionTicket" {
					on := !off
					cc.tickets = &on
				} else {
					cf.Warnf("\"ssl_conf_command Options %s\" has no effect with Go's crypto/tls, ignored", o)
				}
			}
		case "minprotocol", "maxprotocol":
			v, ok := protocolVersions[ascii.ToLower(kv.Value)]
			if !ok {
				return cc, bad(kv)
			}
			if ascii.EqualFold(kv.Key, "minprotocol") {
				cc.min = v
			} else {
				cc.max = v
			}
		case "cipherstring":
			c, err := tlsconf.Ciphers(kv.Value)
			if err != nil {
				return cc, noPos("SSL_CONF_cmd(\"%s\", \"%s\") failed (SSL: error:0A0000B9:SSL routines::no cipher match error:0A000180:SSL routines::bad value:cmd=%s, value=%s)", kv.Key, kv.Value, kv.Key, kv.Value)
			}
			cc.ciphers, cc.ciphersOK = c, true
		case "groups", "curves":
			c, err := curves(kv.Value)
			if err != nil {
				for _, n := range strings.Split(kv.Value, ":") {
					if _, ok := groups[ascii.ToLower(n)]; !ok {
						return cc, noPos("SSL_CONF_cmd(\"%s\", \"%s\") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group '%s' cannot be set error:0A000180:SSL routines::bad value:cmd=%s, value=%s)", kv.Key, kv.Value, n, kv.Key, kv.Value)
					}
				}
				return cc, bad(kv)
			}
			cc.curves, cc.curvesOK = c, true
		case "ciphersuites", "signaturealgorithms", "clientsignaturealgorithms", "verifycafile", "verifycapath", "chaincafile", "chaincapath", "requestcafile", "protocol", "dhparameters", "recordpadding", "numtickets":
			cf.Warnf("\"ssl_conf_command %s\" has no equivalent in Go's crypto/tls, ignored", kv.Key)
		default:
			return cc, noPos("SSL_CONF_cmd(\"%s\", \"%s\") failed (SSL: error:0A000182:SSL routines::unknown cmd name:cmd=%s)", kv.Key, kv.Value, kv.Key)
		}
	}
	return cc, nil
}

// apply sets what the commands change on cfg, after the directives'
// settings: a Certificate and PrivateKey pair replaces the certificate of
// its key type, as SSL_CTX_use_certificate_chain_file does.
func (cc *confCommands) apply(cfg *tls.Config, passwords []string) error {
	if cc.min != 0 {
		cfg.MinVersion = cc.min
	}
	if cc.max != 0 {
		cfg.MaxVersion = cc.max
	}
	if cc.ciphersOK {
		cfg.CipherSuites = cc.ciphers
	}
	if cc.curvesOK {
		cfg.CurvePreferences = cc.curves
	}
	if cc.cert == "" && cc.key == "" {
		return nil
	}
	if cc.cert == "" || cc.key == "" {
		return noPos("ssl_conf_command: \"Certificate\" and \"PrivateKey\" go together in sluice")
	}
	c, err := tlsconf.LoadCertificate(cc.cert, cc.key, passwords)
	if err != nil {
		return noPos("%s", err)
	}
	// byKeyType keeps the last certificate of each key type
	cfg.Certificates = byKeyType(append(cfg.Certificates, c))
	return nil
}
