package ssl

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// groupNames are OpenSSL's short names of the key exchange groups
// ($ssl_curve, $ssl_curves).
var groupNames = map[tls.CurveID]string{
	tls.X25519: "X25519", tls.CurveP256: "prime256v1", tls.CurveP384: "secp384r1",
	tls.CurveP521: "secp521r1", tls.X25519MLKEM768: "X25519MLKEM768",
	30: "X448", 256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096",
	259: "ffdhe6144", 260: "ffdhe8192",
}

func groupName(id tls.CurveID) string {
	if n, ok := groupNames[id]; ok {
		return n
	}
	return hex4(uint16(id))
}

// hex4 is nginx's "0x%04xd" of an unknown identifier.
func hex4(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	return "0x" + strings.Repeat("0", 4-len(s)) + s
}

// cipherName is OpenSSL's name of a suite, "0x...." when OpenSSL would
// not know it.
func cipherName(id uint16) string {
	n := tlsconf.CipherName(id)
	if strings.HasPrefix(n, "0x") {
		return hex4(id)
	}
	return n
}

// addVariables registers the $ssl_ variables (ngx_http_ssl_vars). Each
// is not found on a plain connection; the ones nginx computes with
// ngx_http_ssl_variable are also not found when empty.
func addVariables(cf *httpd.Config) error {
	static := func(f func(t *httpd.TLSInfo) string) httpd.VarGetter {
		return func(r *httpd.Request, _ string, _ int) (string, bool) {
			t := r.TLS()
			if t == nil {
				return "", false
			}
			return f(t), true
		}
	}
	dynamic := func(f func(t *httpd.TLSInfo) string) httpd.VarGetter {
		return func(r *httpd.Request, _ string, _ int) (string, bool) {
			t := r.TLS()
			if t == nil {
				return "", false
			}
			v := f(t)
			return v, v != ""
		}
	}
	for _, v := range []*httpd.Variable{
		{Name: "ssl_protocol", Get: static(func(t *httpd.TLSInfo) string { return tlsconf.ProtocolName(t.State.Version) })},
		{Name: "ssl_cipher", Get: static(func(t *httpd.TLSInfo) string { return cipherName(t.State.CipherSuite) })},
		{Name: "ssl_ciphers", Get: dynamic(func(t *httpd.TLSInfo) string {
			var b strings.Builder
			for i, id := range t.Ciphers {
				if i > 0 {
					b.WriteByte(':')
				}
				b.WriteString(cipherName(id))
			}
			return b.String()
		})},
		{Name: "ssl_curve", Get: dynamic(func(t *httpd.TLSInfo) string {
			if t.State.CurveID == 0 {
				return ""
			}
			return groupName(t.State.CurveID)
		})},
		{Name: "ssl_curves", Get: dynamic(func(t *httpd.TLSInfo) string {
			var b strings.Builder
			for i, id := range t.Curves {
				if i > 0 {
					b.WriteByte(':')
				}
				b.WriteString(groupName(id))
			}
			return b.String()
		})},
		// Go's crypto/tls keeps no session IDs: resumption is by tickets
		{Name: "ssl_session_id", Get: dynamic(func(*httpd.TLSInfo) string { return "" })},
		{Name: "ssl_session_reused", Get: dynamic(func(t *httpd.TLSInfo) string {
			if t.State.DidResume {
				return "r"
			}
			return "."
		})},
		// the server never accepts early data: the handshake is always
		// finished when a request is read
		{Name: "ssl_early_data", Get: dynamic(func(*httpd.TLSInfo) string { return "" }), Flags: httpd.VarNoCacheable},
		{Name: "ssl_server_name", Get: dynamic(func(t *httpd.TLSInfo) string { return t.ServerName })},
		{Name: "ssl_alpn_protocol", Get: dynamic(func(t *httpd.TLSInfo) string { return t.State.NegotiatedProtocol })},
	} {
		v.Flags |= httpd.VarChangeable
		if _, err := cf.AddVariable(v); err != nil {
			return err
		}
	}
	return addClientVariables(cf)
}

// addClientVariables registers the $ssl_client_ variables: the client's
// certificate and its verification.
func addClientVariables(cf *httpd.Config) error {
	cert := func(f func(c *x509.Certificate, t *httpd.TLSInfo) string) httpd.VarGetter {
		return func(r *httpd.Request, _ string, _ int) (string, bool) {
			t := r.TLS()
			if t == nil || len(t.State.PeerCertificates) == 0 {
				return "", false
			}
			v := f(t.State.PeerCertificates[0], t)
			return v, v != ""
		}
	}
	pemOf := func(c *x509.Certificate) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	asn1Time := func(t time.Time) string { return t.UTC().Format("Jan _2 15:04:05 2006 GMT") }
	for _, v := range []*httpd.Variable{
		{Name: "ssl_client_verify", Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			t := r.TLS()
			if t == nil {
				return "", false
			}
			switch {
			case len(t.State.PeerCertificates) == 0:
				return "NONE", true
			case t.Verify != nil:
				if ve, ok := t.Verify.(*tlsconf.VerifyError); ok {
					return "FAILED:" + tlsconf.VerifyText(ve.Code), true
				}
				return "FAILED:" + t.Verify.Error(), true
			}
			return "SUCCESS", true
		}},
		{Name: "ssl_client_raw_cert", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return pemOf(c) })},
		{Name: "ssl_client_cert", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string {
			// deprecated: every line but the first starts with a tab
			return strings.ReplaceAll(strings.TrimSuffix(pemOf(c), "\n"), "\n", "\n\t")
		})},
		{Name: "ssl_client_escaped_cert", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string {
			return escapeComponent(pemOf(c))
		})},
		{Name: "ssl_client_s_dn", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return c.Subject.String() })},
		{Name: "ssl_client_i_dn", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return c.Issuer.String() })},
		{Name: "ssl_client_s_dn_legacy", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return legacyDN(c.RawSubject) })},
		{Name: "ssl_client_i_dn_legacy", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return legacyDN(c.RawIssuer) })},
		{Name: "ssl_client_serial", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string {
			b := c.SerialNumber.Bytes()
			if len(b) == 0 {
				return "00"
			}
			return strings.ToUpper(hex.EncodeToString(b))
		})},
		{Name: "ssl_client_fingerprint", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string {
			sum := sha1.Sum(c.Raw)
			return hex.EncodeToString(sum[:])
		})},
		{Name: "ssl_client_v_start", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return asn1Time(c.NotBefore) })},
		{Name: "ssl_client_v_end", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string { return asn1Time(c.NotAfter) })},
		{Name: "ssl_client_v_remain", Get: cert(func(c *x509.Certificate, _ *httpd.TLSInfo) string {
			d := int(time.Until(c.NotAfter) / (24 * time.Hour))
			return strconv.Itoa(max(d, 0))
		})},
	} {
		v.Flags |= httpd.VarChangeable
		if _, err := cf.AddVariable(v); err != nil {
			return err
		}
	}
	return nil
}

// escapeComponent escapes what nginx's ngx_escape_uri escapes in a URI
// component: everything but letters, digits and "-._~".
func escapeComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// dnNames are OpenSSL's short names of distinguished name attributes.
var dnNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.17": "postalCode",
	"2.5.4.4": "SN", "2.5.4.42": "GN", "2.5.4.12": "title", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID", "1.2.840.113549.1.9.1": "emailAddress",
}

// legacyDN is a name as OpenSSL's X509_NAME_oneline writes it:
// "/C=../O=../CN=..", in the certificate's order.
func legacyDN(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return ""
	}
	var b strings.Builder
	for _, rdn := range seq {
		for _, atv := range rdn {
			n, ok := dnNames[atv.Type.String()]
			if !ok {
				n = atv.Type.String()
			}
			b.WriteByte('/')
			b.WriteString(n)
			b.WriteByte('=')
			b.WriteString(fmt.Sprint(atv.Value))
		}
	}
	return b.String()
}
