package realip

import (
	"net"
	"net/netip"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Header kinds of real_ip_header.
const (
	headerXRealIP = iota
	headerXFF
	headerProxy
	headerOther
)

// Module is the realip HTTP module (ngx_http_realip_module).
var Module = &httpd.Module{
	Name:   "realip",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "set_real_ip_from", Context: contexts, Args: conf.Take1, Set: setFrom,
			Syntax: "set_real_ip_from address | CIDR | unix: | hostname;",
			Doc:    "Trusts the address, network, UNIX-domain clients or the host's addresses to send a correct replacement address."},
		{Name: "real_ip_header", Context: contexts, Args: conf.Take1, Set: setHeader,
			Syntax: "real_ip_header field | X-Real-IP | X-Forwarded-For | proxy_protocol;", Default: "real_ip_header X-Real-IP;",
			Doc: "Names the request header whose value replaces the client address (proxy_protocol: the address and port of the connection's PROXY protocol header)."},
		{Name: "real_ip_recursive", Context: contexts, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Recursive }),
			Syntax: "real_ip_recursive on | off;", Default: "real_ip_recursive off;",
			Doc: "With on, the last address of the header that is not trusted is used instead of the last one."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		if c.from == nil {
			c.from = p.from
		}
		c.Kind.Inherit(p.Kind, headerXRealIP)
		c.Recursive.Inherit(p.Recursive, false)
		if c.header == "" {
			c.header = p.header
		}
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		for _, v := range []*httpd.Variable{
			{Name: "realip_remote_addr", Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
				a, _ := r.PeerAddr()
				return a, true
			}},
			{Name: "realip_remote_port", Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
				_, p := r.PeerAddr()
				return p, true
			}},
		} {
			if _, err := cf.AddVariable(v); err != nil {
				return err
			}
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.PostRead, handler)
		cf.AddHandler(httpd.Preaccess, handler)
		return nil
	},
}

// LocConf is the realip settings of one level.
type LocConf struct {
	from      *trusted
	Kind      conf.Num
	header    string
	Recursive conf.Flag
}

// trusted is the set_real_ip_from list of a level.
type trusted struct {
	nets []netip.Prefix
	unix bool
}

func (t *trusted) contains(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		return t.containsIP(ap.Addr())
	case *net.UnixAddr:
		return t.unix
	}
	return false
}

// Trusted is inet.Trust.
func (t *trusted) Trusted(ip netip.Addr) bool { return t.containsIP(ip) }

func (t *trusted) containsIP(ip netip.Addr) bool {
	ip = ip.WithZone("")
	for _, p := range t.nets {
		if p.Contains(ip) {
			return true
		}
		// an IPv4-mapped IPv6 client matches the IPv4 networks
		if ip.Is4In6() && p.Addr().Is4() && p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// setFrom is "set_real_ip_from" (ngx_http_realip_from).
func setFrom(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.from == nil {
		lc.from = &trusted{}
	}
	v := c.Arg(0)
	if v == "unix:" {
		lc.from.unix = true
		return nil
	}
	if p, lowBits, ok := parseCIDR(v); ok {
		if lowBits {
			c.Warnf("low address bits of %s are meaningless", v)
		}
		lc.from.nets = append(lc.from.nets, p)
		return nil
	}
	ips, err := net.LookupIP(v)
	if err != nil || len(ips) == 0 {
		return c.Errorf("host not found in set_real_ip_from \"%s\"", v)
	}
	for _, ip := range ips {
		a, _ := netip.AddrFromSlice(ip)
		a = a.Unmap()
		lc.from.nets = append(lc.from.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return nil
}

// parseCIDR reads "address" or "address/bits" (ngx_ptocidr): the network
// is masked, lowBits says address bits beyond the mask were set.
func parseCIDR(s string) (p netip.Prefix, lowBits, ok bool) {
	addrText, bitsText, hasBits := strings.Cut(s, "/")
	a, ok := parseAddr(addrText)
	if !ok {
		return p, false, false
	}
	bits := a.BitLen()
	if hasBits {
		n, ok := conf.Atoi(bitsText)
		if !ok || n > int64(a.BitLen()) {
			return p, false, false
		}
		bits = int(n)
	}
	p = netip.PrefixFrom(a, bits)
	m := p.Masked()
	return m, m.Addr() != a, true
}

// setHeader is "real_ip_header" (ngx_http_realip).
func setHeader(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.Kind.IsSet() {
		return conf.ErrDuplicate
	}
	switch v := c.Arg(0); v {
	case "X-Real-IP":
		lc.Kind.Set(headerXRealIP)
	case "X-Forwarded-For":
		lc.Kind.Set(headerXFF)
	case "proxy_protocol":
		lc.Kind.Set(headerProxy)
	default:
		lc.Kind.Set(headerOther)
		lc.header = v
	}
	return nil
}
