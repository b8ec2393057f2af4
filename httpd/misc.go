package httpd

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// escapeURI escapes a URI as nginx's ngx_escape_uri(NGX_ESCAPE_URI) for
// redirects to a location with a trailing slash.
func escapeURI(s string) string {
	return string(http1.Escape(nil, []byte(s), http1.EscapeURI))
}

// binaryRemoteAddr is the client address in binary form
// ($binary_remote_addr): 4 bytes for IPv4, 16 for IPv6.
func (c *conn) binaryRemoteAddr() string {
	if a, ok := c.clientAddr().(*net.TCPAddr); ok {
		if v4 := a.IP.To4(); v4 != nil {
			return string(v4)
		}
		return string(a.IP.To16())
	}
	return ""
}

// remoteUser is the user name of Basic authorization ($remote_user).
func (r *Request) remoteUser() (string, bool) {
	user, _, ok := r.BasicUser()
	return user, ok
}

// validateHost validates and normalises a host name (ngx_http_validate_host):
// lowercase, without a trailing dot and port.
func validateHost(s string) (string, bool) {
	h, _, ok := validateHostPort(s)
	return h, ok
}

// validateHostPort is validateHost that also returns the port (0 when
// none).
func validateHostPort(s string) (string, int, bool) {
	h, port, ok := http1.ValidateHost(nil, bytesconv.Bytes(s))
	return bytesconv.String(h), port, ok
}

// Resolver is a resolver configuration: DNS servers to ask, the validity
// of answers, the address families wanted.
type Resolver struct {
	Servers  []string
	Valid    time.Duration
	IPv4     bool
	IPv6     bool
	resolver *net.Resolver
	// next is the server to ask first for the next name (nginx's
	// last_connection), cache the answers (see Resolve)
	next  atomic.Uint32
	cache resolverCache
}

// setResolver is the "resolver" directive.
func setResolver(c *conf.Cmd) error {
	l := clcf(c)
	if l.Resolver.IsSet() {
		return conf.ErrDuplicate
	}
	res := &Resolver{IPv4: true, IPv6: true}
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "valid="):
			d, ok := conf.ParseTime(a[6:], true)
			if !ok {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.Valid = conf.Seconds(d)
		case strings.HasPrefix(a, "ipv4="):
			v, err := conf.ParseFlag(c, a[5:])
			if err != nil {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.IPv4 = v
		case strings.HasPrefix(a, "ipv6="):
			v, err := conf.ParseFlag(c, a[5:])
			if err != nil {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.IPv6 = v
		case strings.HasPrefix(a, "status_zone="):
		default:
			addr := a
			if strings.HasPrefix(addr, "[") {
				if !strings.Contains(addr, "]:") {
					addr += ":53"
				}
			} else if strings.Count(addr, ":") == 0 {
				addr += ":53"
			} else if strings.Count(addr, ":") > 1 {
				addr = "[" + addr + "]:53"
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return c.Errorf("invalid parameter: %s", a)
			}
			res.Servers = append(res.Servers, addr)
		}
	}
	if !res.IPv4 && !res.IPv6 {
		return c.Errorf("\"ipv4\" and \"ipv6\" cannot both be \"off\"")
	}
	res.init()
	l.Resolver.Set(res)
	return nil
}

func (res *Resolver) init() {
	servers := res.Servers
	var next int
	res.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{}
		s := servers[next%len(servers)]
		next++
		return d.DialContext(ctx, network, s)
	}}
}
