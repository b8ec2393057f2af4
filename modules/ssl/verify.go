package ssl

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// verifyChain verifies a client's certificates against roots as
// OpenSSL's X509_verify_cert does for nginx, the certificates after the
// first serving as intermediates; a chain longer than ssl_verify_depth
// allows (the client certificate, depth intermediates and CAs, and the
// root) fails. The error carries OpenSSL's code and text.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, depth int) error {
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return verifyError(leaf, certs, err)
	}
	for _, ch := range chains {
		if len(ch)-1 <= depth {
			return nil
		}
	}
	return &httpd.VerifyError{Code: 22, Text: "certificate chain too long"}
}

// verifyError maps Go's verification errors to OpenSSL's X509_V_ERR
// codes and texts.
func verifyError(leaf *x509.Certificate, certs []*x509.Certificate, err error) error {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		switch {
		case len(certs) == 1 && leaf.Subject.String() == leaf.Issuer.String():
			return &httpd.VerifyError{Code: 18, Text: "self-signed certificate"}
		case len(certs) > 1 && certs[len(certs)-1].Subject.String() == certs[len(certs)-1].Issuer.String():
			return &httpd.VerifyError{Code: 19, Text: "self-signed certificate in certificate chain"}
		case len(certs) == 1:
			return &httpd.VerifyError{Code: 20, Text: "unable to get local issuer certificate"}
		default:
			return &httpd.VerifyError{Code: 2, Text: "unable to get issuer certificate"}
		}
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			if ci.Cert != nil && time.Now().Before(ci.Cert.NotBefore) {
				return &httpd.VerifyError{Code: 9, Text: "certificate is not yet valid"}
			}
			return &httpd.VerifyError{Code: 10, Text: "certificate has expired"}
		case x509.IncompatibleUsage:
			return &httpd.VerifyError{Code: 26, Text: "unsuitable certificate purpose"}
		case x509.NotAuthorizedToSign:
			return &httpd.VerifyError{Code: 24, Text: "invalid CA certificate"}
		}
	}
	return &httpd.VerifyError{Code: 7, Text: "certificate signature failure"}
}
