package ssl

import (
	"context"
	"crypto/x509"
	"errors"
	"net/netip"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ocspc"
	"github.com/sluicehq/sluice/internal/shmzone"
)

// Client certificate checks by OCSP (ssl_ocsp), as nginx's
// ngx_ssl_ocsp_validate: after a successful verification, each
// certificate of the verified chain but the root (only the client's with
// "leaf") is asked about at ssl_ocsp_responder or its own responder, one
// after the other, before the first request is read (the exchanges have
// no timer of their own: the handshake's, client_header_timeout, bounds
// them all, as in nginx); the cache (ssl_ocsp_cache) answers for those it
// knows. A bad status fails the
// requests with 400 and $ssl_client_verify "FAILED:...".

// cacheRegistry keeps the ssl_ocsp_cache zones of a running server across
// reloads (see shmzone.Registry).
var cacheRegistry shmzone.Registry[*ocspCache]

// ocspCache is an ssl_ocsp_cache zone and its size.
type ocspCache struct {
	*ocspc.Cache
	size int64
}

// clientOCSP is a server's ssl_ocsp settings (ngx_ssl_ocsp_conf_t).
type clientOCSP struct {
	leaf            bool
	responder       *ocspc.Responder
	cache           *ocspc.Cache
	resolve         func(context.Context, string) ([]netip.Addr, error)
	resolverTimeout time.Duration
	roots           *x509.CertPool
	trusted         []*x509.Certificate
	log             *errlog.Log
}

// newClientOCSP is ngx_ssl_ocsp and ngx_ssl_ocsp_resolver.
func newClientOCSP(cf *httpd.Config, m *mainConf, sc *SrvConf, roots *x509.CertPool, trusted []*x509.Certificate, loc *httpd.CoreLocConf) (*clientOCSP, error) {
	o := &clientOCSP{leaf: sc.OCSP.Get() == 2, roots: roots, trusted: trusted, log: cf.Log(), resolverTimeout: loc.ResolverTimeout.Get()}
	if url := sc.OCSPResponder.Get(); url != "" {
		r, rest, err := ocspc.ParseResponder(url, false, nil)
		switch {
		case errors.Is(err, ocspc.ErrPrefix):
			return nil, noPos("invalid URL prefix in OCSP responder \"%s\" in \"ssl_ocsp_responder\"", rest)
		case err != nil:
			return nil, noPos("%s in OCSP responder \"%s\" in \"ssl_ocsp_responder\"", err, rest)
		}
		o.responder = r
	}
	if z := sc.ocspCacheZone.Get(); z.name != "" {
		c := m.caches[z.name]
		if c == nil {
			// a zone of the same size survives a reload, as nginx's
			// shared memory does
			if c = m.prevCaches[z.name]; c == nil || c.size != z.size {
				c = &ocspCache{Cache: ocspc.NewCache(z.name, z.size), size: z.size}
			}
			m.caches[z.name] = c
		}
		o.cache = c.Cache
	}
	if res := loc.Resolver.Get(); res != nil && len(res.Servers) > 0 {
		o.resolve = res.Resolve
	}
	return o, nil
}

var (
	errOCSPFailed  = &httpd.OCSPError{Text: "certificate status request failed"}
	errOCSPRevoked = &httpd.OCSPError{Text: "certificate revoked"}
	errOCSPUnknown = &httpd.OCSPError{Text: "certificate status unknown"}
)

func statusError(s int) error {
	switch s {
	case ocspc.Good:
		return nil
	case ocspc.Revoked:
		return errOCSPRevoked
	}
	return errOCSPUnknown
}

// check asks about the verified chain's certificates in turn
// (ngx_ssl_ocsp_validate_next and ngx_ssl_ocsp_handler).
func (o *clientOCSP) check(ctx context.Context, log errlog.Context, chain []*x509.Certificate) error {
	for i := 0; i < len(chain)-1 && !(o.leaf && i == 1); i++ {
		cert, issuer := chain[i], chain[i+1]
		f := &ocspc.Fetch{Responder: o.responder, Resolve: o.resolve, ResolverTimeout: o.resolverTimeout,
			Log: o.log, Conn: log.LogConn()}
		if f.Responder == nil {
			r, err := certResponder(cert)
			if err != "" {
				o.log.Logf(errlog.Error, log, nil, "%s", err)
				return errOCSPFailed
			}
			f.Responder = r
		}
		var key string
		if o.cache != nil {
			key = ocspc.CacheKey(cert, issuer)
			if s, ok := o.cache.Lookup(key, time.Now()); ok {
				if s != ocspc.Good {
					return statusError(s)
				}
				continue
			}
		}
		res, ok := ocspc.Query(ctx, f, &ocspc.Check{Cert: cert, Issuer: issuer, Chain: chain, Roots: o.roots, Trusted: o.trusted, Mode: ocspc.Full})
		if !ok {
			return errOCSPFailed
		}
		if o.cache != nil && !o.cache.Store(key, res.Status, res.Valid, time.Now()) {
			f.Logf(errlog.Alert, nil, "could not allocate new entry in OCSP cache \"%s\"", o.cache.Name)
			return errOCSPFailed
		}
		if err := statusError(res.Status); err != nil {
			return err
		}
	}
	return nil
}

// certResponder is the responder a client certificate names
// (ngx_ssl_ocsp_responder): its name is resolved when it is asked, and
// the error is nginx's line.
func certResponder(cert *x509.Certificate) (*ocspc.Responder, string) {
	url := ocspc.CertResponder(cert)
	if url == "" {
		return nil, "no OCSP responder URL in certificate"
	}
	r, rest, err := ocspc.ParseResponder(url, true, nil)
	switch {
	case errors.Is(err, ocspc.ErrPrefix):
		return nil, "invalid URL prefix in OCSP responder \"" + rest + "\" in certificate"
	case err != nil && err.Error() == "no host":
		return nil, "empty host in OCSP responder in certificate"
	case err != nil:
		return nil, err.Error() + " in OCSP responder \"" + rest + "\" in certificate"
	}
	return r, ""
}
