package balancer

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// defaultValid is how long run-time resolution results are used when the
// resolver has no valid= (Go's resolver does not report DNS TTLs).
const defaultValid = 10 * time.Second

// resolveState is the run-time resolution of a group's servers marked
// "resolve" (nginx does it in the zone module, with the resolver's timers;
// sluice resolves when a request finds the answers expired).
type resolveState struct {
	lookup  func(ctx context.Context, network, host string) ([]net.IP, error)
	srv     func(ctx context.Context, service, proto, name string) ([]*net.SRV, error)
	timeout time.Duration
	valid   time.Duration
	log     *errlog.Log

	mu sync.Mutex
	// expires is when the current answers go stale; busy is set while a
	// resolution runs.
	expires time.Time
	busy    bool
	// addrs holds each resolving server's current addresses and SRV
	// weights.
	addrs map[*Server][]resolvedAddr
}

type resolvedAddr struct {
	addr   Addr
	weight int
}

// initResolve checks a group with "resolve" servers as nginx does and
// prepares its run-time resolution.
func (g *Group) initResolve() error {
	resolve := false
	for _, s := range g.servers {
		resolve = resolve || s.Resolve
	}
	if !resolve {
		return nil
	}
	if g.zone == "" {
		return noPos("resolving names at run time requires upstream \"%s\" in %s:%d to be in shared memory",
			g.host, g.file, g.line)
	}
	if g.flags&FlagModify == 0 {
		return noPos("load balancing method does not support resolving names at run time in upstream \"%s\" in %s:%d",
			g.host, g.file, g.line)
	}
	res := g.resolver
	timeout := g.resolverTimeout
	if g.httpLoc != nil {
		if res == nil {
			res = g.httpLoc.Resolver.Get()
		}
		timeout.InheritOnly(g.httpLoc.ResolverTimeout)
	}
	if res == nil || len(res.Servers) == 0 {
		return noPos("no resolver defined to resolve names at run time in upstream \"%s\" in %s:%d",
			g.host, g.file, g.line)
	}
	rs := &resolveState{timeout: 30 * time.Second, valid: defaultValid, addrs: map[*Server][]resolvedAddr{}}
	if timeout.IsSet() {
		rs.timeout = timeout.Get()
	}
	if res.Valid > 0 {
		rs.valid = res.Valid
	}
	nr := dnsResolver(res.Servers)
	network := "ip"
	switch {
	case !res.IPv6:
		network = "ip4"
	case !res.IPv4:
		network = "ip6"
	}
	rs.lookup = func(ctx context.Context, _, host string) ([]net.IP, error) {
		return nr.LookupIP(ctx, network, host)
	}
	rs.srv = func(ctx context.Context, service, proto, name string) ([]*net.SRV, error) {
		_, srvs, err := nr.LookupSRV(ctx, service, proto, name)
		return srvs, err
	}
	g.res = rs
	return nil
}

// dnsResolver asks the configured DNS servers in turn.
func dnsResolver(servers []string) *net.Resolver {
	var mu sync.Mutex
	next := 0
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		mu.Lock()
		s := servers[next%len(servers)]
		next++
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, s)
	}}
}

// refresh re-resolves the group's "resolve" servers when their answers
// expired: synchronously the first time (a group has no peers for them
// before), in the background afterwards.
func (g *Group) refresh(r *httpd.Request) {
	rs := g.res
	rs.mu.Lock()
	if rs.busy || time.Now().Before(rs.expires) {
		rs.mu.Unlock()
		return
	}
	rs.busy = true
	first := rs.expires.IsZero()
	if r != nil && rs.log == nil {
		rs.log = r.Log()
	}
	rs.mu.Unlock()
	if first {
		g.resolveNow()
		return
	}
	go g.resolveNow()
}

// resolveNow resolves every "resolve" server and rebuilds the peers.
func (g *Group) resolveNow() {
	rs := g.res
	ctx, cancel := context.WithTimeout(context.Background(), rs.timeout)
	defer cancel()
	fresh := map[*Server][]resolvedAddr{}
	for _, s := range g.servers {
		if !s.Resolve {
			continue
		}
		addrs, err := rs.resolveServer(ctx, s)
		if err != nil {
			rs.mu.Lock()
			old, log := rs.addrs[s], rs.log
			rs.mu.Unlock()
			if log != nil {
				log.Logf(errlog.Error, nil, nil, "%s could not be resolved (%s)", s.Host, err)
			}
			addrs = old
		}
		fresh[s] = addrs
	}
	rs.mu.Lock()
	rs.addrs = fresh
	rs.expires = time.Now().Add(rs.valid)
	rs.busy = false
	rs.mu.Unlock()
	g.rebuild(fresh)
}

// resolveServer resolves one server: its SRV records' targets with their
// ports and weights, or its name's addresses with the configured port.
func (rs *resolveState) resolveServer(ctx context.Context, s *Server) ([]resolvedAddr, error) {
	if s.Service == "" {
		ips, err := rs.lookup(ctx, "ip", s.Host)
		if err != nil {
			return nil, shortDNSError(err)
		}
		return ipAddrs(ips, s.Port, s.Weight), nil
	}
	service, proto, name := s.Service, "tcp", s.Host
	if strings.HasPrefix(service, "_") {
		// a full "_service._proto" name
		service, proto, name = "", "", s.Service+"."+s.Host
	}
	srvs, err := rs.srv(ctx, service, proto, name)
	if err != nil {
		return nil, shortDNSError(err)
	}
	var out []resolvedAddr
	for _, srv := range srvs {
		ips, err := rs.lookup(ctx, "ip", strings.TrimSuffix(srv.Target, "."))
		if err != nil {
			continue
		}
		w := s.Weight
		if w == 1 && srv.Weight > 0 {
			w = int(srv.Weight)
		}
		out = append(out, ipAddrs(ips, int(srv.Port), w)...)
	}
	return out, nil
}

func ipAddrs(ips []net.IP, port, weight int) []resolvedAddr {
	out := make([]resolvedAddr, 0, len(ips))
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		if ip.To4() != nil {
			a = a.Unmap()
		}
		out = append(out, resolvedAddr{addr: tcpAddr(a, port), weight: weight})
	}
	return out
}

// shortDNSError words a lookup failure the way nginx's resolver does.
func shortDNSError(err error) error {
	if de, ok := err.(*net.DNSError); ok {
		switch {
		case de.IsNotFound:
			return errString("3: Host not found")
		case de.IsTimeout:
			return errString("110: Operation timed out")
		}
	}
	return err
}

type errString string

func (e errString) Error() string { return string(e) }

// rebuild makes new peer sets from the static servers and the resolved
// ones. Peers whose address and server survive keep their state (the same
// peer value), so requests in flight account on them correctly.
func (g *Group) rebuild(resolved map[*Server][]resolvedAddr) {
	var servers []*Server
	for _, s := range g.servers {
		if !s.Resolve {
			servers = append(servers, s)
			continue
		}
		byWeight := map[int]*Server{}
		for _, ra := range resolved[s] {
			x := byWeight[ra.weight]
			if x == nil {
				c := *s
				c.Addrs = nil
				c.Weight = ra.weight
				x = &c
				byWeight[ra.weight] = x
				servers = append(servers, x)
			}
			x.Addrs = append(x.Addrs, ra.addr)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := map[[2]string]*peer{}
	for s := g.primary; s != nil; s = s.next {
		for _, p := range s.peers {
			old[[2]string{p.up.Name, p.server}] = p
		}
	}
	primary := newPeerSet(servers, false)
	backup := newPeerSet(servers, true)
	for _, set := range []*peerSet{primary, backup} {
		for i, p := range set.peers {
			if o := old[[2]string{p.up.Name, p.server}]; o != nil && o.weight == p.weight {
				set.peers[i] = o
			}
		}
	}
	if len(backup.peers) > 0 {
		primary.single, backup.single = false, false
		primary.next = backup
	}
	g.primary = primary
	if g.method == ConsistentHash {
		g.points = buildPoints(primary)
	}
}
