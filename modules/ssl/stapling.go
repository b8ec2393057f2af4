package ssl

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ocspc"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// OCSP stapling (ssl_stapling), as nginx's ngx_ssl_stapling: each
// certificate of a server gets the response of its responder, fetched
// when a client first asks for a status and refreshed before it expires;
// the handshake that starts a fetch goes without (nginx's callback only
// starts it). A response from ssl_stapling_file is stapled as it is.

// statusRequest is the TLS extension a client asks for a stapled
// response with (status_request): only such handshakes start a fetch, as
// only they reach nginx's status callback.
const statusRequest = 5

// staple is a certificate's stapling state (ngx_ssl_stapling_t).
type staple struct {
	base   tls.Certificate
	name   string
	issuer *x509.Certificate
	chain  []*x509.Certificate
	roots  *x509.CertPool
	store  []*x509.Certificate
	verify bool
	fetch  *ocspc.Fetch
	ctx    context.Context

	// cur is the certificate with the response to staple, and until when
	cur atomic.Pointer[stapled]

	mu      sync.Mutex
	loading bool
	refresh time.Time
}

type stapled struct {
	cert  *tls.Certificate
	valid time.Time
}

// stapler chooses a server's certificate for a handshake and staples its
// response (tls.Config.GetCertificate).
type stapler struct {
	staples []*staple
}

// getCertificate chooses the certificate as crypto/tls does among
// Config.Certificates (the first the client supports, else the first),
// then answers with its response while that is valid
// (ngx_ssl_certificate_status_callback).
func (s *stapler) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	st := s.staples[0]
	if len(s.staples) > 1 {
		for _, c := range s.staples {
			if hello.SupportsCertificate(&c.base) == nil {
				st = c
				break
			}
		}
	}
	if !slices.Contains(hello.Extensions, statusRequest) {
		return &st.base, nil
	}
	now := time.Now()
	cur := st.cur.Load()
	st.update(now)
	if cur != nil && cur.valid.Unix() >= now.Unix() {
		return cur.cert, nil
	}
	return &st.base, nil
}

// update starts a fetch unless one runs or the response is fresh
// (ngx_ssl_stapling_update).
func (st *staple) update(now time.Time) {
	if st.fetch == nil {
		return
	}
	st.mu.Lock()
	if st.loading || st.refresh.Unix() >= now.Unix() {
		st.mu.Unlock()
		return
	}
	st.loading = true
	st.mu.Unlock()
	go st.load()
}

// load fetches and checks the response (ngx_ssl_stapling_ocsp_handler):
// a good one is stapled until its nextUpdate and refreshed five minutes
// before, or within the hour; after a failure the next try is in five
// minutes.
func (st *staple) load() {
	mode := ocspc.NoVerify
	if st.verify {
		mode = ocspc.TrustOther
	}
	f := *st.fetch
	res, ok := ocspc.Query(st.ctx, &f, &ocspc.Check{Cert: st.base.Leaf, Issuer: st.issuer, Chain: st.chain, Roots: st.roots, Trusted: st.store, Mode: mode})
	if ok && res.Status != ocspc.Good {
		f.Logf(errlog.Error, nil, "certificate status \"%s\" in the OCSP response", ocspc.StatusText(res.Status))
		ok = false
	}
	if ok {
		c := st.base
		c.OCSPStaple = res.DER
		st.cur.Store(&stapled{cert: &c, valid: res.Valid})
	}
	refresh := refreshAt(time.Now(), res.Valid, ok)
	st.mu.Lock()
	st.loading = false
	st.refresh = refresh
	st.mu.Unlock()
}

// refreshAt is when a staple is fetched again
// (ngx_ssl_stapling_ocsp_handler): five minutes before the response
// expires, but within the hour and not sooner than in five minutes; five
// minutes after a failure.
func refreshAt(now, valid time.Time, ok bool) time.Time {
	soon := now.Add(5 * time.Minute)
	if !ok {
		return soon
	}
	r := valid.Add(-5 * time.Minute)
	if h := now.Add(time.Hour); r.After(h) {
		r = h
	}
	if r.Before(soon) {
		r = soon
	}
	return r
}

// setupStapling is ngx_ssl_stapling for a server's certificates, with the
// server's resolver (ngx_ssl_stapling_resolver). A certificate whose
// issuer or responder cannot be known is left without stapling, with
// nginx's warning.
func setupStapling(cf *httpd.Config, m *mainConf, cfg *tls.Config, sc *SrvConf, store []*x509.Certificate, loc *httpd.CoreLocConf) error {
	if f := sc.StaplingFile.Get(); f != "" {
		for i := range cfg.Certificates {
			der, err := os.ReadFile(f)
			if err != nil {
				return noPos("BIO_new_file(\"%s\") failed (%s)", f, tlsconf.FopenError(f, "rb", err))
			}
			if der, err = ocspc.FirstResponse(der); err != nil {
				if err.Error() == "" {
					return noPos("d2i_OCSP_RESPONSE_bio(\"%s\") failed", f)
				}
				return noPos("d2i_OCSP_RESPONSE_bio(\"%s\") failed (%s)", f, err)
			}
			cfg.Certificates[i].OCSPStaple = der
		}
		return nil
	}
	roots := x509.NewCertPool()
	for _, c := range store {
		roots.AddCert(c)
	}
	var resolve func(context.Context, string) ([]netip.Addr, error)
	if res := loc.Resolver.Get(); res != nil && len(res.Servers) > 0 {
		resolve = res.Resolve
	}
	s := &stapler{}
	for _, cert := range cfg.Certificates {
		st := &staple{base: cert, name: m.names[cert.Leaf], roots: roots, store: store, verify: sc.StaplingVerify.Get(), ctx: m.context(cf)}
		for _, der := range cert.Certificate[1:] {
			if c, err := x509.ParseCertificate(der); err == nil {
				st.chain = append(st.chain, c)
			}
		}
		s.staples = append(s.staples, st)
		if st.issuer = findIssuer(cert.Leaf, st.chain, store); st.issuer == nil {
			cf.Warnf("\"ssl_stapling\" ignored, issuer certificate not found for certificate \"%s\"", st.name)
			continue
		}
		url := sc.StaplingResponder.Get()
		if url == "" {
			if url = ocspc.CertResponder(cert.Leaf); url == "" {
				cf.Warnf("\"ssl_stapling\" ignored, no OCSP responder URL in the certificate \"%s\"", st.name)
				continue
			}
		}
		r, rest, err := ocspc.ParseResponder(url, false, nil)
		switch {
		case errors.Is(err, ocspc.ErrPrefix):
			cf.Warnf("\"ssl_stapling\" ignored, invalid URL prefix in OCSP responder \"%s\" in the certificate \"%s\"", rest, st.name)
			continue
		case err != nil:
			cf.Warnf("\"ssl_stapling\" ignored, %s in OCSP responder \"%s\" in the certificate \"%s\"", err, rest, st.name)
			continue
		}
		st.fetch = &ocspc.Fetch{Responder: r, Resolve: resolve, ResolverTimeout: loc.ResolverTimeout.Get(),
			Timeout: time.Minute, Log: cf.Log(), Name: st.name}
	}
	if slices.ContainsFunc(s.staples, func(st *staple) bool { return st.fetch != nil }) {
		cfg.GetCertificate = s.getCertificate
		// crypto/tls asks GetCertificate only without certificates of
		// its own
		cfg.Certificates = nil
	}
	return nil
}

// findIssuer finds a certificate's issuer among its chain, then the
// trusted certificates (ngx_ssl_stapling_issuer: X509_check_issued, then
// the store).
func findIssuer(c *x509.Certificate, chain, store []*x509.Certificate) *x509.Certificate {
	for _, set := range [][]*x509.Certificate{chain, store} {
		for _, i := range set {
			if issued(c, i) {
				return i
			}
		}
	}
	return nil
}

// issued is X509_check_issued: the names, the key identifiers and the
// issuer's key usage agree (the signature is not checked).
func issued(c, issuer *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
		return false
	}
	if len(c.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, issuer.SubjectKeyId) {
		return false
	}
	return issuer.KeyUsage == 0 || issuer.KeyUsage&x509.KeyUsageCertSign != 0
}
