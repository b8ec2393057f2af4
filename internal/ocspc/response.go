package ocspc

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/tlsconf"
)

// The DER structures of RFC 6960's OCSPResponse, as far as nginx's checks
// read them.

type responseASN1 struct {
	Status   asn1.Enumerated
	Response responseBytes `asn1:"explicit,tag:0,optional"`
}

type responseBytes struct {
	Type     asn1.ObjectIdentifier
	Response []byte
}

type basicResponse struct {
	TBS          responseData
	SigAlg       pkix.AlgorithmIdentifier
	Signature    asn1.BitString
	Certificates []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type responseData struct {
	Raw         asn1.RawContent
	Version     int `asn1:"optional,default:0,explicit,tag:0"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []singleResponse
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type certID struct {
	HashAlg       pkix.AlgorithmIdentifier
	NameHash      []byte
	IssuerKeyHash []byte
	Serial        *big.Int
}

type singleResponse struct {
	CertID     certID
	Good       asn1.Flag        `asn1:"tag:0,optional"`
	Revoked    revokedInfo      `asn1:"tag:1,optional"`
	Unknown    asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate time.Time        `asn1:"generalized"`
	NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type revokedInfo struct {
	Time   time.Time       `asn1:"generalized"`
	Reason asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

var oidBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
var oidSHA1 = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}

// The certificate statuses (V_OCSP_CERTSTATUS_*).
const (
	Good = iota
	Revoked
	Unknown
)

// StatusText is OpenSSL's OCSP_cert_status_str.
func StatusText(s int) string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	}
	return "unknown"
}

// responseStatusText is OpenSSL's OCSP_response_status_str.
func responseStatusText(n int) string {
	switch n {
	case 0:
		return "successful"
	case 1:
		return "malformedrequest"
	case 2:
		return "internalerror"
	case 3:
		return "trylater"
	case 5:
		return "sigrequired"
	case 6:
		return "unauthorized"
	}
	return "(UNKNOWN)"
}

// Response is a parsed OCSPResponse with a basic response.
type Response struct {
	basic basicResponse
	certs []*x509.Certificate
}

// ParseError is a response OpenSSL's d2i_OCSP_RESPONSE or
// OCSP_response_get1_basic would not read, or one whose status is not
// successful; Error is nginx's line.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

// ParseResponse reads a DER OCSPResponse as nginx's ngx_ssl_ocsp_verify
// does up to OCSP_response_get1_basic.
func ParseResponse(der []byte) (*Response, error) {
	var r responseASN1
	if _, err := asn1.Unmarshal(der, &r); err != nil {
		msg := "d2i_OCSP_RESPONSE() failed"
		msg += " (SSL: " + d2iReason(der, false) + ")"
		return nil, &ParseError{msg}
	}
	if n := int(r.Status); n != 0 {
		return nil, &ParseError{"OCSP response not successful (" + strconv.Itoa(n) + ": " + responseStatusText(n) + ")"}
	}
	if r.Response.Type == nil {
		return nil, &ParseError{"OCSP_response_get1_basic() failed (SSL: error:1380006C:OCSP routines::no response data)"}
	}
	if !r.Response.Type.Equal(oidBasic) {
		return nil, &ParseError{"OCSP_response_get1_basic() failed (SSL: error:13800068:OCSP routines::not basic response)"}
	}
	resp := &Response{}
	if _, err := asn1.Unmarshal(r.Response.Response, &resp.basic); err != nil {
		return nil, &ParseError{"OCSP_response_get1_basic() failed (SSL: error:0688010A:asn1 encoding routines::nested asn1 error:Type=OCSP_BASICRESP)"}
	}
	for _, raw := range resp.basic.Certificates {
		c, err := x509.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, &ParseError{"OCSP_response_get1_basic() failed (SSL: error:0688010A:asn1 encoding routines::nested asn1 error:Field=certs, Type=OCSP_BASICRESP)"}
		}
		resp.certs = append(resp.certs, c)
	}
	return resp, nil
}

// d2iReason is OpenSSL's error queue, as nginx prints it, for DER that
// is not an OCSPResponse, in the order OpenSSL checks: the outer header
// too short, more length than bytes, the wrong outer tag, a first field
// that is not the status. Read from a file (bio: d2i_OCSP_RESPONSE_bio)
// an empty one has no reason and a short one is "not enough data"; in
// memory (d2i_OCSP_RESPONSE) the header itself is refused.
func d2iReason(der []byte, bio bool) string {
	const (
		headerTooLong = "error:0680007B:asn1 encoding routines::header too long"
		notEnoughData = "error:0680008E:asn1 encoding routines::not enough data"
		tooLong       = "error:0680009B:asn1 encoding routines::too long"
		badHeader     = "error:06800066:asn1 encoding routines::bad object header"
		wrongTag      = "error:068000A8:asn1 encoding routines::wrong tag"
		nested        = "error:0688010A:asn1 encoding routines::nested asn1 error"
		outer         = nested + ":Type=OCSP_RESPONSE"
	)
	header := func(reason string) string {
		if bio {
			return reason
		}
		return reason + " " + badHeader + " " + outer
	}
	if len(der) == 0 && bio {
		return ""
	}
	if len(der) < 2 {
		return header(headerTooLong)
	}
	n, off := int(der[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(der) < 2+k {
			return header(headerTooLong)
		}
		n = 0
		for _, b := range der[2 : 2+k] {
			n = n<<8 | int(b)
		}
		off += k
	}
	if n > len(der)-off {
		if bio {
			return notEnoughData
		}
		return header(tooLong)
	}
	if der[0] != 0x30 {
		return wrongTag + " " + outer
	}
	if n == 0 || der[off] != 0x0a {
		return wrongTag + " " + nested + " " + nested + ":Field=responseStatus, Type=OCSP_RESPONSE"
	}
	return outer
}

// Mode is how the response's signer is checked (the flags nginx passes
// to OCSP_basic_verify).
type Mode int

const (
	// NoVerify checks the signature only (OCSP_NOVERIFY: ssl_stapling).
	NoVerify Mode = iota
	// TrustOther trusts a signer found among the configured chain
	// (OCSP_TRUSTOTHER: ssl_stapling_verify).
	TrustOther
	// Full verifies the signer's chain up to a trusted root and that it
	// may sign for the issuer (no flags: ssl_ocsp).
	Full
)

// VerifyError is a failed OCSP_basic_verify, OCSP_resp_find_status or
// OCSP_check_validity; Error is nginx's line.
type VerifyError struct{ Msg string }

func (e *VerifyError) Error() string { return e.Msg }

func basicVerifyFailed(reason string) error {
	return &VerifyError{"OCSP_basic_verify() failed (SSL: " + reason + ")"}
}

// Check is what a verification needs: the certificate and its issuer,
// the untrusted certificates to find the signer among (the server's chain,
// or the client's verified chain), the trusted ones, and the mode.
type Check struct {
	Cert, Issuer *x509.Certificate
	Chain        []*x509.Certificate
	// Roots are the trusted certificates, Trusted the same as a list
	// (tlsconf.Verifier's)
	Roots   *x509.CertPool
	Trusted []*x509.Certificate
	Mode    Mode
	Now     time.Time
}

// Verify is ngx_ssl_ocsp_verify after the parse: the signature and
// signer, the certificate's entry, the validity (five minutes' leeway).
// It returns the certificate's status and until when the answer holds
// (zero: no nextUpdate).
func (r *Response) Verify(c *Check) (status int, valid time.Time, err error) {
	signer, inChain := r.findSigner(c.Chain)
	if signer == nil {
		return 0, time.Time{}, basicVerifyFailed("error:13800076:OCSP routines::signer certificate not found")
	}
	if signer.CheckSignature(tlsconf.SignatureAlgorithm(r.basic.SigAlg.Algorithm), r.basic.TBS.Raw, r.basic.Signature.RightAlign()) != nil {
		// ASN1_item_verify queues its own error first (an RSA key adds
		// the provider's, not reproduced)
		return 0, time.Time{}, basicVerifyFailed("error:06880006:asn1 encoding routines::EVP lib error:13800075:OCSP routines::signature failure")
	}
	if c.Mode == Full || (c.Mode == TrustOther && !inChain) {
		if err := r.verifySigner(signer, c); err != nil {
			return 0, time.Time{}, err
		}
	}
	var single *singleResponse
	for i := range r.basic.TBS.Responses {
		s := &r.basic.TBS.Responses[i]
		if matchID(&s.CertID, c.Cert, c.Issuer) {
			single = s
			break
		}
	}
	if single == nil {
		return 0, time.Time{}, &VerifyError{"certificate status not found in the OCSP response"}
	}
	// OCSP_check_validity: every failure is queued, nginx prints them all
	now := c.Now
	const leeway = 300 * time.Second
	var reasons []string
	if single.ThisUpdate.After(now.Add(leeway)) {
		reasons = append(reasons, "error:1380007E:OCSP routines::status not yet valid")
	}
	if !single.NextUpdate.IsZero() {
		if single.NextUpdate.Before(now.Add(-leeway)) {
			reasons = append(reasons, "error:1380007D:OCSP routines::status expired")
		}
		if single.NextUpdate.Before(single.ThisUpdate) {
			reasons = append(reasons, "error:1380007C:OCSP routines::nextupdate before thisupdate")
		}
	}
	if reasons != nil {
		return 0, time.Time{}, &VerifyError{"OCSP_check_validity() failed (SSL: " + strings.Join(reasons, " ") + ")"}
	}
	switch {
	case bool(single.Good):
		status = Good
	case bool(single.Unknown):
		status = Unknown
	default:
		status = Revoked
	}
	return status, single.NextUpdate, nil
}

// findSigner looks for the certificate the responder ID names among the
// response's certificates, then the chain (ocsp_find_signer); inChain
// says it was found in the chain.
func (r *Response) findSigner(chain []*x509.Certificate) (*x509.Certificate, bool) {
	id := r.basic.TBS.ResponderID
	match := func(c *x509.Certificate) bool {
		switch id.Tag {
		case 1: // byName
			return bytes.Equal(c.RawSubject, id.Bytes)
		case 2: // byKey: the SHA-1 of the key's bits
			var h []byte
			if _, err := asn1.Unmarshal(id.Bytes, &h); err != nil {
				return false
			}
			return bytes.Equal(keyHash(c), h)
		}
		return false
	}
	for _, c := range r.certs {
		if match(c) {
			return c, false
		}
	}
	for _, c := range chain {
		if match(c) {
			return c, true
		}
	}
	return nil, false
}

// verifySigner checks the signer's chain up to a trusted root and that
// the signer may answer for the certificate's issuer: the issuer itself,
// or a certificate the issuer gave the OCSP signing usage
// (ocsp_verify_signer, ocsp_check_issuer). OpenSSL then accepts a root
// explicitly trusted for OCSP signing, which PEM files without trust
// settings never are.
func (r *Response) verifySigner(signer *x509.Certificate, c *Check) error {
	certs := append([]*x509.Certificate{signer}, r.certs...)
	certs = append(certs, c.Chain...)
	// an X509_STORE's depth is OpenSSL's default, 100
	v := &tlsconf.Verifier{Roots: c.Roots, Trusted: c.Trusted, Depth: 100, Now: func() time.Time { return c.Now }}
	chain, err := v.VerifiedChain(certs)
	if err != nil {
		// OCSP verifies without a callback: OpenSSL stops at the first
		// error, where tlsconf reports the last one nginx's client
		// verification lets it reach; a signer whose issuer is missing
		// stops at "unable to get local issuer certificate", before the
		// "unable to verify the first certificate" that follows
		code := tlsconf.VerifyUnableToGetLocalCert
		var ve *tlsconf.VerifyError
		if errors.As(err, &ve) && ve.Code != tlsconf.VerifyUnableToVerifyLeaf {
			code = ve.Code
		}
		text := tlsconf.VerifyText(code)
		return basicVerifyFailed("error:13800065:OCSP routines::certificate verify error:Verify error: " + text)
	}
	if len(chain) > 1 && issuerMatches(chain[1], r.basic.TBS.Responses) {
		for _, u := range signer.ExtKeyUsage {
			if u == x509.ExtKeyUsageOCSPSigning {
				return nil
			}
		}
		return basicVerifyFailed("error:13800067:OCSP routines::missing ocspsigning usage")
	}
	if issuerMatches(signer, r.basic.TBS.Responses) {
		return nil
	}
	return basicVerifyFailed("error:13800070:OCSP routines::root ca not trusted")
}

// issuerMatches says every entry of the response is for certificates cert
// issued (ocsp_match_issuerid over all responses).
func issuerMatches(cert *x509.Certificate, rs []singleResponse) bool {
	if len(rs) == 0 {
		return false
	}
	for i := range rs {
		if !issuerID(&rs[i].CertID, cert) {
			return false
		}
	}
	return true
}

// issuerID says the CertID's issuer hashes are issuer's.
func issuerID(id *certID, issuer *x509.Certificate) bool {
	h := hashFor(id.HashAlg.Algorithm)
	if h == 0 || !h.Available() {
		return false
	}
	nh := h.New()
	nh.Write(issuer.RawSubject)
	if !bytes.Equal(nh.Sum(nil), id.NameHash) {
		return false
	}
	kh := h.New()
	kh.Write(keyBits(issuer))
	return bytes.Equal(kh.Sum(nil), id.IssuerKeyHash)
}

// matchID is OCSP_id_cmp against the SHA-1 CertID nginx asks with.
func matchID(id *certID, cert, issuer *x509.Certificate) bool {
	return id.HashAlg.Algorithm.Equal(oidSHA1) && id.Serial != nil &&
		id.Serial.Cmp(cert.SerialNumber) == 0 && issuerID(id, issuer)
}

var hashOIDs = []struct {
	oid asn1.ObjectIdentifier
	h   crypto.Hash
}{
	{oidSHA1, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

func hashFor(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, h := range hashOIDs {
		if h.oid.Equal(oid) {
			return h.h
		}
	}
	return 0
}

// keyBits is the subjectPublicKey bit string of a certificate.
func keyBits(c *x509.Certificate) []byte {
	var spki struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.Key.RightAlign()
}

func keyHash(c *x509.Certificate) []byte {
	h := sha1.Sum(keyBits(c))
	return h[:]
}

// CacheKey is nginx's key for ssl_ocsp_cache (ngx_ssl_ocsp_create_key):
// the SHA-1 of the issuer's name and key, and the certificate's serial.
func CacheKey(cert, issuer *x509.Certificate) string {
	n := sha1.Sum(issuer.RawSubject)
	k := keyHash(issuer)
	return string(n[:]) + string(k) + string(cert.SerialNumber.Bytes())
}

// FirstResponse reads the OCSPResponse at the start of der
// (d2i_OCSP_RESPONSE_bio: what follows it is ignored) and returns its
// bytes; its error is OpenSSL's text.
func FirstResponse(der []byte) ([]byte, error) {
	var r responseASN1
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		if reason := d2iReason(der, true); reason != "" {
			return nil, errors.New("SSL: " + reason)
		}
		return nil, errors.New("")
	}
	return der[:len(der)-len(rest)], nil
}
