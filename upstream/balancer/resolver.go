package balancer

import (
	"net"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// setResolver is the upstream block's "resolver" directive: DNS servers
// for its servers marked "resolve" (the same syntax as the http one).
func setResolver(c *conf.Cmd) error {
	g := c.Conf.(*Group)
	if g.resolver != nil {
		return conf.ErrDuplicate
	}
	res := &httpd.Resolver{IPv4: true, IPv6: true}
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "valid="):
			d, ok := conf.ParseTime(a[6:], true)
			if !ok {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.Valid = conf.Seconds(d)
		case strings.HasPrefix(a, "ipv4="), strings.HasPrefix(a, "ipv6="):
			v, err := conf.ParseFlag(c, a[5:])
			if err != nil {
				return c.Errorf("invalid parameter: %s", a)
			}
			if a[3] == '4' {
				res.IPv4 = v
			} else {
				res.IPv6 = v
			}
		case strings.HasPrefix(a, "status_zone="):
		default:
			addr, ok := resolverAddr(a)
			if !ok {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.Servers = append(res.Servers, addr)
		}
	}
	if !res.IPv4 && !res.IPv6 {
		return c.Errorf("\"ipv4\" and \"ipv6\" cannot both be \"off\"")
	}
	g.resolver = res
	return nil
}

// resolverAddr gives a DNS server address its default port 53.
func resolverAddr(a string) (string, bool) {
	addr := a
	switch {
	case strings.HasPrefix(addr, "["):
		if !strings.Contains(addr, "]:") {
			addr += ":53"
		}
	case strings.Count(addr, ":") == 0:
		addr += ":53"
	case strings.Count(addr, ":") > 1:
		addr = "[" + addr + "]:53"
	}
	_, _, err := net.SplitHostPort(addr)
	return addr, err == nil
}
