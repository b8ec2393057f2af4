package tlsconf

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"time"
)

// ParseCRL parses a DER certificate revocation list. Go's
// x509.ParseRevocationList reads version 2 lists only; OpenSSL (and so
// nginx's ssl_crl and proxy_ssl_crl) reads version 1 ones too, which
// "openssl ca -gencrl" writes when no CRL extensions are configured.
// Those are parsed here into the same structure, signature included, so
// that CheckSignatureFrom works on them.
func ParseCRL(der []byte) (*x509.RevocationList, error) {
	l, err := x509.ParseRevocationList(der)
	if err == nil {
		return l, nil
	}
	if l1, err1 := parseCRLv1(der); err1 == nil {
		return l1, nil
	}
	return nil, err
}

type crlV1 struct {
	Raw                asn1.RawContent
	TBS                tbsCRLv1
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

type tbsCRLv1 struct {
	Raw        asn1.RawContent
	Signature  pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	ThisUpdate time.Time
	NextUpdate time.Time        `asn1:"optional"`
	Revoked    []revokedEntryV1 `asn1:"optional"`
}

type revokedEntryV1 struct {
	Serial *big.Int
	Date   time.Time
	Ext    []pkix.Extension `asn1:"optional"`
}

// signatureAlgorithms maps the signature OIDs a CRL or an OCSP response
// may carry to Go's names for them.
var signatureAlgorithms = []struct {
	oid asn1.ObjectIdentifier
	alg x509.SignatureAlgorithm
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, x509.SHA1WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, x509.SHA256WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, x509.SHA384WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, x509.SHA512WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, x509.ECDSAWithSHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, x509.ECDSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, x509.ECDSAWithSHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, x509.ECDSAWithSHA512},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, x509.PureEd25519},
}

// SignatureAlgorithm is Go's name for a signature algorithm OID (RSA
// PKCS #1 v1.5, ECDSA, Ed25519), x509.UnknownSignatureAlgorithm for the
// others: no key verifies a signature made with one.
func SignatureAlgorithm(oid asn1.ObjectIdentifier) x509.SignatureAlgorithm {
	for _, a := range signatureAlgorithms {
		if a.oid.Equal(oid) {
			return a.alg
		}
	}
	return x509.UnknownSignatureAlgorithm
}

// parseCRLv1 parses a version 1 list: no version field, no extensions.
func parseCRLv1(der []byte) (*x509.RevocationList, error) {
	var c crlV1
	if rest, err := asn1.Unmarshal(der, &c); err != nil || len(rest) > 0 {
		return nil, errors.New("x509: malformed crl")
	}
	l := &x509.RevocationList{
		Raw:                  der,
		RawTBSRevocationList: c.TBS.Raw,
		RawIssuer:            c.TBS.Issuer.FullBytes,
		Signature:            c.Signature.RightAlign(),
		ThisUpdate:           c.TBS.ThisUpdate,
		NextUpdate:           c.TBS.NextUpdate,
	}
	l.SignatureAlgorithm = SignatureAlgorithm(c.SignatureAlgorithm.Algorithm)
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(l.RawIssuer, &rdn); err != nil {
		return nil, errors.New("x509: malformed crl issuer")
	}
	l.Issuer.FillFromRDNSequence(&rdn)
	for _, e := range c.TBS.Revoked {
		l.RevokedCertificateEntries = append(l.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: e.Serial, RevocationTime: e.Date, Extensions: e.Ext,
		})
	}
	return l, nil
}
