package tlsconf

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Certificate verification as OpenSSL's X509_verify_cert does it for
// nginx (proxy_ssl_verify, ssl_verify_client): nginx's verify callback lets
// every error pass, so the handshake completes and nginx then reads the
// verification result, which is the last error OpenSSL met. OpenSSL meets
// them in this order: building the chain (no issuer, a self-signed
// certificate, a chain too long for the depth), the chain's extensions
// (a CA that is no CA, the certificate's purpose), revocation (CRLs),
// and last the signatures and validity times. Verify reports the same
// last error with OpenSSL 3's code and text.

// OpenSSL's verification result codes (X509_V_ERR_*) that Verify reports.
const (
	VerifyUnspecified          = 1
	VerifyUnableToGetIssuer    = 2
	VerifyUnableToGetCRL       = 3
	VerifyCertSignature        = 7
	VerifyCRLSignature         = 8
	VerifyCertNotYetValid      = 9
	VerifyCertHasExpired       = 10
	VerifyCRLNotYetValid       = 11
	VerifyCRLHasExpired        = 12
	VerifyDepthZeroSelfSigned  = 18
	VerifySelfSignedInChain    = 19
	VerifyUnableToGetLocalCert = 20
	VerifyUnableToVerifyLeaf   = 21
	VerifyChainTooLong         = 22
	VerifyCertRevoked          = 23
	VerifyPathLength           = 25
	VerifyInvalidPurpose       = 26
	VerifyCertUntrusted        = 27
	VerifyUnhandledCritical    = 34
	VerifyInvalidCA            = 79
)

// verifyTexts are OpenSSL 3's X509_verify_cert_error_string texts.
var verifyTexts = map[int]string{
	0:                          "ok",
	VerifyUnspecified:          "unspecified certificate verification error",
	VerifyUnableToGetIssuer:    "unable to get issuer certificate",
	VerifyUnableToGetCRL:       "unable to get certificate CRL",
	VerifyCertSignature:        "certificate signature failure",
	VerifyCRLSignature:         "CRL signature failure",
	VerifyCertNotYetValid:      "certificate is not yet valid",
	VerifyCertHasExpired:       "certificate has expired",
	VerifyCRLNotYetValid:       "CRL is not yet valid",
	VerifyCRLHasExpired:        "CRL has expired",
	VerifyDepthZeroSelfSigned:  "self-signed certificate",
	VerifySelfSignedInChain:    "self-signed certificate in certificate chain",
	VerifyUnableToGetLocalCert: "unable to get local issuer certificate",
	VerifyUnableToVerifyLeaf:   "unable to verify the first certificate",
	VerifyChainTooLong:         "certificate chain too long",
	VerifyCertRevoked:          "certificate revoked",
	VerifyPathLength:           "path length constraint exceeded",
	VerifyInvalidPurpose:       "unsuitable certificate purpose",
	VerifyCertUntrusted:        "certificate not trusted",
	VerifyUnhandledCritical:    "unhandled critical extension",
	VerifyInvalidCA:            "invalid CA certificate",
}

// VerifyError is a failed verification: OpenSSL's result code, and the
// depth in the chain of the certificate it concerns (0 is the peer's).
// It renders as nginx logs it: "(20:unable to get local issuer
// certificate)".
type VerifyError struct {
	Code  int
	Depth int
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("(%d:%s)", e.Code, VerifyText(e.Code))
}

// Optional reports whether the error is one "ssl_verify_client
// optional_no_ca" lets pass: the chain does not lead to a trusted CA
// (nginx's ngx_ssl_verify_error_optional).
func (e *VerifyError) Optional() bool {
	switch e.Code {
	case VerifyDepthZeroSelfSigned, VerifySelfSignedInChain, VerifyUnableToGetLocalCert,
		VerifyCertUntrusted, VerifyUnableToVerifyLeaf:
		return true
	}
	return false
}

// VerifyText is OpenSSL's text for a verification result code.
func VerifyText(code int) string {
	if s, ok := verifyTexts[code]; ok {
		return s
	}
	return "unknown certificate verification error"
}

// ErrNoPeerCertificate is Verify's answer to a peer that sent no
// certificate.
var ErrNoPeerCertificate = errors.New("no peer certificate")

// Verifier checks peer certificate chains (the verification part of an
// nginx SSL context: the trusted certificates, the depth, the CRLs). For
// upstream servers (proxy_ssl_verify) the caller checks the name too
// (CheckHost); for clients (ssl_verify_client) set Usage to
// x509.ExtKeyUsageClientAuth and check no name, as nginx does.
type Verifier struct {
	// Roots are the trusted certificates (proxy_ssl_trusted_certificate,
	// ssl_client_certificate, ssl_trusted_certificate).
	Roots *x509.CertPool
	// Trusted are the certificates of Roots (LoadTrusted): a chain Go
	// ends at a trusted intermediate is extended through them to the
	// self-signed root OpenSSL builds it to.
	Trusted []*x509.Certificate
	// Depth is the verify depth (proxy_ssl_verify_depth,
	// ssl_verify_depth): as in OpenSSL, a chain may hold up to Depth
	// intermediate certificates between the peer's and the trust anchor.
	Depth int
	// CRLs, when set, are checked for every certificate of the chain
	// but the trust anchor, as OpenSSL's CRL_CHECK|CRL_CHECK_ALL: each
	// issuer must have a valid CRL.
	CRLs []*x509.RevocationList
	// Usage is the purpose the peer's certificate must allow:
	// x509.ExtKeyUsageServerAuth for upstream servers (OpenSSL's
	// "sslserver"), x509.ExtKeyUsageClientAuth for clients ("sslclient").
	Usage x509.ExtKeyUsage
	// Now, when set, is the verification time (tests).
	Now func() time.Time
}

// Verify checks the chain the peer sent (its own certificate first) and
// returns nil, ErrNoPeerCertificate, or a *VerifyError with the last error
// OpenSSL would have met. It does not check the peer's name (see
// CheckHost).
func (v *Verifier) Verify(certs []*x509.Certificate) error {
	_, err := v.VerifiedChain(certs)
	return err
}

// VerifiedChain is Verify that also returns the verified chain, from the
// peer's certificate to the self-signed trust anchor, as OpenSSL's
// SSL_get0_verified_chain (ssl_ocsp checks its certificates); the chain is
// nil when verification failed.
func (v *Verifier) VerifiedChain(certs []*x509.Certificate) ([]*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, ErrNoPeerCertificate
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	usage := v.Usage
	if usage == 0 {
		usage = x509.ExtKeyUsageAny
	}
	opts := x509.VerifyOptions{Roots: v.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{usage}}
	if v.Roots == nil {
		opts.Roots = x509.NewCertPool()
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, v.classify(certs, err, now)
	}
	// Go accepts a chain that ends at any trusted certificate; OpenSSL
	// (without X509_V_FLAG_PARTIAL_CHAIN, which nginx does not set) needs
	// it to end at a self-signed one
	var chain []*x509.Certificate
	for _, ch := range chains {
		ch = ExtendToRoot(ch, v.Trusted)
		if selfSigned(ch[len(ch)-1]) && (chain == nil || len(ch) < len(chain)) {
			chain = ch
		}
	}
	var last *VerifyError
	if chain == nil {
		chain = chains[0]
		last = &VerifyError{Code: VerifyUnableToGetIssuer, Depth: len(chain) - 1}
	}
	if len(chain) > v.Depth+2 {
		// OpenSSL stops building the chain at the depth, before it
		// reaches a trusted certificate: its "certificate chain too long"
		// is followed by the chain's own error, which nginx's callback
		// leaves last
		last = &VerifyError{Code: VerifyUnableToGetLocalCert, Depth: v.Depth + 1}
	}
	if v.CRLs != nil {
		if e := v.checkCRLs(chain, now); e != nil {
			last = e
		}
	}
	if last != nil {
		return nil, last
	}
	return chain, nil
}

// classify turns Go's verification failure into OpenSSL's result.
func (v *Verifier) classify(certs []*x509.Certificate, err error, now time.Time) error {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		depth := depthOf(certs, inv.Cert)
		switch inv.Reason {
		case x509.Expired:
			return timeError(inv.Cert, depth, now)
		case x509.NotAuthorizedToSign, x509.CANotAuthorizedForThisName,
			x509.CANotAuthorizedForExtKeyUsage, x509.NameConstraintsWithoutSANs:
			return &VerifyError{Code: VerifyInvalidCA, Depth: depth}
		case x509.TooManyIntermediates:
			return &VerifyError{Code: VerifyPathLength, Depth: depth}
		case x509.IncompatibleUsage:
			return &VerifyError{Code: VerifyInvalidPurpose, Depth: depth}
		}
		return &VerifyError{Code: VerifyUnspecified, Depth: depth}
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		// the chain the peer sent, as far as it links up
		chain := []*x509.Certificate{certs[0]}
		for !selfSigned(chain[len(chain)-1]) && len(chain) <= len(certs) {
			next := issuerIn(chain[len(chain)-1], certs[1:])
			if next == nil {
				break
			}
			chain = append(chain, next)
		}
		// times are checked after the chain is built: their error is the
		// last one met
		for i := len(chain) - 1; i >= 0; i-- {
			if e := timeError(chain[i], i, now); e != nil {
				return e
			}
		}
		// a certificate that issued another but is no CA: OpenSSL checks
		// the chain's extensions after building it
		for i := len(chain) - 1; i > 0; i-- {
			if chain[i].BasicConstraintsValid && !chain[i].IsCA {
				return &VerifyError{Code: VerifyInvalidCA, Depth: i}
			}
		}
		top := chain[len(chain)-1]
		switch {
		case selfSigned(top) && len(chain) == 1:
			return &VerifyError{Code: VerifyDepthZeroSelfSigned, Depth: 0}
		case selfSigned(top):
			return &VerifyError{Code: VerifySelfSignedInChain, Depth: len(chain) - 1}
		case len(chain) == 1:
			// the chain's error (20) is followed by the leaf's: its
			// signature cannot be checked
			return &VerifyError{Code: VerifyUnableToVerifyLeaf, Depth: 0}
		}
		return &VerifyError{Code: VerifyUnableToGetLocalCert, Depth: len(chain) - 1}
	}
	var uce x509.UnhandledCriticalExtension
	if errors.As(err, &uce) {
		return &VerifyError{Code: VerifyUnhandledCritical}
	}
	return &VerifyError{Code: VerifyUnspecified}
}

// timeError is the validity error of c at depth, nil when it is valid now.
// OpenSSL checks the chain from its top down, so the peer's certificate
// reports last.
func timeError(c *x509.Certificate, depth int, now time.Time) *VerifyError {
	switch {
	case now.Before(c.NotBefore):
		return &VerifyError{Code: VerifyCertNotYetValid, Depth: depth}
	case now.After(c.NotAfter):
		return &VerifyError{Code: VerifyCertHasExpired, Depth: depth}
	}
	return nil
}

func depthOf(certs []*x509.Certificate, c *x509.Certificate) int {
	for i, x := range certs {
		if c != nil && x.Equal(c) {
			return i
		}
	}
	return 0
}

// selfSigned reports whether c is issued by itself (its subject is its
// issuer and its own key verifies its signature).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// issuerIn finds the certificate among cands that issued c.
func issuerIn(c *x509.Certificate, cands []*x509.Certificate) *x509.Certificate {
	for _, p := range cands {
		if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) &&
			p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			return p
		}
	}
	return nil
}

// checkCRLs checks every certificate of the chain but its trust anchor
// against its issuer's CRL and returns the last error met.
func (v *Verifier) checkCRLs(chain []*x509.Certificate, now time.Time) *VerifyError {
	var last *VerifyError
	for i := 0; i < len(chain)-1; i++ {
		if e := v.checkCRL(chain[i], chain[i+1], i, now); e != nil {
			last = e
		}
	}
	return last
}

func (v *Verifier) checkCRL(c, issuer *x509.Certificate, depth int, now time.Time) *VerifyError {
	var crl *x509.RevocationList
	badSig := false
	for _, l := range v.CRLs {
		if !bytes.Equal(l.RawIssuer, issuer.RawSubject) {
			continue
		}
		if l.CheckSignatureFrom(issuer) != nil {
			badSig = true
			continue
		}
		crl = l
		break
	}
	switch {
	case crl == nil && badSig:
		return &VerifyError{Code: VerifyCRLSignature, Depth: depth}
	case crl == nil:
		return &VerifyError{Code: VerifyUnableToGetCRL, Depth: depth}
	}
	var last *VerifyError
	if now.Before(crl.ThisUpdate) {
		last = &VerifyError{Code: VerifyCRLNotYetValid, Depth: depth}
	} else if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		last = &VerifyError{Code: VerifyCRLHasExpired, Depth: depth}
	}
	for _, rc := range crl.RevokedCertificateEntries {
		if rc.SerialNumber != nil && rc.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return &VerifyError{Code: VerifyCertRevoked, Depth: depth}
		}
	}
	return last
}

// LoadCRL reads a PEM file of CRLs (proxy_ssl_crl, ssl_crl); errors are
// worded as nginx's "cannot load CRL" lines.
func LoadCRL(file string) ([]*x509.RevocationList, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot load CRL \"%s\": BIO_new_file() failed (%s)", file, errlog.Errno(err))
	}
	var out []*x509.RevocationList
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "X509 CRL" {
			continue
		}
		l, err := ParseCRL(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cannot load CRL \"%s\": PEM_read_bio_X509_CRL() failed (%v)", file, err)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cannot load CRL \"%s\": PEM_read_bio_X509_CRL() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: X509 CRL)", file)
	}
	return out, nil
}

// CheckHost reports whether the certificate is valid for name as
// OpenSSL's X509_check_host with nginx's flags (none) decides: the DNS
// names of subjectAltName, or the subject's common names when there is no
// DNS name; names compare without case; a wildcard "*" stands for part or
// all of the leftmost label of a name of three labels or more. name is a
// host name: an IP address is compared as text with the DNS names, never
// with IP address entries (nginx checks the name with X509_check_host
// only).
func CheckHost(c *x509.Certificate, name string) bool {
	if name == "" || c == nil {
		return false
	}
	name = strings.TrimSuffix(name, ".")
	if len(c.DNSNames) > 0 {
		for _, p := range c.DNSNames {
			if matchHost(p, name) {
				return true
			}
		}
		return false
	}
	if len(c.Subject.Names) == 0 {
		// a certificate built, not parsed
		return c.Subject.CommonName != "" && matchHost(c.Subject.CommonName, name)
	}
	for _, atv := range c.Subject.Names {
		// commonName, 2.5.4.3
		if atv.Type.Equal([]int{2, 5, 4, 3}) {
			if s, ok := atv.Value.(string); ok && matchHost(s, name) {
				return true
			}
		}
	}
	return false
}

// matchHost compares a pattern of the certificate with a host name.
func matchHost(pattern, name string) bool {
	pattern = strings.TrimSuffix(pattern, ".")
	if ascii.EqualFold(pattern, name) {
		return true
	}
	star := strings.IndexByte(pattern, '*')
	if star < 0 || net.ParseIP(name) != nil {
		return false
	}
	// the wildcard: one, in the leftmost label, which is not an IDNA
	// label, with at least two labels after it
	dot := strings.IndexByte(pattern, '.')
	if dot < 0 || star > dot || strings.Count(pattern, "*") > 1 ||
		strings.Count(pattern[dot:], ".") < 2 || hasPrefixFold(pattern, "xn--") {
		return false
	}
	nd := strings.IndexByte(name, '.')
	if nd < 0 || !ascii.EqualFold(pattern[dot:], name[nd:]) {
		return false
	}
	label := name[:nd]
	prefix, suffix := pattern[:star], pattern[star+1:dot]
	if len(label) < len(prefix)+len(suffix) {
		return false
	}
	// "*" alone must match a label of at least one character
	if label == "" || (prefix == "" && suffix == "" && len(label) == 0) {
		return false
	}
	return hasPrefixFold(label, prefix) && ascii.EqualFold(label[len(label)-len(suffix):], suffix)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && ascii.EqualFold(s[:len(prefix)], prefix)
}

// ExtendToRoot extends a chain that ends at a trusted intermediate to the
// self-signed root above it, when that is among trusted too: OpenSSL
// builds the chain to a root (nginx sets no partial chains), and its
// depth and CRL checks see the whole of it, where Go's verification stops
// at the first trusted certificate.
func ExtendToRoot(ch, trusted []*x509.Certificate) []*x509.Certificate {
	for len(ch) < 16 {
		last := ch[len(ch)-1]
		if bytes.Equal(last.RawIssuer, last.RawSubject) {
			return ch
		}
		var up *x509.Certificate
		for _, c := range trusted {
			if bytes.Equal(c.RawSubject, last.RawIssuer) && last.CheckSignatureFrom(c) == nil {
				up = c
				break
			}
		}
		if up == nil {
			return ch
		}
		ch = append(ch[:len(ch):len(ch)], up)
	}
	return ch
}
