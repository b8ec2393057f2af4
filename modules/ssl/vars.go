package ssl

import (
	"crypto/tls"
	"strconv"
	"strings"

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
	return nil
}
