package realip

import (
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/inet"
	"net"
	"net/netip"

	"github.com/sluicehq/sluice/httpd"
)

// handler replaces the client address from the configured header when the
// connection's address is trusted (ngx_http_realip_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.from == nil || r.ClientAddrChanged() {
		return httpd.Declined
	}
	in := &r.In
	var values []string
	switch lc.Kind.Get() {
	case headerXRealIP:
		if in.XRealIP < 0 {
			return httpd.Declined
		}
		values = []string{in.List[in.XRealIP].Value}
	case headerXFF:
		for i := range in.List {
			h := &in.List[i]
			if !h.Deleted && ascii.EqualFold(h.Key, "X-Forwarded-For") {
				values = append(values, h.Value)
			}
		}
		if len(values) == 0 {
			return httpd.Declined
		}
	case headerProxy:
		pp := r.ProxyProtocol()
		if pp == nil {
			return httpd.Declined
		}
		values = []string{pp.SrcAddr}
	default:
		v, ok := in.Value(lc.header)
		if !ok {
			return httpd.Declined
		}
		values = []string{v}
	}
	ap, ok := forwarded(r.ClientAddr(), values, lc.from, lc.Recursive.Get())
	if !ok {
		return httpd.Declined
	}
	if lc.Kind.Get() == headerProxy {
		// the header's own port, 0 included (ngx_inet_set_port)
		ap = netip.AddrPortFrom(ap.Addr(), uint16(r.ProxyProtocol().SrcPort))
	}
	r.SetClientAddr(ap)
	return httpd.Declined
}

// forwarded finds the client's address in header values as
// ngx_http_get_forwarded_addr (see inet.Forwarded), starting from the peer.
func forwarded(peer net.Addr, values []string, from *trusted, recursive bool) (netip.AddrPort, bool) {
	return inet.Forwarded(from.contains(peer), values, from, recursive)
}
