package ssl

import (
	"crypto/x509"

	"github.com/sluicehq/sluice/internal/tlsconf"
)

// verifyChain verifies a client's certificates with tlsconf's Verifier:
// the client purpose, no name check; a failure is a *tlsconf.VerifyError.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, cas []*x509.Certificate, depth int, crls []*x509.RevocationList) error {
	v := &tlsconf.Verifier{Roots: roots, Trusted: cas, Depth: depth, CRLs: crls, Usage: x509.ExtKeyUsageClientAuth}
	return v.Verify(certs)
}
