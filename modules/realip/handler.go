package realip

import (
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
			if !h.Deleted && equalFold(h.Key, "X-Forwarded-For") {
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

// Results of one header line's walk (nginx's NGX_DECLINED, NGX_OK,
// NGX_DONE).
const (
	declined = iota // the address so far is not trusted or nothing parsed
	whole           // every address of the line was taken
	stopped         // an address was taken, then the walk stopped
)

// walk is the state of a search: the address found so far, or the peer's.
type walk struct {
	from        *trusted
	recursive   bool
	peerTrusted bool
	have        bool
	cur         netip.AddrPort
}

func (w *walk) trusted() bool {
	if !w.have {
		return w.peerTrusted
	}
	return w.from.containsIP(w.cur.Addr())
}

// forwarded finds the client's address in header values (the lines of one
// header, in order) as ngx_http_get_forwarded_addr: from the last line
// backwards, the rightmost address of each, while the address so far is
// trusted (only the last line and address without real_ip_recursive).
func forwarded(peer net.Addr, values []string, from *trusted, recursive bool) (netip.AddrPort, bool) {
	w := walk{from: from, recursive: recursive, peerTrusted: from.contains(peer)}
	rc, found := declined, false
	for i := len(values) - 1; i >= 0; i-- {
		rc = w.line(values[i])
		if !recursive {
			break
		}
		if rc == declined && found {
			rc = stopped
			break
		}
		if rc != whole {
			break
		}
		found = true
	}
	return w.cur, rc != declined
}

func isSep(c byte) bool { return c == ' ' || c == ',' }

// line walks one header value from its right end
// (ngx_http_get_forwarded_addr_internal).
func (w *walk) line(xff string) int {
	found := false
	n := len(xff)
	for {
		if !w.trusted() || n <= 0 {
			break
		}
		p := n - 1
		for ; p > 0 && isSep(xff[p]); p, n = p-1, n-1 {
		}
		for ; p > 0; p-- {
			if isSep(xff[p]) {
				p++
				break
			}
		}
		ap, ok := parseAddrPort(xff[p:n])
		if !ok {
			break
		}
		w.cur, w.have, found = ap, true, true
		n = p - 1
		if !w.recursive || p <= 0 {
			return whole
		}
	}
	if found {
		return stopped
	}
	return declined
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca >= 'A' && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if cb >= 'A' && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
