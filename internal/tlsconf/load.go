package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
)

// ReadPasswords reads ssl_password_file: one passphrase per line, tried in
// turn on an encrypted key.
func ReadPasswords(file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("open() \"%s\" failed (%v)", file, sysErr(err))
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			continue
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty file \"%s\"", file)
	}
	return out, nil
}

// LoadCertificate loads a PEM certificate (the first block the server's
// own, the rest its chain) and its PEM private key, as ssl_certificate and
// ssl_certificate_key (or their proxy_ssl_ twins) name them. A key
// encrypted the traditional way ("Proc-Type: 4,ENCRYPTED") is decrypted
// with each of passwords in turn. Errors are worded as nginx's: cannot
// load certificate "...": ..., cannot load certificate key "...": ....
func LoadCertificate(certFile, keyFile string, passwords []string) (tls.Certificate, error) {
	c, err := LoadChain(certFile)
	if err != nil {
		return c, err
	}
	key, err := LoadKey(keyFile, passwords)
	if err != nil {
		return c, err
	}
	return c, MatchKey(&c, key, keyFile)
}

// LoadChain loads a PEM certificate and its chain, without the key.
func LoadChain(certFile string) (tls.Certificate, error) {
	var c tls.Certificate
	cb, err := readPEM(certFile)
	if err != nil {
		return c, fmt.Errorf("cannot load certificate \"%s\": BIO_new_file() failed (%s)", certFile, FopenError(certFile, "r", err))
	}
	for rest := cb; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" || blk.Type == "TRUSTED CERTIFICATE" {
			c.Certificate = append(c.Certificate, certDER(blk))
		}
	}
	if len(c.Certificate) == 0 {
		return c, fmt.Errorf("cannot load certificate \"%s\": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)", certFile)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return c, fmt.Errorf("cannot load certificate \"%s\": PEM_read_bio_X509_AUX() failed (%v)", certFile, err)
	}
	c.Leaf = leaf
	return c, nil
}

// LoadKey loads the private key keyFile names: a PEM file, or a
// "store:file:" URI.
func LoadKey(keyFile string, passwords []string) (crypto.PrivateKey, error) {
	if uri, ok := strings.CutPrefix(keyFile, "store:"); ok {
		key, err := storeKey(uri, passwords)
		if err != nil {
			return nil, fmt.Errorf("cannot load certificate key \"%s\": %v", keyFile, err)
		}
		return key, nil
	}
	kb, err := readPEM(keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate key \"%s\": BIO_new_file() failed (%s)", keyFile, FopenError(keyFile, "r", err))
	}
	der, err := keyDER(kb, passwords)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate key \"%s\": PEM_read_bio_PrivateKey() failed (%v)", keyFile, err)
	}
	key, err := parseKey(der)
	if err != nil {
		return nil, fmt.Errorf("cannot load certificate key \"%s\": PEM_read_bio_PrivateKey() failed (%v)", keyFile, err)
	}
	return key, nil
}

// MatchKey gives c its private key after checking that the two belong
// together, as SSL_CTX_use_PrivateKey checks.
func MatchKey(c *tls.Certificate, key crypto.PrivateKey, keyFile string) error {
	pub, ok := c.Leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	signer, isSigner := key.(crypto.Signer)
	if !ok || !isSigner || !pub.Equal(signer.Public()) {
		return fmt.Errorf("SSL_CTX_use_PrivateKey(\"%s\") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)", keyFile)
	}
	c.PrivateKey = key
	return nil
}

// storeKey loads the key an OpenSSL store URI names ("store:" keys,
// nginx 1.29): only the file scheme's ("file:/path", "file:///path"),
// the one store OpenSSL has without providers; the first private key of
// the file, decrypted with passwords.
func storeKey(uri string, passwords []string) (crypto.PrivateKey, error) {
	path, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return nil, errors.New("OSSL_STORE_open() failed (sluice reads only \"file:\" stores)")
	}
	if rest, ok := strings.CutPrefix(path, "//"); ok {
		path = rest // file:///path
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("OSSL_STORE_open() failed (%s)", errlog.Errno(err))
	}
	der, err := keyDER(b, passwords)
	if err != nil {
		return nil, fmt.Errorf("OSSL_STORE_load() failed (%v)", err)
	}
	key, err := parseKey(der)
	if err != nil {
		return nil, fmt.Errorf("OSSL_STORE_load() failed (%v)", err)
	}
	return key, nil
}

// keyDER finds the private key block of a PEM file and decrypts it when
// it is encrypted.
func keyDER(b []byte, passwords []string) ([]byte, error) {
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, errors.New("SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM")
		}
		if blk.Type == "ENCRYPTED PRIVATE KEY" {
			if len(passwords) == 0 {
				return nil, errNoPassword
			}
			for _, p := range passwords {
				if der, err := decryptPKCS8(blk.Bytes, p); err == nil {
					return der, nil
				} else if errors.Is(err, errUnsupportedPKCS8) {
					return nil, err
				}
			}
			return nil, errBadDecrypt
		}
		if !strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			continue
		}
		//lint:ignore SA1019 traditional PEM encryption is what ssl_password_file decrypts
		if !x509.IsEncryptedPEMBlock(blk) { //nolint:staticcheck
			return blk.Bytes, nil
		}
		if len(passwords) == 0 {
			return nil, errNoPassword
		}
		for _, p := range passwords {
			//lint:ignore SA1019 see above
			if der, err := x509.DecryptPEMBlock(blk, []byte(p)); err == nil { //nolint:staticcheck
				return der, nil
			}
		}
		return nil, errBadDecrypt
	}
}

var (
	errNoPassword = errors.New("SSL: error:1400006B:UI routines::processing error:while reading strings (no password given)")
	errBadDecrypt = errors.New("SSL: error:1C800064:Provider routines::bad decrypt")
)

// parseKey parses a DER private key in PKCS#1, PKCS#8 or SEC 1 form.
func parseKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("SSL: error:1E08010C:DECODER routines::unsupported")
}

// LoadPool loads a PEM bundle of CA certificates (ssl_trusted_certificate,
// ssl_client_certificate, proxy_ssl_trusted_certificate). A file without
// a certificate is nginx's error for it.
func LoadPool(file string) (*x509.CertPool, error) {
	pool, _, err := LoadTrusted(file)
	return pool, err
}

// LoadTrusted is LoadPool that also returns the certificates, which a
// Verifier needs to extend a chain to its root (Verifier.Trusted).
func LoadTrusted(file string) (*x509.CertPool, []*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("SSL_CTX_load_verify_locations(\"%s\") failed (%v)", file, sysErr(err))
	}
	pool := x509.NewCertPool()
	var certs []*x509.Certificate
	for rest := bytes.TrimSpace(b); len(rest) > 0; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" && blk.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(certDER(blk))
		if err != nil {
			return nil, nil, fmt.Errorf("SSL_CTX_load_verify_locations(\"%s\") failed (%v)", file, err)
		}
		pool.AddCert(cert)
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("SSL_CTX_load_verify_locations(\"%s\") failed (SSL: error:05880009:x509 certificate routines::PEM lib)", file)
	}
	return pool, certs, nil
}

// certDER is the certificate of a PEM block: a TRUSTED CERTIFICATE block
// (OpenSSL's X509_AUX) carries trust settings after it, which are left
// out.
func certDER(blk *pem.Block) []byte {
	if blk.Type != "TRUSTED CERTIFICATE" {
		return blk.Bytes
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(blk.Bytes, &raw); err != nil {
		return blk.Bytes
	}
	return raw.FullBytes
}

// sysErr renders an os error as nginx renders errno: "2: No such file or
// directory".
func sysErr(err error) string { return errlog.Errno(err) }

// readPEM reads a PEM file as a BIO opened with fopen() reads it: a
// directory opens and reads as nothing.
func readPEM(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, syscall.EISDIR) {
		return nil, nil
	}
	return b, err
}

// FopenError is OpenSSL 3's error queue, as nginx logs it, for a file
// BIO_new_file() could not open with mode: the system error with
// "calling fopen(...)", then BIO's reason ("no such file" for a missing
// file, "system lib" otherwise). An error without an errno is errlog's.
func FopenError(path, mode string, err error) string {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return errlog.Errno(err)
	}
	reason := "10080002:BIO routines::system lib"
	if e == syscall.ENOENT || e == syscall.ENXIO {
		reason = "10000080:BIO routines::no such file"
	}
	return fmt.Sprintf("SSL: error:%08X:system library::%s:calling fopen(%s, %s) error:%s", 0x80000000|uint32(e), errlog.Strerror(e), path, mode, reason)
}
