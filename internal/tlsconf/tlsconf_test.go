package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mask     uint
		min, max uint16
		err      string
	}{
		{"default", DefaultProtocols, tls.VersionTLS12, tls.VersionTLS13, ""},
		{"all", ProtoSSLv3 | ProtoTLS10 | ProtoTLS11 | ProtoTLS12 | ProtoTLS13, tls.VersionTLS10, tls.VersionTLS13, ""},
		{"one", ProtoTLS12, tls.VersionTLS12, tls.VersionTLS12, ""},
		{"gap becomes a range", ProtoTLS13 | ProtoTLS10, tls.VersionTLS10, tls.VersionTLS13, ""},
		{"ssl only", ProtoSSLv2 | ProtoSSLv3, 0, 0, "no protocol enabled"},
		{"none", 0, 0, 0, "no protocol enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			min, max, err := Versions(tc.mask)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || min != tc.min || max != tc.max {
				t.Fatalf("Versions = %x, %x, %v; want %x, %x", min, max, err, tc.min, tc.max)
			}
		})
	}
	if ProtocolName(tls.VersionTLS13) != "TLSv1.3" || ProtocolName(tls.VersionTLS10) != "TLSv1" || ProtocolName(0x0300) != "unknown" {
		t.Fatal("ProtocolName")
	}
}

func names(ids []uint16) []string {
	var out []string
	for _, id := range ids {
		out = append(out, CipherName(id))
	}
	return out
}

func TestCiphers(t *testing.T) {
	high := []string{}
	for _, s := range suites {
		if s.attr&strHigh != 0 {
			high = append(high, s.name)
		}
	}
	for _, tc := range []struct {
		name string
		spec string
		want []string // nil: only check has/hasNot
		has  []string
		not  []string
		err  bool
	}{
		{name: "nginx default", spec: "HIGH:!aNULL:!MD5", want: high},
		{name: "one name", spec: "ECDHE-RSA-AES128-GCM-SHA256", want: []string{"ECDHE-RSA-AES128-GCM-SHA256"}},
		{name: "names in order", spec: "AES128-SHA:ECDHE-RSA-AES256-SHA", want: []string{"AES128-SHA", "ECDHE-RSA-AES256-SHA"}},
		{name: "unknown names ignored", spec: "FOO:AES128-SHA:DHE-RSA-AES128-SHA", want: []string{"AES128-SHA"}},
		{name: "intersection", spec: "ECDHE+AESGCM+aRSA", want: []string{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}},
		{name: "minus then re-add", spec: "AESGCM:-AES256:AES256-GCM-SHA384", want: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384"}},
		{name: "bang is final", spec: "AESGCM:!AES256:AES256-GCM-SHA384", want: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES128-GCM-SHA256"}},
		{name: "plus moves to the end", spec: "AES128-SHA:AES256-SHA:+AES128", want: []string{"AES256-SHA", "AES128-SHA"}},
		{name: "strength", spec: "AES128-SHA:AES256-SHA@STRENGTH", want: []string{"AES256-SHA", "AES128-SHA"}},
		{name: "seclevel ignored", spec: "AES128-SHA@SECLEVEL=0", want: []string{"AES128-SHA"}},
		{name: "seclevel element ignored", spec: "AES128-SHA:@SECLEVEL=0", want: []string{"AES128-SHA"}},
		{name: "separators", spec: "AES128-SHA AES256-SHA,RC4-SHA;DES-CBC3-SHA", want: []string{"AES128-SHA", "AES256-SHA", "RC4-SHA", "DES-CBC3-SHA"}},
		{name: "default leaves weak out", spec: "DEFAULT", has: []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"}, not: []string{"RC4-SHA", "DES-CBC3-SHA"}},
		{name: "all has weak", spec: "ALL", has: []string{"RC4-SHA", "DES-CBC3-SHA", "ECDHE-ECDSA-CHACHA20-POLY1305"}},
		{name: "tls1 suites", spec: "TLSv1", has: []string{"AES128-SHA"}, not: []string{"AES128-GCM-SHA256"}},
		{name: "tls1.2 suites", spec: "TLSv1.2:!aECDSA:!kRSA", has: []string{"ECDHE-RSA-AES128-GCM-SHA256"}, not: []string{"AES128-SHA", "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"}},
		{name: "medium", spec: "MEDIUM", want: []string{"ECDHE-RSA-DES-CBC3-SHA", "DES-CBC3-SHA", "ECDHE-ECDSA-RC4-SHA", "ECDHE-RSA-RC4-SHA", "RC4-SHA"}},
		{name: "nothing Go has", spec: "DHE-RSA-AES128-SHA:CAMELLIA", err: true},
		{name: "all removed", spec: "HIGH:!ALL", err: true},
		{name: "empty", spec: "", err: true},
		{name: "only operators", spec: "!:-:+", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := Ciphers(tc.spec)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), "no cipher match") || !strings.Contains(err.Error(), `SSL_CTX_set_cipher_list("`+tc.spec+`")`) {
					t.Fatalf("Ciphers(%q) = %v, %v; want nginx's error", tc.spec, names(ids), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := names(ids)
			if tc.want != nil && !slices.Equal(got, tc.want) {
				t.Fatalf("Ciphers(%q) =\n%v\nwant\n%v", tc.spec, got, tc.want)
			}
			for _, n := range tc.has {
				if !slices.Contains(got, n) {
					t.Errorf("%s missing from %v", n, got)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("%s in %v", n, got)
				}
			}
		})
	}
}

// TestSuitesKnownToGo keeps the table honest: every suite is one Go
// implements, under the name Go gives it in OpenSSL's spelling.
func TestSuitesKnownToGo(t *testing.T) {
	goSuites := map[uint16]bool{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		goSuites[s.ID] = true
	}
	seen := map[string]bool{}
	for _, s := range suites {
		if !goSuites[s.id] {
			t.Errorf("%s (%#04x) is not a suite Go implements", s.name, s.id)
		}
		if seen[s.name] {
			t.Errorf("%s twice", s.name)
		}
		seen[s.name] = true
	}
	if got := CipherName(tls.TLS_AES_128_GCM_SHA256); got != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("CipherName(TLS 1.3) = %q", got)
	}
	if got := CipherName(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); got != "ECDHE-RSA-AES128-GCM-SHA256" {
		t.Errorf("CipherName(TLS 1.2) = %q", got)
	}
}

// writeCert writes a self-signed certificate and its key (PEM) to dir and
// returns their paths. A non-empty password encrypts the key the
// traditional way.
func writeCert(t *testing.T, dir, name string, key any, password string) (certFile, keyFile string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{name},
	}
	var der []byte
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	case *ecdsa.PrivateKey:
		der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	}
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	blk := &pem.Block{Type: "PRIVATE KEY", Bytes: kder}
	if rk, ok := key.(*rsa.PrivateKey); ok && password != "" {
		//lint:ignore SA1019 the format ssl_password_file decrypts
		blk, err = x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk), []byte(password), x509.PEMCipherAES256) //nolint:staticcheck
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestLoadCertificate(t *testing.T) {
	dir := t.TempDir()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rc, rk := writeCert(t, dir, "rsa.example", rsaKey, "")
	ec, ek := writeCert(t, dir, "ec.example", ecKey, "")
	pc, pk := writeCert(t, dir, "enc.example", rsaKey, "secret")
	missing := filepath.Join(dir, "missing.crt")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a pem file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		cert, key  string
		passwords  []string
		wantErr    string
		wantSubjCN string
	}{
		{name: "rsa", cert: rc, key: rk, wantSubjCN: "rsa.example"},
		{name: "ecdsa", cert: ec, key: ek, wantSubjCN: "ec.example"},
		{name: "encrypted key, second password", cert: pc, key: pk, passwords: []string{"wrong", "secret"}, wantSubjCN: "enc.example"},
		{name: "encrypted key, no password", cert: pc, key: pk, wantErr: `cannot load certificate key "` + pk + `"`},
		{name: "encrypted key, bad password", cert: pc, key: pk, passwords: []string{"wrong"}, wantErr: "bad decrypt"},
		{name: "mismatched pair", cert: rc, key: ek, wantErr: "key values mismatch"},
		{name: "missing certificate", cert: missing, key: rk, wantErr: `cannot load certificate "` + missing + `": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(` + missing + `, r) error:10000080:BIO routines::no such file)`},
		{name: "not a certificate", cert: garbage, key: rk, wantErr: `cannot load certificate "` + garbage + `": PEM_read_bio_X509_AUX() failed`},
		{name: "not a key", cert: rc, key: garbage, wantErr: `cannot load certificate key "` + garbage + `": PEM_read_bio_PrivateKey() failed`},
		{name: "certificate as key", cert: rc, key: rc, wantErr: `cannot load certificate key "` + rc + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCertificate(tc.cert, tc.key, tc.passwords)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Leaf == nil || c.Leaf.Subject.CommonName != tc.wantSubjCN {
				t.Fatalf("leaf = %v", c.Leaf)
			}
			// the pair really serves a handshake
			srv := &tls.Config{Certificates: []tls.Certificate{c}}
			pool := x509.NewCertPool()
			pool.AddCert(c.Leaf)
			cli := &tls.Config{RootCAs: pool, ServerName: tc.wantSubjCN}
			if err := handshake(srv, cli); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// handshake runs a TLS handshake between two configurations over a
// loopback TCP connection.
func handshake(srv, cli *tls.Config) error {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		return err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.(*tls.Conn).Handshake()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), cli)
	if err != nil {
		<-done
		return err
	}
	c.Close()
	return <-done
}

// TestEncryptedPKCS8 loads keys as OpenSSL 3 encrypts them (testdata made
// with openssl genrsa -aes128 and openssl pkcs8 -topk8 -v2 ...).
func TestEncryptedPKCS8(t *testing.T) {
	for _, tc := range []struct {
		name, cert, key string
		passwords       []string
		wantErr         string
	}{
		{name: "genrsa -aes128", cert: "rsa-genrsa-aes128.crt", key: "rsa-genrsa-aes128.key", passwords: []string{"secret"}},
		{name: "aes-128-cbc, hmacWithSHA256", cert: "ec.crt", key: "ec-aes128-sha256.key", passwords: []string{"wrong", "secret"}},
		{name: "aes-256-cbc, hmacWithSHA512", cert: "ec.crt", key: "ec-aes256-sha512.key", passwords: []string{"secret"}},
		{name: "des3, hmacWithSHA1", cert: "ec.crt", key: "ec-des3-sha1.key", passwords: []string{"secret"}},
		{name: "plain", cert: "ec.crt", key: "ec-plain.key"},
		{name: "wrong password", cert: "ec.crt", key: "ec-aes128-sha256.key", passwords: []string{"wrong", "Secret"}, wantErr: "bad decrypt"},
		{name: "no password", cert: "ec.crt", key: "ec-aes128-sha256.key", wantErr: "no password given"},
		{name: "PBES1", cert: "ec.crt", key: "ec-pbes1.key", passwords: []string{"secret"}, wantErr: "unsupported"},
		{name: "key of another certificate", cert: "rsa-genrsa-aes128.crt", key: "ec-aes128-sha256.key", passwords: []string{"secret"}, wantErr: "key values mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCertificate(filepath.Join("testdata", tc.cert), filepath.Join("testdata", tc.key), tc.passwords)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// the testdata certificates have no SANs: the handshake (whose
			// signature the client checks with the certificate's key)
			// is what matters here
			if err := handshake(&tls.Config{Certificates: []tls.Certificate{c}}, &tls.Config{InsecureSkipVerify: true}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadPool(t *testing.T) {
	dir := t.TempDir()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := writeCert(t, dir, "a.example", k, "")
	b, _ := writeCert(t, dir, "b.example", k, "")
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	bundle := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(bundle, append(append(ab, []byte("comment between\n")...), bb...), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadPool(bundle)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 counting the subjects is enough here
	if n := len(pool.Subjects()); n != 2 { //nolint:staticcheck
		t.Fatalf("%d certificates in the pool, want 2", n)
	}
	for _, f := range []string{empty, filepath.Join(dir, "none.pem")} {
		if _, err := LoadPool(f); err == nil || !strings.Contains(err.Error(), `SSL_CTX_load_verify_locations("`+f+`") failed`) {
			t.Errorf("LoadPool(%s) err = %v", f, err)
		}
	}
}

func TestReadPasswords(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	if err := os.WriteFile(f, []byte("one\r\n\ntwo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPasswords(f)
	if err != nil || !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("ReadPasswords = %q, %v", got, err)
	}
	if err := os.WriteFile(f, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPasswords(f); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadPasswords(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "No such file") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzCiphers(f *testing.F) {
	for _, s := range []string{"HIGH:!aNULL:!MD5", "DEFAULT", "ECDHE+AESGCM:-RSA:+AES128:@STRENGTH", "!ALL", "AES128-SHA@SECLEVEL=0", ":::", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ids, err := Ciphers(spec)
		if (err == nil) == (len(ids) == 0) {
			t.Fatalf("Ciphers(%q) = %v, %v", spec, ids, err)
		}
		seen := map[uint16]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("Ciphers(%q): %#04x twice", spec, id)
			}
			seen[id] = true
		}
	})
}

// FuzzDecryptPKCS8 feeds the PKCS#8 reader DER (seeded with the encrypted
// keys in testdata/): it must fail cleanly or return a key.
func FuzzDecryptPKCS8(f *testing.F) {
	for _, name := range []string{"ec-aes128-sha256.key", "ec-aes256-sha512.key", "ec-des3-sha1.key", "ec-pbes1.key"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		f.Add(blk.Bytes, "secret")
	}
	f.Fuzz(func(t *testing.T, der []byte, password string) {
		out, err := decryptPKCS8(der, password)
		if err == nil {
			if _, perr := parseKey(out); perr != nil {
				t.Fatalf("decrypted to something that is not a key: %v", perr)
			}
		}
	})
}

// TestParseCRL reads version 1 lists (openssl ca -gencrl without CRL
// extensions), which Go's parser refuses, and version 2 ones, and checks
// their signatures and entries (testdata made with openssl ca).
func TestParseCRL(t *testing.T) {
	ca := readCert(t, "crl-ca.crt")
	leaf := readCert(t, "crl-leaf.crt")
	other := readCert(t, "ec.crt")
	for _, tc := range []struct {
		file    string
		revoked bool
	}{
		{"empty-v1.crl", false},
		{"revoked-v1.crl", true},
		{"revoked-v2.crl", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			blk, _ := pem.Decode(b)
			l, err := ParseCRL(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.CheckSignatureFrom(ca); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if err := l.CheckSignatureFrom(other); err == nil {
				t.Fatal("signature checks out against another certificate")
			}
			if string(l.RawIssuer) != string(ca.RawSubject) || l.Issuer.CommonName != "ca.example" {
				t.Fatalf("issuer %v", l.Issuer)
			}
			if l.ThisUpdate.IsZero() || !l.NextUpdate.After(l.ThisUpdate) {
				t.Fatalf("this update %v, next update %v", l.ThisUpdate, l.NextUpdate)
			}
			found := false
			for _, e := range l.RevokedCertificateEntries {
				found = found || e.SerialNumber.Cmp(leaf.SerialNumber) == 0 && !e.RevocationTime.IsZero()
			}
			if found != tc.revoked {
				t.Fatalf("leaf revoked: %v, want %v (%d entries)", found, tc.revoked, len(l.RevokedCertificateEntries))
			}
		})
	}
	if _, err := ParseCRL([]byte("\x30\x03\x02\x01\x00")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func readCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzParseCRL: any input fails cleanly or gives a list.
func FuzzParseCRL(f *testing.F) {
	for _, name := range []string{"empty-v1.crl", "revoked-v1.crl", "revoked-v2.crl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		f.Add(blk.Bytes)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		if l, err := ParseCRL(der); err == nil && l == nil {
			t.Fatal("nil list without an error")
		}
	})
}

// TestTrustedCertificateAux loads OpenSSL's TRUSTED CERTIFICATE blocks
// (a certificate followed by trust settings, testdata made with openssl
// x509 -addtrust -trustout) as certificates and as CAs.
func TestTrustedCertificateAux(t *testing.T) {
	f := filepath.Join("testdata", "ec-trusted-aux.crt")
	c, err := LoadCertificate(f, filepath.Join("testdata", "ec-plain.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf.Subject.CommonName != "ec.example" {
		t.Fatalf("leaf %v", c.Leaf.Subject)
	}
	_, certs, err := LoadTrusted(f)
	if err != nil || len(certs) != 1 || !certs[0].Equal(c.Leaf) {
		t.Fatalf("LoadTrusted = %v, %v", certs, err)
	}
}

// TestRemoteAlert: a client that refuses the server's certificate sends
// bad_certificate (42), which the server's handshake reports as a remote
// error; RemoteAlert finds its number and AlertReason OpenSSL's text.
func TestRemoteAlert(t *testing.T) {
	c, err := LoadCertificate(filepath.Join("testdata", "ec.crt"), filepath.Join("testdata", "ec-plain.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		sc, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer sc.Close()
		srvErr <- sc.(*tls.Conn).Handshake()
	}()
	// no roots: the client refuses the certificate
	if cc, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "ec.example", RootCAs: x509.NewCertPool()}); err == nil {
		cc.Close()
		t.Fatal("client accepted an unknown certificate")
	}
	n, text, ok := RemoteAlert(<-srvErr)
	if !ok || n != 42 || text != "bad certificate" {
		t.Fatalf("RemoteAlert = %d, %q, %v", n, text, ok)
	}
	if r, ok := AlertReason(n); !ok || r != "sslv3 alert bad certificate" {
		t.Fatalf("AlertReason(42) = %q, %v", r, ok)
	}
	if _, _, ok := RemoteAlert(errors.New("tls: bad certificate")); ok {
		t.Fatal("a plain error taken for an alert")
	}
}
