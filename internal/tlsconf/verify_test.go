package tlsconf_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/tlsconf"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// TestVerify checks the OpenSSL result Verify gives for chains a server
// sends. The codes are the ones Debian's nginx with OpenSSL 3 logs for the
// same chains (modules/proxy TestProxySSLDiff checks the common ones
// against it).
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-48 * time.Hour)
	ca := certtest.New(t, dir, "ca", certtest.Spec{CN: "ca", CA: true})
	inter := certtest.New(t, dir, "inter", certtest.Spec{CN: "inter", CA: true, Issuer: ca})
	inter2 := certtest.New(t, dir, "inter2", certtest.Spec{CN: "inter2", CA: true, Issuer: inter})
	other := certtest.New(t, dir, "other", certtest.Spec{CN: "other", CA: true})
	notCA := certtest.New(t, dir, "notca", certtest.Spec{CN: "notca", Issuer: ca})
	leaf := certtest.New(t, dir, "leaf", certtest.Spec{CN: "leaf", DNS: []string{"localhost"}, Issuer: ca})
	viaInter := certtest.New(t, dir, "via", certtest.Spec{CN: "via", Issuer: inter})
	viaInter2 := certtest.New(t, dir, "via2", certtest.Spec{CN: "via2", Issuer: inter2})
	unknown := certtest.New(t, dir, "unknown", certtest.Spec{CN: "unknown", Issuer: other})
	self := certtest.New(t, dir, "self", certtest.Spec{CN: "self"})
	expired := certtest.New(t, dir, "expired", certtest.Spec{CN: "expired", Issuer: ca, NotBefore: past, NotAfter: past.Add(time.Hour)})
	future := certtest.New(t, dir, "future", certtest.Spec{CN: "future", Issuer: ca, NotBefore: time.Now().Add(time.Hour)})
	expiredUnknown := certtest.New(t, dir, "expiredunknown", certtest.Spec{CN: "eu", Issuer: other, NotBefore: past, NotAfter: past.Add(time.Hour)})
	client := certtest.New(t, dir, "client", certtest.Spec{CN: "client", Client: true, Issuer: ca})
	badIssuer := certtest.New(t, dir, "badissuer", certtest.Spec{CN: "bad", Issuer: notCA})
	revoked := certtest.New(t, dir, "revoked", certtest.Spec{CN: "revoked", Issuer: ca})

	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	interOnly := x509.NewCertPool()
	interOnly.AddCert(inter.Cert)
	interAndCA := x509.NewCertPool()
	interAndCA.AddCert(inter.Cert)
	interAndCA.AddCert(ca.Cert)
	crlCA := certtest.CRL(t, ca, time.Time{}, time.Time{}, revoked)
	crlInter := certtest.CRL(t, inter, time.Time{}, time.Time{})
	crlExpired := certtest.CRL(t, ca, past, past.Add(time.Hour))

	chain := func(cs ...*certtest.Cert) []*x509.Certificate {
		var out []*x509.Certificate
		for _, c := range cs {
			out = append(out, c.Cert)
		}
		return out
	}
	tests := []struct {
		name  string
		certs []*x509.Certificate
		roots *x509.CertPool
		depth int
		crls  []*x509.RevocationList
		usage x509.ExtKeyUsage
		// trusted: Verifier.Trusted (with roots holding the same)
		trusted []*x509.Certificate
		want    int // 0: verified
	}{
		{name: "issued by the trusted CA", certs: chain(leaf), depth: 1},
		{name: "depth 0 allows a leaf under the anchor", certs: chain(leaf), depth: 0},
		{name: "one intermediate within depth 1", certs: chain(viaInter, inter), depth: 1},
		{name: "one intermediate beyond depth 0", certs: chain(viaInter, inter), depth: 0, want: 20},
		{name: "two intermediates beyond depth 1", certs: chain(viaInter2, inter2, inter), depth: 1, want: 20},
		{name: "two intermediates within depth 2", certs: chain(viaInter2, inter2, inter), depth: 2},
		{name: "intermediate not sent", certs: chain(viaInter), depth: 1, want: 21},
		{name: "unknown CA, leaf only", certs: chain(unknown), depth: 1, want: 21},
		{name: "unknown CA, chain sent", certs: chain(viaInter, inter, ca), roots: x509.NewCertPool(), depth: 2, want: 19},
		{name: "unknown CA, intermediate sent", certs: chain(viaInter, inter), roots: x509.NewCertPool(), depth: 2, want: 20},
		{name: "self-signed", certs: chain(self), depth: 1, want: 18},
		{name: "trusted intermediate without its root", certs: chain(viaInter), roots: interOnly, depth: 1, want: 2},
		{name: "trusted intermediate and its root, leaf only sent", certs: chain(viaInter), roots: interAndCA, trusted: chain(inter, ca), depth: 1},
		{name: "trusted intermediate and its root, CRLs of the chain", certs: chain(viaInter), roots: interAndCA, trusted: chain(inter, ca), depth: 1, crls: []*x509.RevocationList{crlInter, crlCA}},
		{name: "expired", certs: chain(expired), depth: 1, want: 10},
		{name: "not yet valid", certs: chain(future), depth: 1, want: 9},
		{name: "expired and unknown: the time error is the last", certs: chain(expiredUnknown), depth: 1, want: 10},
		{name: "client certificate for a server", certs: chain(client), depth: 1, usage: x509.ExtKeyUsageServerAuth, want: 26},
		{name: "client certificate for a client", certs: chain(client), depth: 1, usage: x509.ExtKeyUsageClientAuth},
		{name: "issuer is not a CA", certs: chain(badIssuer, notCA), depth: 1, want: 79},
		{name: "revoked", certs: chain(revoked), depth: 1, crls: []*x509.RevocationList{crlCA}, want: 23},
		{name: "not revoked", certs: chain(leaf), depth: 1, crls: []*x509.RevocationList{crlCA}},
		{name: "no CRL of the issuer", certs: chain(leaf), depth: 1, crls: []*x509.RevocationList{crlInter}, want: 3},
		{name: "no CRL of the intermediate's issuer", certs: chain(viaInter, inter), depth: 1, crls: []*x509.RevocationList{crlInter}, want: 3},
		{name: "CRLs of the whole chain", certs: chain(viaInter, inter), depth: 1, crls: []*x509.RevocationList{crlInter, crlCA}},
		{name: "expired CRL", certs: chain(leaf), depth: 1, crls: []*x509.RevocationList{crlExpired}, want: 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &tlsconf.Verifier{Roots: roots, Depth: tc.depth, CRLs: tc.crls, Usage: tc.usage, Trusted: tc.trusted}
			if tc.roots != nil {
				v.Roots = tc.roots
			}
			err := v.Verify(tc.certs)
			got := 0
			var ve *tlsconf.VerifyError
			if errors.As(err, &ve) {
				got = ve.Code
			} else if err != nil {
				t.Fatalf("error %v is not a VerifyError", err)
			}
			if got != tc.want {
				t.Errorf("got %d (%v), want %d (%s)", got, err, tc.want, tlsconf.VerifyText(tc.want))
			}
		})
	}
	if err := (&tlsconf.Verifier{Roots: roots}).Verify(nil); err != tlsconf.ErrNoPeerCertificate {
		t.Errorf("no certificate: %v", err)
	}
}

// TestVerifyErrorText checks the rendering nginx logs.
func TestVerifyErrorText(t *testing.T) {
	for code, want := range map[int]string{
		20: "(20:unable to get local issuer certificate)",
		10: "(10:certificate has expired)",
		18: "(18:self-signed certificate)",
		23: "(23:certificate revoked)",
		3:  "(3:unable to get certificate CRL)",
	} {
		if got := (&tlsconf.VerifyError{Code: code}).Error(); got != want {
			t.Errorf("%d: %q, want %q", code, got, want)
		}
	}
}

// TestVerifyErrorOptional checks the errors optional_no_ca lets pass.
func TestVerifyErrorOptional(t *testing.T) {
	for code, want := range map[int]bool{18: true, 19: true, 20: true, 21: true, 27: true, 10: false, 23: false, 2: false} {
		if got := (&tlsconf.VerifyError{Code: code}).Optional(); got != want {
			t.Errorf("%d: %v, want %v", code, got, want)
		}
	}
}

// TestCheckHost checks X509_check_host's rules.
func TestCheckHost(t *testing.T) {
	cert := func(cn string, dns ...string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		host string
		want bool
	}{
		{"exact", cert("", "example.com"), "example.com", true},
		{"case", cert("", "Example.COM"), "example.com", true},
		{"other name", cert("", "example.com"), "example.org", false},
		{"second name", cert("", "a.example", "b.example"), "b.example", true},
		{"common name without DNS names", cert("example.com"), "example.com", true},
		{"common name ignored with DNS names", cert("example.com", "other.example"), "example.com", false},
		{"wildcard", cert("", "*.example.com"), "www.example.com", true},
		{"wildcard one label only", cert("", "*.example.com"), "a.b.example.com", false},
		{"wildcard not the bare domain", cert("", "*.example.com"), "example.com", false},
		{"wildcard needs two labels after it", cert("", "*.com"), "example.com", false},
		{"partial wildcard", cert("", "w*.example.com"), "www.example.com", true},
		{"partial wildcard mismatch", cert("", "w*.example.com"), "ftp.example.com", false},
		{"wildcard not in the first label", cert("", "www.*.com"), "www.example.com", false},
		{"IP address as text", cert("", "127.0.0.1"), "127.0.0.1", true},
		{"IP address not matched by a wildcard", cert("", "*.0.0.1"), "127.0.0.1", false},
		{"empty name", cert("", "example.com"), "", false},
		{"trailing dot", cert("", "example.com"), "example.com.", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tlsconf.CheckHost(tc.cert, tc.host); got != tc.want {
				t.Errorf("CheckHost(%v, %q) = %v, want %v", tc.cert.DNSNames, tc.host, got, tc.want)
			}
		})
	}
	// an IP address entry is not a DNS name: nginx checks names only
	ipOnly := &x509.Certificate{IPAddresses: nil, Subject: pkix.Name{CommonName: "localhost"}}
	if tlsconf.CheckHost(ipOnly, "127.0.0.1") {
		t.Error("127.0.0.1 matched a certificate for localhost")
	}
}

// TestLoadCRL checks CRL files and nginx's errors for bad ones.
func TestLoadCRL(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.New(t, dir, "ca", certtest.Spec{CN: "ca", CA: true})
	good := certtest.CRLFile(t, dir, "good", certtest.CRL(t, ca, time.Time{}, time.Time{}))
	empty := filepath.Join(dir, "empty.crl")
	if err := os.WriteFile(empty, []byte("nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, err string
		n               int
	}{
		{"one CRL", good, "", 1},
		{"missing", filepath.Join(dir, "none.crl"), `cannot load CRL "` + filepath.Join(dir, "none.crl") + `": BIO_new_file() failed (2: No such file or directory)`, 0},
		{"no CRL in the file", empty, `cannot load CRL "` + empty + `": PEM_read_bio_X509_CRL() failed`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tlsconf.LoadCRL(tc.file)
			if tc.err == "" {
				if err != nil || len(l) != tc.n {
					t.Fatalf("got %d CRLs, %v", len(l), err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("error %v, want %q...", err, tc.err)
			}
		})
	}
}

// FuzzCheckHost feeds patterns and names to the name check: it never
// panics, a name always matches itself, and case never matters.
func FuzzCheckHost(f *testing.F) {
	for _, s := range [][2]string{
		{"*.example.com", "www.example.com"}, {"w*.example.com", "w.example.com"},
		{"*", "a"}, {"*.", "a."}, {"**.a.b", "x.a.b"}, {"xn--*.a.b", "xn--1.a.b"},
		{"a.*.c", "a.b.c"}, {"[::1]", "::1"}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		c := &x509.Certificate{DNSNames: []string{pattern}}
		got := tlsconf.CheckHost(c, name)
		if isASCII(pattern) && isASCII(name) && got != tlsconf.CheckHost(c, strings.ToUpper(name)) {
			t.Errorf("%q against %q: the case of the name matters", name, pattern)
		}
		if name != "" && !tlsconf.CheckHost(&x509.Certificate{DNSNames: []string{name}}, name) {
			t.Errorf("%q does not match itself", name)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestVerifyCRLFiles checks CRL files as "openssl ca -gencrl" writes them
// (version 1, without extensions; testdata) in a verification.
func TestVerifyCRLFiles(t *testing.T) {
	pool, err := tlsconf.LoadPool("testdata/crl-ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/crl-leaf.crt")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want int
	}{
		{"testdata/empty-v1.crl", 0},
		{"testdata/revoked-v1.crl", tlsconf.VerifyCertRevoked},
		{"testdata/revoked-v2.crl", tlsconf.VerifyCertRevoked},
	} {
		t.Run(tc.file, func(t *testing.T) {
			crls, err := tlsconf.LoadCRL(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			v := &tlsconf.Verifier{Roots: pool, Depth: 1, CRLs: crls, Usage: x509.ExtKeyUsageServerAuth}
			got := 0
			var ve *tlsconf.VerifyError
			if err := v.Verify([]*x509.Certificate{leaf}); errors.As(err, &ve) {
				got = ve.Code
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}
