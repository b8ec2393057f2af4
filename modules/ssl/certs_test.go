package ssl_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// writeCert writes a self-signed server certificate for name (RSA, or
// ECDSA P-256) and its key into dir as NAME.pem and NAME.key.
func writeCert(t testing.TB, dir, name string, ec bool) {
	t.Helper()
	certtest.New(t, dir, name, certtest.Spec{CN: name, DNS: []string{name}, RSA: !ec})
}

// dialTLS connects to addr and completes a handshake with cfg (which
// never verifies: the tests look at the certificate themselves).
func dialTLS(addr string, cfg *tls.Config) (*tls.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, testutil.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := cfg.Clone()
	c.InsecureSkipVerify = true
	tc := tls.Client(nc, c)
	tc.SetDeadline(time.Now().Add(testutil.DefaultTimeout))
	if err := tc.Handshake(); err != nil {
		nc.Close()
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustRequest is the OCSP request nginx sends about cert.
func mustRequest(t testing.TB, cert, issuer *x509.Certificate) *xocsp.Request {
	t.Helper()
	der, err := xocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := xocsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
