package ssl_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// ocspPKI is a root, an intermediate it issued and the certificates of a
// test, with the OCSP responder their AIA names.
type ocspPKI struct {
	dir         string
	root, inter *certtest.Cert
	resp        *responder
}

// newOCSPPKI starts a responder and makes the root and the intermediate,
// whose AIA names aia (the responder when empty).
func newOCSPPKI(t *testing.T, interAIA string) *ocspPKI {
	p := &ocspPKI{dir: t.TempDir()}
	p.resp = startResponder(t)
	p.root = certtest.New(t, p.dir, "root", certtest.Spec{CN: "root", CA: true})
	if interAIA == "" {
		interAIA = p.resp.url()
	}
	p.inter = certtest.New(t, p.dir, "int", certtest.Spec{CN: "int", CA: true, Issuer: p.root, OCSP: []string{interAIA}})
	p.resp.cas = []*certtest.Cert{p.inter, p.root}
	certtest.Bundle(t, p.dir, "trusted", p.inter, p.root)
	return p
}

// leaf makes a certificate the intermediate issued, its AIA naming the
// responder unless noAIA.
func (p *ocspPKI) leaf(t *testing.T, name string, client, noAIA bool) *certtest.Cert {
	s := certtest.Spec{CN: name, DNS: []string{"localhost"}, Client: client, Issuer: p.inter}
	if !noAIA {
		s.OCSP = []string{p.resp.url()}
	}
	return certtest.New(t, p.dir, name, s)
}

// conf writes the test's names into a configuration: DIR (the
// certificates), RESP (the responder's URL), RPORT (its port), REFUSED
// (an address that refuses connections), DNS (the DNS server).
func (p *ocspPKI) conf(text string, dns *testutil.DNS, refused string) string {
	return strings.NewReplacer("DIR", p.dir, "RESP", p.resp.url(), "RPORT", p.resp.port(),
		"REFUSED", refused, "DNS", dns.Addr).Replace(text)
}

// localhostDNS is a DNS server that knows localhost as 127.0.0.1 (and no
// IPv6 address), for the "resolver" directive.
func localhostDNS(t *testing.T) *testutil.DNS {
	return testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		if name == "localhost" && qtype == 1 {
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.1", TTL: 60}}}
		}
		return testutil.DNSReply{}
	})
}

// responder is an OCSP responder over HTTP/1.0 on loopback: it answers
// for the certificates of its CAs, signed by their issuer, with the
// status set for their serial (good by default). The first path segment
// of a request chooses a fault: /text (a text/html answer), /expired, /root
// (signed by the root), /delegated (signed by a responder the
// intermediate delegated), /unknown, /404, /garbage, /trylater,
// /badheader, /short (no end of the head), /stall (no answer at all),
// /badsig (a signature that does not verify), /other (signed by another
// CA), /stranger (signed by a certificate another CA issued).
type responder struct {
	ln  net.Listener
	cas []*certtest.Cert
	// delegated signs for the first CA at /delegated, other (another CA)
	// at /other, stranger (issued by other) at /stranger
	delegated, other, stranger *certtest.Cert
	mu                         sync.Mutex
	revs                       map[string]bool
	reqs                       []string
	wg                         sync.WaitGroup
}

func startResponder(t *testing.T) *responder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{ln: ln, revs: map[string]bool{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); r.wg.Wait() })
	return r
}

func (r *responder) url() string { return "http://" + r.ln.Addr().String() }

func (r *responder) port() string { return strconv.Itoa(r.ln.Addr().(*net.TCPAddr).Port) }

// revoke sets a certificate's status to revoked.
func (r *responder) revoke(c *certtest.Cert) {
	r.mu.Lock()
	r.revs[c.Cert.SerialNumber.String()] = true
	r.mu.Unlock()
}

// requests returns the request heads received.
func (r *responder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func (r *responder) serve(c net.Conn) {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	head := line
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return
		}
		head += h
		if h == "\r\n" {
			break
		}
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, head)
	r.mu.Unlock()
	f := strings.Fields(line)
	if len(f) != 3 {
		return
	}
	path := f[1]
	i := strings.LastIndexByte(path, '/')
	fault := strings.Trim(path[:i], "/")
	enc, err := url.PathUnescape(path[i+1:])
	if err != nil {
		return
	}
	der, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return
	}
	req, err := xocsp.ParseRequest(der)
	if err != nil {
		return
	}
	head = "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n"
	var body []byte
	switch fault {
	case "stall":
		// no answer: wait for the client to leave
		io.Copy(io.Discard, br)
		return
	case "text":
		head = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
		body = []byte("<html></html>")
	case "404":
		head = "HTTP/1.0 404 Not Found\r\nContent-Type: application/ocsp-response\r\n\r\n"
	case "garbage":
		body = []byte("<html></html>")
	case "trylater":
		body = xocsp.TryLaterErrorResponse
	case "badheader":
		head = "HTTP/1.0 200 OK\r\nX_Bad: 1\r\n\r\n"
	case "short":
		head = "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
	default:
		body = r.answer(req, fault)
	}
	c.Write(append([]byte(head), body...))
}

// answer is the signed response for the request's certificate.
func (r *responder) answer(req *xocsp.Request, fault string) []byte {
	var ca *certtest.Cert
	for _, c := range r.cas {
		n := sha1.Sum(c.Cert.RawSubject)
		if bytes.Equal(n[:], req.IssuerNameHash) {
			ca = c
		}
	}
	if ca == nil {
		return xocsp.UnauthorizedErrorResponse
	}
	now := time.Now()
	tmpl := xocsp.Response{Status: xocsp.Good, SerialNumber: new(big.Int).Set(req.SerialNumber),
		ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	r.mu.Lock()
	if r.revs[req.SerialNumber.String()] {
		tmpl.Status, tmpl.RevokedAt = xocsp.Revoked, now.Add(-time.Minute)
	}
	r.mu.Unlock()
	signer := ca
	switch fault {
	case "expired":
		tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-2*time.Hour), now.Add(-time.Hour)
	case "root":
		signer = r.cas[len(r.cas)-1]
		tmpl.Certificate = signer.Cert
	case "unknown":
		tmpl.Status = xocsp.Unknown
	case "other":
		if r.other != nil {
			signer = r.other
			tmpl.Certificate = signer.Cert
		}
	case "stranger":
		if r.stranger != nil {
			signer = r.stranger
			tmpl.Certificate = signer.Cert
		}
	case "delegated":
		if r.delegated != nil {
			signer = r.delegated
			tmpl.Certificate = signer.Cert
		}
	}
	der, err := xocsp.CreateResponse(ca.Cert, signer.Cert, tmpl, signer.Key)
	if err != nil {
		return xocsp.InternalErrorErrorResponse
	}
	if fault == "badsig" {
		// the signature ends the response: its last byte is the
		// signature's
		der[len(der)-1] ^= 1
	}
	return der
}
