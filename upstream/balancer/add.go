package balancer

import (
	"errors"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Add is ngx_http_upstream_add for pass directives (proxy_pass,
// memcached_pass...): text is the address after the scheme
// ("backend:8080/uri", "unix:/tmp/sock:/uri"), parsed with o (host names
// are not resolved here). It returns the group of that name — an
// upstream{} block, also one declared further down the file — or else an
// implicit group for the host and port, shared by every directive naming
// them, whose peers are the host's addresses, resolved at the end of the
// http block. The URL gives the URI part and whether a port was written.
//
// Errors are nginx's: `invalid port in upstream "x"`, `upstream "x" may not
// have port N`; an unknown host is reported when the http block is
// complete (`host not found in upstream "x" in FILE:LINE`).
func Add(c *conf.Cmd, text string, o URLOptions) (*Group, *URL, error) {
	m := MainOf(httpd.ConfigOf(c))
	if m == nil {
		return nil, nil, errors.New("needs the upstream module, which is not compiled in")
	}
	o.NoResolve = true
	u, err := ParseURL(text, o)
	if err != nil {
		return nil, nil, c.Errorf("%s in upstream \"%s\"", err, text)
	}
	g, err := m.add(c, u, 0)
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

// add finds or registers the group for u (ngx_http_upstream_add).
func (m *Main) add(c *conf.Cmd, u *URL, flags Flags) (*Group, error) {
	create := flags&FlagCreate != 0
	for _, g := range m.groups {
		if !ascii.EqualFold(g.host, u.Host) {
			continue
		}
		if create && g.Explicit() {
			return nil, c.Errorf("duplicate upstream \"%s\"", u.Host)
		}
		if g.Explicit() && !u.NoPort {
			return nil, c.Errorf("upstream \"%s\" may not have port %d", u.Host, u.Port)
		}
		if create && !g.noPort {
			return nil, noPos("upstream \"%s\" may not have port %d in %s:%d", u.Host, g.port, g.file, g.line)
		}
		if g.port != 0 && u.Port != 0 && g.port != u.Port {
			continue
		}
		if create {
			g.flags = flags
			g.port = 0
		}
		return g, nil
	}
	g := newGroup()
	g.flags = flags
	g.host = u.Host
	g.file, g.line = c.File, c.Line
	g.port = u.Port
	g.noPort = u.NoPort
	if len(u.Addrs) == 1 && (u.Port != 0 || u.Unix) {
		// a literal address: its one server, with zero parameters as nginx
		// leaves them
		g.servers = []*Server{{Addrs: u.Addrs}}
	}
	m.groups = append(m.groups, g)
	return g, nil
}

// Find is the run-time lookup of a pass directive with variables
// (ngx_http_upstream_init_request): the group, explicit or implicit, whose
// name is host (case-insensitively) and whose port is port — or, for a
// group without a port, the address was written without one (noPort).
// It returns nil when there is none; the caller then resolves the host
// itself (NewResolved).
func Find(r *httpd.Request, host string, port int, noPort bool) *Group {
	m := httpd.MainConf[Main](r, &self)
	if m == nil {
		return nil
	}
	for _, g := range m.groups {
		if len(g.host) == len(host) && ((g.port == 0 && noPort) || g.port == port) &&
			ascii.EqualFold(g.host, host) {
			return g
		}
	}
	return nil
}

// init builds a group's peers once the http block is read
// (ngx_http_upstream_init_round_robin and the methods' init functions).
func (g *Group) init() error {
	if g.ready {
		return nil
	}
	if g.servers == nil {
		if err := g.initImplicit(); err != nil {
			return err
		}
	} else {
		if err := g.initResolve(); err != nil {
			return err
		}
		if !g.buildPeers(g.servers) {
			return noPos("no servers in upstream \"%s\" in %s:%d", g.host, g.file, g.line)
		}
		if g.res != nil {
			g.preload()
		}
	}
	if g.method == ConsistentHash {
		g.points = buildPoints(g.primary)
	}
	g.initKeepalive()
	g.ready = true
	return nil
}

// initImplicit resolves the host of an implicit group: its peers are the
// host's addresses, each with weight 1, max_fails 1, fail_timeout 10s.
func (g *Group) initImplicit() error {
	if g.port == 0 {
		return noPos("no port in upstream \"%s\" in %s:%d", g.host, g.file, g.line)
	}
	addrs, err := resolveHost(g.host, g.port)
	if err != nil {
		return noPos("%s in upstream \"%s\" in %s:%d", err, g.host, g.file, g.line)
	}
	servers := []*Server{{Name: "", Addrs: addrs, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}}
	g.primary = newPeerSet(servers, false)
	return nil
}
