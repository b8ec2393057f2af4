package proxy

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// The proxy_ssl_* directives are the upstream framework's TLS family
// (upstream.SSLDirectives); this file says when a location goes over TLS.

func sslDirectives() []conf.Directive {
	return upstream.SSLDirectives("proxy_", "proxied HTTPS server", func(c *LocConf) *upstream.SSLConf { return &c.ssl })
}

// mergeSSL merges the proxy_ssl_* values and builds the TLS configuration
// of a location that proxies over TLS (ngx_http_proxy_set_ssl).
func mergeSSL(cf *httpd.Config, p, c *LocConf) error {
	tc, err := upstream.MergeSSL(cf, &p.ssl, &c.ssl, "proxy_", c.pass != nil && c.pass.tls())
	if err != nil {
		return err
	}
	if tc != nil {
		c.U.TLS = tc
	}
	return nil
}

// tls reports whether the proxy_pass may go over TLS: an https URL, or
// one with variables (nginx's plcf->ssl).
func (pc *passConf) tls() bool {
	return pc.dynamic != nil || pc.vars.tls
}
