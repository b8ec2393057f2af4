package certtest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"
)

// TestNew: the Spec's key type, serial and subject reach the certificate;
// the files hold what TLSCertificate returns (the chain and key as
// crypto/tls loads them); a CRL revokes by the certificates' serials;
// EncryptedKey encrypts either key type.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	ca := New(t, dir, "ca", Spec{CN: "ca", Organization: "Test", CA: true, Serial: 1})
	inter := New(t, dir, "inter", Spec{CN: "inter", CA: true, Issuer: ca})
	rsaLeaf := New(t, dir, "rsa", Spec{CN: "rsa.example", DNS: []string{"rsa.example"}, RSA: true, Issuer: inter})
	ecClient := New(t, dir, "client", Spec{CN: "client", Organization: "Clients", Client: true, Serial: 99, Issuer: ca})

	if _, ok := rsaLeaf.Key.(*rsa.PrivateKey); !ok || rsaLeaf.Cert.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
		t.Errorf("RSA leaf: key %T, usage %b", rsaLeaf.Key, rsaLeaf.Cert.KeyUsage)
	}
	if _, ok := ecClient.Key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("client key %T, want ECDSA", ecClient.Key)
	}
	if ca.Cert.SerialNumber.Int64() != 1 || ecClient.Cert.SerialNumber.Int64() != 99 || inter.Cert.SerialNumber.Int64() <= 1000 {
		t.Errorf("serials %v %v %v", ca.Cert.SerialNumber, ecClient.Cert.SerialNumber, inter.Cert.SerialNumber)
	}
	if got := ecClient.Cert.Subject.String(); got != "CN=client,O=Clients" {
		t.Errorf("client subject %q", got)
	}
	if got := ecClient.Cert.Issuer.String(); got != "CN=ca,O=Test" {
		t.Errorf("client issuer %q", got)
	}

	for _, c := range []*Cert{rsaLeaf, ecClient} {
		loaded, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		tc := c.TLSCertificate()
		if len(loaded.Certificate) != len(tc.Certificate) || tc.Leaf != c.Cert {
			t.Fatalf("%s: file chain of %d, TLSCertificate of %d", c.Cert.Subject, len(loaded.Certificate), len(tc.Certificate))
		}
		for i := range tc.Certificate {
			if string(loaded.Certificate[i]) != string(tc.Certificate[i]) {
				t.Errorf("%s: certificate %d differs", c.Cert.Subject, i)
			}
		}
	}
	if n := len(rsaLeaf.TLSCertificate().Certificate); n != 2 {
		t.Errorf("leaf of an intermediate: chain of %d, want 2", n)
	}

	crl := CRL(t, ca, time.Time{}, time.Time{}, ecClient)
	if err := crl.CheckSignatureFrom(ca.Cert); err != nil || len(crl.RevokedCertificateEntries) != 1 ||
		crl.RevokedCertificateEntries[0].SerialNumber.Int64() != 99 {
		t.Errorf("CRL: %v, %v", err, crl.RevokedCertificateEntries)
	}

	for _, c := range []*Cert{rsaLeaf, ecClient} {
		b, err := os.ReadFile(EncryptedKey(t, c, dir, "enc", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		//lint:ignore SA1019 the traditional encryption, as EncryptedKey writes it
		der, err := x509.DecryptPEMBlock(blk, []byte("secret")) //nolint:staticcheck
		if err != nil {
			t.Fatalf("%s: %v", blk.Type, err)
		}
		if _, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw}),
			pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: der})); err != nil {
			t.Errorf("%s: decrypted key: %v", blk.Type, err)
		}
	}
}
