package balancer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// defaultValid is how long run-time resolution results are used when the
// resolver has no valid= (Go's resolver does not report DNS TTLs).
const defaultValid = 10 * time.Second

// resolveState is the run-time resolution of a group's servers marked
// "resolve" (nginx's zone module with its resolver timers): a timer
// re-resolves them every valid period (resolver valid=, or 10s since Go's
// resolver does not report TTLs); the first request resolves them if the
// timer has not yet.
type resolveState struct {
	lookup  func(ctx context.Context, network, host string) ([]net.IP, error)
	srv     func(ctx context.Context, service, proto, name string) ([]*net.SRV, error)
	cname   func(ctx context.Context, host string) (string, error)
	timeout time.Duration
	valid   time.Duration
	log     *errlog.Log

	started  atomic.Bool
	resolved atomic.Bool
	// run serialises resolutions; addrs is guarded by it.
	run sync.Mutex
	// addrs holds each resolving server's current addresses.
	addrs map[*Server][]resolvedAddr
}

type resolvedAddr struct {
	addr   Addr
	weight int
	// backup marks SRV targets of a lower priority than the best one
	backup bool
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
	network := res.Network()
	rs.lookup = func(ctx context.Context, _, host string) ([]net.IP, error) {
		return nr.LookupIP(ctx, network, host)
	}
	rs.srv = func(ctx context.Context, service, proto, name string) ([]*net.SRV, error) {
		_, srvs, err := nr.LookupSRV(ctx, service, proto, name)
		return srvs, err
	}
	rs.cname = nr.LookupCNAME
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

// lastResolved remembers what each run-time resolved server last resolved
// to, across reloads: a new configuration starts from the old answers, as
// nginx copies the peers of the old zone, so that a DNS failure at reload
// time does not leave the group empty.
var lastResolved sync.Map

// resolveKey identifies a resolving server across configurations.
func (g *Group) resolveKey(s *Server) string {
	return g.zone + "\x00" + g.host + "\x00" + s.Host + "\x00" + s.Service
}

// preload gives the "resolve" servers the addresses the previous
// configuration resolved them to (with the port now configured, for
// servers without SRV records).
func (g *Group) preload() {
	rs := g.res
	for _, s := range g.servers {
		if !s.Resolve {
			continue
		}
		v, ok := lastResolved.Load(g.resolveKey(s))
		if !ok {
			continue
		}
		var addrs []resolvedAddr
		for _, ra := range v.([]resolvedAddr) {
			if s.Service == "" {
				ap, err := netip.ParseAddrPort(ra.addr.Address)
				if err != nil {
					continue
				}
				ra.addr = tcpAddr(ap.Addr(), s.Port)
				ra.weight, ra.backup = s.Weight, s.Backup
			}
			addrs = append(addrs, ra)
		}
		rs.addrs[s] = addrs
	}
	if len(rs.addrs) > 0 {
		g.rebuild(rs.addrs)
	}
}

// startResolving starts the group's resolution timer. The timer holds the
// group weakly: once the configuration is gone, it stops.
func (g *Group) startResolving() {
	if g.res == nil || !g.res.started.CompareAndSwap(false, true) {
		return
	}
	wp := weak.Make(g)
	time.AfterFunc(0, func() { resolveTick(wp) })
}

func resolveTick(wp weak.Pointer[Group]) {
	g := wp.Value()
	if g == nil {
		return
	}
	next := g.resolveNow()
	g = nil
	time.AfterFunc(next, func() { resolveTick(wp) })
}

// ensureResolved makes sure a request finds the "resolve" servers resolved
// once, and that the timer runs.
func (g *Group) ensureResolved(r *httpd.Request) {
	rs := g.res
	if rs.log == nil && r != nil {
		rs.run.Lock()
		rs.log = r.Config.Log()
		rs.run.Unlock()
	}
	if !rs.resolved.Load() {
		rs.run.Lock()
		if !rs.resolved.Load() {
			g.resolveLocked()
		}
		rs.run.Unlock()
	}
	g.startResolving()
}

// resolveNow resolves every "resolve" server, rebuilds the peers and
// returns when to resolve again.
func (g *Group) resolveNow() time.Duration {
	g.res.run.Lock()
	defer g.res.run.Unlock()
	return g.resolveLocked()
}

func (g *Group) resolveLocked() time.Duration {
	rs := g.res
	ctx, cancel := context.WithTimeout(context.Background(), rs.timeout)
	defer cancel()
	next := rs.valid
	fresh := map[*Server][]resolvedAddr{}
	for _, s := range g.servers {
		if !s.Resolve {
			continue
		}
		addrs, err := rs.resolveServer(ctx, s)
		if err != nil {
			if rs.log != nil {
				if s.Service != "" {
					rs.log.Logf(errlog.Error, nil, nil, "service %s of %s could not be resolved (%s)", s.Service, s.Host, err)
				} else {
					rs.log.Logf(errlog.Error, nil, nil, "%s could not be resolved (%s)", s.Host, err)
				}
			}
			if !isNotFound(err) {
				// keep the last answer and try again soon
				addrs = rs.addrs[s]
				next = max(rs.timeout, time.Second)
			}
		}
		fresh[s] = addrs
	}
	rs.addrs = fresh
	for srv, addrs := range fresh {
		lastResolved.Store(g.resolveKey(srv), addrs)
	}
	rs.resolved.Store(true)
	g.rebuild(fresh)
	return next
}

// resolveServer resolves one server: its SRV records' targets with their
// ports and weights, or its name's addresses with the configured port.
func (rs *resolveState) resolveServer(ctx context.Context, s *Server) ([]resolvedAddr, error) {
	if s.Service == "" {
		ips, err := rs.lookupIPs(ctx, s.Host)
		if err != nil {
			return nil, shortDNSError(err)
		}
		addrs := ipAddrs(ips, s.Port, s.Weight)
		for i := range addrs {
			addrs[i].backup = s.Backup
		}
		return addrs, nil
	}
	service, proto, name := s.Service, "tcp", s.Host
	if strings.HasPrefix(service, "_") {
		// a full "_service._proto" name
		service, proto, name = "", "", s.Service+"."+s.Host
	}
	srvs, err := rs.srv(ctx, service, proto, name)
	if (err != nil && isNotFound(err)) || (err == nil && len(srvs) == 0) {
		full := name
		if service != "" {
			full = "_" + service + "._" + proto + "." + name
		}
		if c, ok := rs.chase(ctx, full); ok {
			srvs, err = rs.srv(ctx, "", "", c)
		}
	}
	if err != nil {
		return nil, shortDNSError(err)
	}
	best := uint16(65535)
	for _, srv := range srvs {
		best = min(best, srv.Priority)
	}
	var out []resolvedAddr
	for _, srv := range srvs {
		target := strings.TrimSuffix(srv.Target, ".")
		ips, err := rs.lookupIPs(ctx, target)
		if err != nil {
			if rs.log != nil {
				rs.log.Logf(errlog.Error, nil, nil, "%s could not be resolved (%s) while resolving service %s of %s",
					target, shortDNSError(err), s.Service, s.Host)
			}
			if !isNotFound(err) {
				// a target that failed for now: keep the last answer
				return nil, shortDNSError(err)
			}
			continue
		}
		w := s.Weight
		if w == 1 && srv.Weight > 0 {
			w = int(srv.Weight)
		}
		addrs := ipAddrs(ips, int(srv.Port), w)
		for i := range addrs {
			addrs[i].backup = s.Backup || srv.Priority != best
		}
		out = append(out, addrs...)
	}
	return out, nil
}

// lookupIPs resolves a name, following a CNAME whose target the answer
// did not carry (nginx's resolver queries it; Go's does not).
func (rs *resolveState) lookupIPs(ctx context.Context, host string) ([]net.IP, error) {
	ips, err := rs.lookup(ctx, "ip", host)
	if (err != nil && isNotFound(err)) || (err == nil && len(ips) == 0) {
		if c, ok := rs.chase(ctx, host); ok {
			return rs.lookup(ctx, "ip", c)
		}
	}
	if err == nil && len(ips) == 0 {
		err = errNotFound
	}
	return ips, err
}

// chase returns the target of name's CNAME record, if it has one.
func (rs *resolveState) chase(ctx context.Context, name string) (string, bool) {
	if rs.cname == nil {
		return "", false
	}
	c, err := rs.cname(ctx, name)
	c = strings.TrimSuffix(c, ".")
	if err != nil || c == "" || ascii.EqualFold(c, strings.TrimSuffix(name, ".")) {
		return "", false
	}
	return c, true
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

// isNotFound reports a name that does not exist or has no addresses
// (NXDOMAIN or an empty answer): its peers go away. Other failures keep
// them.
func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound || err == errNotFound
}

var errNotFound = errString("3: Host not found")

// shortDNSError words a lookup failure the way nginx's resolver does.
func shortDNSError(err error) error {
	if de, ok := err.(*net.DNSError); ok {
		switch {
		case de.IsNotFound:
			return errNotFound
		case de.IsTimeout:
			return errString("110: Operation timed out")
		default:
			return errString("2: Server failure")
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
		type kind struct {
			weight int
			backup bool
		}
		byKind := map[kind]*Server{}
		for _, ra := range resolved[s] {
			k := kind{ra.weight, ra.backup}
			x := byKind[k]
			if x == nil {
				c := *s
				c.Addrs = nil
				c.Weight, c.Backup = ra.weight, ra.backup
				x = &c
				byKind[k] = x
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
			if o := old[[2]string{p.up.Name, p.server}]; o != nil && o.weight == p.weight && o.backup == p.backup {
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
