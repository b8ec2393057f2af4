package httpd

import (
	"crypto/tls"
	"slices"
)

// hasModule reports whether m is among the configuration's modules.
func (cf *Config) hasModule(m *Module) bool { return slices.Contains(cf.modules, m) }

// http2Enabled reports whether the server has "http2 on".
func (s *Server) http2Enabled() bool {
	c, ok := s.Conf(V2).(*V2SrvConf)
	return ok && c.Enable.Get()
}

// alpnConfig returns the server's tls.Config offering "h2" before
// "http/1.1" by ALPN (as nginx's ngx_http_ssl_alpn_select does when
// HTTP/2 is enabled), made once per config and address.
func (a *addrConf) alpnConfig(c *tls.Config) *tls.Config {
	a.alpnMu.Lock()
	defer a.alpnMu.Unlock()
	if x := a.alpn[c]; x != nil {
		return x
	}
	x := c.Clone()
	x.NextProtos = []string{"h2", "http/1.1"}
	if a.alpn == nil {
		a.alpn = map[*tls.Config]*tls.Config{}
	}
	a.alpn[c] = x
	return x
}
