package ocspc

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// pki is a root, an intermediate, a leaf it issued, and responders: one
// the intermediate delegated with the OCSP signing usage, one without it,
// and one of another CA.
type pki struct {
	root, inter, leaf, delegated, plain, other, stranger *certtest.Cert
}

func newPKI(t testing.TB) *pki {
	dir := t.TempDir()
	p := &pki{}
	p.root = certtest.New(t, dir, "root", certtest.Spec{CN: "root", CA: true})
	p.inter = certtest.New(t, dir, "int", certtest.Spec{CN: "int", CA: true, Issuer: p.root})
	p.leaf = certtest.New(t, dir, "end", certtest.Spec{CN: "end", Issuer: p.inter})
	p.delegated = certtest.New(t, dir, "responder", certtest.Spec{CN: "responder", OCSPSigning: true, Issuer: p.inter})
	p.plain = certtest.New(t, dir, "plain", certtest.Spec{CN: "plain", Issuer: p.inter})
	p.other = certtest.New(t, dir, "other", certtest.Spec{CN: "other", CA: true})
	p.stranger = certtest.New(t, dir, "stranger", certtest.Spec{CN: "stranger", OCSPSigning: true, Issuer: p.other})
	return p
}

// respond makes a response about the leaf signed by signer, the signer's
// certificate included when embed is set.
func (p *pki) respond(t testing.TB, signer *certtest.Cert, embed bool, tmpl xocsp.Response) []byte {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = p.leaf.Cert.SerialNumber
	}
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = time.Now().Add(-time.Minute)
	}
	if embed {
		tmpl.Certificate = signer.Cert
	}
	der, err := xocsp.CreateResponse(p.inter.Cert, signer.Cert, tmpl, signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestVerify: the signer, the modes of OCSP_basic_verify nginx uses, the
// certificate's entry and the validity, with nginx's lines.
func TestVerify(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	next := now.Add(time.Hour).Truncate(time.Second)
	roots := x509.NewCertPool()
	roots.AddCert(p.root.Cert)
	chain := []*x509.Certificate{p.inter.Cert}
	cases := []struct {
		name   string
		der    func() []byte
		mode   Mode
		chain  []*x509.Certificate
		status int
		err    string
	}{
		{"issuer signs, in the chain", func() []byte {
			return p.respond(t, p.inter, false, xocsp.Response{Status: xocsp.Good, NextUpdate: next})
		},
			Full, chain, Good, ""},
		{"issuer signs, embedded", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Revoked, RevokedAt: now, NextUpdate: next})
		},
			Full, nil, Revoked, ""},
		{"unknown", func() []byte { return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Unknown}) },
			NoVerify, nil, Unknown, ""},
		{"delegated responder", func() []byte { return p.respond(t, p.delegated, true, xocsp.Response{Status: xocsp.Good}) },
			Full, chain, Good, ""},
		{"responder without the OCSP signing usage", func() []byte { return p.respond(t, p.plain, true, xocsp.Response{Status: xocsp.Good}) },
			Full, chain, 0, "OCSP_basic_verify() failed (SSL: error:13800067:OCSP routines::missing ocspsigning usage)"},
		{"root signs: not trusted for OCSP", func() []byte { return p.respond(t, p.root, true, xocsp.Response{Status: xocsp.Good}) },
			TrustOther, chain, 0, "OCSP_basic_verify() failed (SSL: error:13800070:OCSP routines::root ca not trusted)"},
		{"root signs, signature only", func() []byte { return p.respond(t, p.root, true, xocsp.Response{Status: xocsp.Good}) },
			NoVerify, chain, Good, ""},
		{"another CA", func() []byte { return p.respond(t, p.other, true, xocsp.Response{Status: xocsp.Good}) },
			Full, chain, 0, "OCSP_basic_verify() failed (SSL: error:13800065:OCSP routines::certificate verify error:Verify error: self-signed certificate)"},
		{"issued by another CA", func() []byte { return p.respond(t, p.stranger, true, xocsp.Response{Status: xocsp.Good}) },
			Full, chain, 0, "OCSP_basic_verify() failed (SSL: error:13800065:OCSP routines::certificate verify error:Verify error: unable to get local issuer certificate)"},
		{"signer not found", func() []byte { return p.respond(t, p.inter, false, xocsp.Response{Status: xocsp.Good}) },
			NoVerify, nil, 0, "OCSP_basic_verify() failed (SSL: error:13800076:OCSP routines::signer certificate not found)"},
		{"bad signature", func() []byte {
			der := p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good})
			der[len(der)-len(p.inter.Cert.Raw)-10] ^= 1
			return der
		}, NoVerify, nil, 0, "OCSP_basic_verify() failed (SSL: error:06880006:asn1 encoding routines::EVP lib error:13800075:OCSP routines::signature failure)"},
		{"another certificate", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, SerialNumber: big.NewInt(7)})
		}, NoVerify, nil, 0, "certificate status not found in the OCSP response"},
		{"SHA-256 CertID", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, IssuerHash: crypto.SHA256})
		}, NoVerify, nil, 0, "certificate status not found in the OCSP response"},
		{"expired", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(-6 * time.Minute)})
		}, NoVerify, nil, 0, "OCSP_check_validity() failed (SSL: error:1380007D:OCSP routines::status expired)"},
		{"expired within the leeway", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(-4 * time.Minute)})
		}, NoVerify, nil, Good, ""},
		{"not yet valid", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, ThisUpdate: now.Add(6 * time.Minute)})
		}, NoVerify, nil, 0, "OCSP_check_validity() failed (SSL: error:1380007E:OCSP routines::status not yet valid)"},
		{"nextUpdate before thisUpdate", func() []byte {
			return p.respond(t, p.inter, true, xocsp.Response{Status: xocsp.Good, ThisUpdate: now, NextUpdate: now.Add(-time.Minute)})
		}, NoVerify, nil, 0, "OCSP_check_validity() failed (SSL: error:1380007C:OCSP routines::nextupdate before thisupdate)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.der())
			if err != nil {
				t.Fatal(err)
			}
			st, valid, err := r.Verify(&Check{Cert: p.leaf.Cert, Issuer: p.inter.Cert, Chain: tc.chain, Roots: roots, Trusted: []*x509.Certificate{p.root.Cert}, Mode: tc.mode, Now: now})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || st != tc.status {
				t.Fatalf("status %d err %v, want %d", st, err, tc.status)
			}
			if tc.name == "issuer signs, in the chain" && !valid.Equal(next) {
				t.Fatalf("valid %v, want %v", valid, next)
			}
		})
	}
}

// TestParseResponseErrors: what is not an OCSP response, or not a
// successful one.
func TestParseResponseErrors(t *testing.T) {
	cases := []struct {
		name string
		der  []byte
		err  string
	}{
		{"garbage", []byte("<html>"), "d2i_OCSP_RESPONSE() failed"},
		{"empty", nil, "d2i_OCSP_RESPONSE() failed"},
		{"try later", xocsp.TryLaterErrorResponse, "OCSP response not successful (3: trylater)"},
		{"unauthorized", xocsp.UnauthorizedErrorResponse, "OCSP response not successful (6: unauthorized)"},
		{"malformed request", xocsp.MalformedRequestErrorResponse, "OCSP response not successful (1: malformedrequest)"},
	}
	for _, tc := range cases {
		_, err := ParseResponse(tc.der)
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestNewRequest: the request asks about the certificate with a SHA-1
// CertID of its issuer, which a responder parses back.
func TestNewRequest(t *testing.T) {
	p := newPKI(t)
	der, err := NewRequest(p.leaf.Cert, p.inter.Cert)
	if err != nil {
		t.Fatal(err)
	}
	req, err := xocsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if req.HashAlgorithm != crypto.SHA1 || req.SerialNumber.Cmp(p.leaf.Cert.SerialNumber) != 0 {
		t.Fatalf("%+v", req)
	}
}

// TestCache: a status is found until its validity, an hour without
// nextUpdate, not at all when expired; a full zone drops its oldest.
func TestCache(t *testing.T) {
	now := time.Now()
	c := NewCache("OCSP", 8*4096)
	c.Store("a", Revoked, now.Add(time.Minute), now)
	c.Store("b", Good, NoExpiry, now)
	c.Store("c", Good, now.Add(-time.Second), now)
	if s, ok := c.Lookup("a", now); !ok || s != Revoked {
		t.Fatalf("a: %d %v", s, ok)
	}
	if _, ok := c.Lookup("a", now.Add(2*time.Minute)); ok {
		t.Fatal("a found after its validity")
	}
	if _, ok := c.Lookup("b", now.Add(59*time.Minute)); !ok {
		t.Fatal("b not found within the hour")
	}
	if _, ok := c.Lookup("b", now.Add(61*time.Minute)); ok {
		t.Fatal("b found after the hour")
	}
	if _, ok := c.Lookup("c", now); ok {
		t.Fatal("expired status stored")
	}
	n := 0
	for i := range 10000 {
		if !c.Store(string(rune(i)), Good, now.Add(time.Hour), now) {
			t.Fatal("store failed in a full zone")
		}
		n++
	}
	if _, ok := c.Lookup(string(rune(0)), now); ok {
		t.Fatal("oldest entry kept in a full zone")
	}
	if _, ok := c.Lookup(string(rune(9999)), now); !ok {
		t.Fatal("newest entry dropped")
	}
}

// TestD2IReason: OpenSSL's error queue for what is not an OCSPResponse,
// as Debian's nginx 1.22 printed it for ssl_stapling_file (and for a
// responder's answer).
func TestD2IReason(t *testing.T) {
	cases := []struct{ hex, want string }{
		{"", ""},
		{"30", "error:0680007B:asn1 encoding routines::header too long"},
		{"3003020100", "error:068000A8:asn1 encoding routines::wrong tag error:0688010A:asn1 encoding routines::nested asn1 error error:0688010A:asn1 encoding routines::nested asn1 error:Field=responseStatus, Type=OCSP_RESPONSE"},
		{"68656c6c6f", "error:0680008E:asn1 encoding routines::not enough data"},
		{"300a0a0100", "error:0680008E:asn1 encoding routines::not enough data"},
		{"04020000", "error:068000A8:asn1 encoding routines::wrong tag error:0688010A:asn1 encoding routines::nested asn1 error:Type=OCSP_RESPONSE"},
	}
	for _, tc := range cases {
		b, _ := hex.DecodeString(tc.hex)
		if got := d2iReason(b, true); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.hex, got, tc.want)
		}
	}
	// in memory, as a responder's answer (nginx's line for "<html></html>")
	if got, want := d2iReason([]byte("<html></html>"), false), "error:0680009B:asn1 encoding routines::too long error:06800066:asn1 encoding routines::bad object header error:0688010A:asn1 encoding routines::nested asn1 error:Type=OCSP_RESPONSE"; got != want {
		t.Errorf("in memory: %q, want %q", got, want)
	}
	// what follows a response is ignored
	b, _ := hex.DecodeString("30030a0100ff")
	if der, err := FirstResponse(b); err != nil || len(der) != 5 {
		t.Errorf("trailing byte: %x %v", der, err)
	}
}
