package ssl

import (
	"crypto/tls"
	"errors"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/tlsconf"
)

// handshakeCertificates returns the tls.Config.GetCertificate of a server
// whose ssl_certificate or ssl_certificate_key names have variables
// (ngx_http_ssl_certificate): for each handshake every pair is evaluated
// on a request made for the connection, names are made absolute against
// the configuration's directory, and the files are loaded; the client
// gets the first pair it supports, ECDSA before RSA as with certificates
// loaded at start. A pair that fails to load is logged at the error level
// and fails the handshake.
func handshakeCertificates(cf *httpd.Config, sc *SrvConf) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	certs, keys := sc.certValues.Get(), sc.keyValues.Get()
	passwords := sc.passwords.Get()
	cache := sc.certCache.Get()
	prefix := cf.Cycle.ConfPrefix
	fullName := func(name string) string {
		if strings.HasPrefix(name, "store:") {
			return name
		}
		return conf.FullName(prefix, name)
	}
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		var pairs []tls.Certificate
		failed := false
		ok := httpd.InHandshake(hello, func(r *httpd.Request, lc errlog.Context) {
			for i := range certs {
				cert, key := certs[i].Eval(r), keys[i].Eval(r)
				var c tls.Certificate
				var err error
				switch {
				case strings.HasPrefix(cert, "data:"):
					err = errors.New("cannot load certificate \"" + cert + "\": \"data:\" is not supported by sluice")
				case strings.HasPrefix(key, "data:") || strings.HasPrefix(key, "engine:"):
					err = errors.New("cannot load certificate key \"" + key + "\": \"engine:\" and \"data:\" are not supported by sluice")
				case cache == nil:
					c, err = tlsconf.LoadCertificate(fullName(cert), fullName(key), passwords)
				default:
					c, err = cache.pair(fullName(cert), fullName(key), passwords)
				}
				if err != nil {
					// per connection, the key goes with SSL_use_PrivateKey()
					msg := strings.Replace(err.Error(), "SSL_CTX_use_PrivateKey(", "SSL_use_PrivateKey(", 1)
					r.Log().Logf(errlog.Error, lc, nil, "%s", msg)
					failed = true
					return
				}
				pairs = append(pairs, c)
			}
		})
		if !ok || failed || len(pairs) == 0 {
			return nil, httpd.ErrCertCallback
		}
		pairs = byKeyType(pairs)
		for i := range pairs {
			if hello.SupportsCertificate(&pairs[i]) == nil {
				return &pairs[i], nil
			}
		}
		return &pairs[0], nil
	}
}

// pair loads a certificate and its key through the cache; a pair that
// does not match is loaded again from the files once, as nginx retries
// with NGX_SSL_CACHE_INVALIDATE (the files may have been replaced one
// after the other).
func (c *certCache) pair(cert, key string, passwords []string) (tls.Certificate, error) {
	for invalidate := false; ; invalidate = true {
		v, err := c.fetch(cacheKey{name: cert}, invalidate, func() (any, error) { return tlsconf.LoadChain(cert) })
		if err != nil {
			return tls.Certificate{}, err
		}
		chain := v.(tls.Certificate)
		k, err := c.fetch(cacheKey{key: true, name: key}, invalidate, func() (any, error) { return tlsconf.LoadKey(key, passwords) })
		if err != nil {
			return tls.Certificate{}, err
		}
		if err := tlsconf.MatchKey(&chain, k, key); err != nil {
			if invalidate {
				return tls.Certificate{}, err
			}
			continue
		}
		return chain, nil
	}
}
