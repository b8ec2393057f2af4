// Package certtest makes certificates, keys and CRLs at test time, written
// as PEM files into a test's directory: CAs, intermediates, server and
// client certificates, expired or self-signed ones, with ECDSA or RSA
// keys, for TLS tests against real servers (sluice, Debian's nginx).
package certtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// Spec describes a certificate. The zero value is a leaf with an ECDSA
// P-256 key, valid from an hour ago for a day, self-signed.
type Spec struct {
	// CN is the subject's common name.
	CN string
	// Organization, when set, is the subject's organization (O).
	Organization string
	// DNS and IPs are the subjectAltName entries.
	DNS []string
	IPs []net.IP
	// CA makes a CA certificate (basicConstraints CA:true, keyCertSign
	// and cRLSign).
	CA bool
	// Client gives the certificate the clientAuth extended key usage
	// (a leaf otherwise gets serverAuth).
	Client bool
	// RSA gives the certificate a 2048-bit RSA key instead of an ECDSA
	// P-256 one (and a leaf the keyEncipherment usage too).
	RSA bool
	// OCSP are the OCSP responder URLs of the authorityInfoAccess
	// extension.
	OCSP []string
	// OCSPSigning gives a leaf the OCSPSigning extended key usage only (a
	// delegated OCSP responder's certificate).
	OCSPSigning bool
	// Serial, when not zero, is the serial number; otherwise it comes
	// from a counter of the package's (1001, 1002, ...).
	Serial int64
	// NotBefore and NotAfter, when set, replace the default validity.
	NotBefore, NotAfter time.Time
	// Issuer signs the certificate; nil makes it self-signed.
	Issuer *Cert
}

// Cert is a certificate with its key, and the files they were written to.
type Cert struct {
	Cert *x509.Certificate
	// Key is an *ecdsa.PrivateKey, or an *rsa.PrivateKey (Spec.RSA).
	Key crypto.Signer
	// CertFile holds the certificate (and, for a leaf issued by an
	// intermediate, that intermediate after it: the chain a server sends);
	// KeyFile the key.
	CertFile, KeyFile string
	// Issuer is the certificate's issuer, nil when self-signed.
	Issuer *Cert
}

var serial atomic.Int64

// New makes the certificate and writes NAME.pem and NAME.key (an "EC
// PRIVATE KEY" or "RSA PRIVATE KEY") into dir.
func New(t testing.TB, dir, name string, s Spec) *Cert {
	t.Helper()
	var key crypto.Signer
	var err error
	if s.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	nb, na := s.NotBefore, s.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
	}
	if na.IsZero() {
		na = time.Now().Add(24 * time.Hour)
	}
	sn := s.Serial
	if sn == 0 {
		sn = 1000 + serial.Add(1)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(sn),
		Subject:               pkix.Name{CommonName: s.CN},
		NotBefore:             nb,
		NotAfter:              na,
		DNSNames:              s.DNS,
		IPAddresses:           s.IPs,
		BasicConstraintsValid: true,
		OCSPServer:            s.OCSP,
	}
	if s.Organization != "" {
		tmpl.Subject.Organization = []string{s.Organization}
	}
	if s.CA {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if s.RSA {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		if s.Client {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		if s.OCSPSigning {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
		}
	}
	parent, signer := tmpl, key
	if s.Issuer != nil {
		parent, signer = s.Issuer.Cert, s.Issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cert{Cert: cert, Key: key, Issuer: s.Issuer,
		CertFile: filepath.Join(dir, name+".pem"), KeyFile: filepath.Join(dir, name+".key")}
	var chain []byte
	for _, x := range c.chain() {
		chain = append(chain, pemCert(x)...)
	}
	write(t, c.CertFile, chain)
	write(t, c.KeyFile, pem.EncodeToMemory(keyBlock(t, key)))
	return c
}

// chain is the certificate and, for a leaf issued by an intermediate, that
// intermediate: what CertFile holds, as servers send it.
func (c *Cert) chain() []*x509.Certificate {
	if c.Issuer != nil && c.Issuer.Issuer != nil && !c.Cert.IsCA {
		return []*x509.Certificate{c.Cert, c.Issuer.Cert}
	}
	return []*x509.Certificate{c.Cert}
}

// TLSCertificate returns the certificate (its chain as in CertFile) and
// key as crypto/tls takes them, for a client or server in the test.
func (c *Cert) TLSCertificate() tls.Certificate {
	tc := tls.Certificate{PrivateKey: c.Key, Leaf: c.Cert}
	for _, x := range c.chain() {
		tc.Certificate = append(tc.Certificate, x.Raw)
	}
	return tc
}

// keyBlock is key in its traditional PEM form: "EC PRIVATE KEY" (SEC 1)
// or "RSA PRIVATE KEY" (PKCS #1).
func keyBlock(t testing.TB, key crypto.Signer) *pem.Block {
	t.Helper()
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	t.Fatalf("certtest: key of type %T", key)
	return nil
}

// Bundle writes the certificates into dir/NAME.pem, one after the other
// (a trusted CA file), and returns its path.
func Bundle(t testing.TB, dir, name string, certs ...*Cert) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pemCert(c.Cert)...)
	}
	path := filepath.Join(dir, name+".pem")
	write(t, path, b)
	return path
}

// CRL makes a CRL of issuer revoking the given certificates, valid from
// thisUpdate to nextUpdate (zero values: from an hour ago for a day).
func CRL(t testing.TB, issuer *Cert, thisUpdate, nextUpdate time.Time, revoked ...*Cert) *x509.RevocationList {
	t.Helper()
	if thisUpdate.IsZero() {
		thisUpdate = time.Now().Add(-time.Hour)
	}
	if nextUpdate.IsZero() {
		nextUpdate = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(serial.Add(1)), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.Cert, issuer.Key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// CRLFile writes CRLs into dir/NAME.crl and returns its path.
func CRLFile(t testing.TB, dir, name string, crls ...*x509.RevocationList) string {
	t.Helper()
	var b []byte
	for _, l := range crls {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: l.Raw})...)
	}
	path := filepath.Join(dir, name+".crl")
	write(t, path, b)
	return path
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// EncryptedKey writes c's key into dir/NAME.key encrypted the traditional
// way (Proc-Type: 4,ENCRYPTED, AES-256-CBC) with password, as
// ssl_password_file and proxy_ssl_password_file decrypt, and returns its
// path.
func EncryptedKey(t testing.TB, c *Cert, dir, name, password string) string {
	t.Helper()
	plain := keyBlock(t, c.Key)
	//lint:ignore SA1019 the traditional encryption is what nginx's password files are for
	blk, err := x509.EncryptPEMBlock(rand.Reader, plain.Type, plain.Bytes, []byte(password), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".key")
	write(t, path, pem.EncodeToMemory(blk))
	return path
}
