package balancer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// fakeDNS answers lookups from a table.
type fakeDNS struct {
	mu  sync.Mutex
	ips map[string][]string
	srv map[string][]*net.SRV
}

func (d *fakeDNS) lookup(_ context.Context, _, host string) ([]net.IP, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	list, ok := d.ips[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IP
	for _, s := range list {
		out = append(out, net.ParseIP(s))
	}
	return out, nil
}

func (d *fakeDNS) lookupSRV(_ context.Context, service, proto, name string) ([]*net.SRV, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := "_" + service + "._" + proto + "." + name
	if service == "" {
		key = name
	}
	if s, ok := d.srv[key]; ok {
		return s, nil
	}
	return nil, errors.New("no SRV")
}

func resolvingGroup(t *testing.T, dns *fakeDNS, servers ...*Server) *Group {
	t.Helper()
	lastResolved.Clear()
	g := newGroup()
	g.host, g.flags, g.zone = "r", blockFlags, "z"
	g.resolver = &httpd.Resolver{Servers: []string{"127.0.0.1:53"}, IPv4: true, IPv6: true}
	g.servers = servers
	if err := g.init(); err != nil {
		t.Fatal(err)
	}
	g.res.lookup, g.res.srv = dns.lookup, dns.lookupSRV
	g.res.started.Store(true) // no timer: the tests resolve by hand
	return g
}

func peerNames(g *Group) []string {
	var out []string
	for _, p := range g.Peers() {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

func TestRunTimeResolution(t *testing.T) {
	dns := &fakeDNS{ips: map[string][]string{"app.test": {"10.1.0.1", "10.1.0.2"}}}
	static := &Server{Name: "10.0.0.1:80", Addrs: []Addr{{Name: "10.0.0.1:80", Network: "tcp", Address: "10.0.0.1:80"}},
		Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	dyn := &Server{Name: "app.test:8080", Resolve: true, Host: "app.test", Port: 8080, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	g := resolvingGroup(t, dns, static, dyn)

	if got := peerNames(g); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("before resolution: %v", got)
	}
	g.ensureResolved(nil) // the first resolution is synchronous
	if got := peerNames(g); !slices.Equal(got, []string{"10.0.0.1:80", "10.1.0.1:8080", "10.1.0.2:8080"}) {
		t.Fatalf("after resolution: %v", got)
	}

	// a request in flight on 10.1.0.2 while the name changes
	p := newTestPicker(g, "", "")
	var held *upstream.Peer
	for {
		pe, err := p.Pick()
		if err != nil {
			t.Fatal(err)
		}
		if pe.Name == "10.1.0.2:8080" {
			held = pe
			break
		}
	}
	dns.mu.Lock()
	dns.ips["app.test"] = []string{"10.1.0.2", "10.1.0.3"}
	dns.mu.Unlock()
	g.resolveNow()
	if got := peerNames(g); !slices.Equal(got, []string{"10.0.0.1:80", "10.1.0.2:8080", "10.1.0.3:8080"}) {
		t.Fatalf("after the change: %v", got)
	}
	st := g.Stats()
	if st[1].Name != "10.1.0.2:8080" || st[1].Active != 1 {
		t.Fatalf("kept peer lost its state: %+v", st[1])
	}
	p.Done(held, upstream.PeerOK)
	if g.Stats()[1].Active != 0 {
		t.Errorf("active count not released on the kept peer")
	}

	// a failed lookup keeps the last answer; a name that is gone loses
	// its peers
	g.res.lookup = func(context.Context, string, string) ([]net.IP, error) {
		return nil, &net.DNSError{Err: "server misbehaving", Name: "app.test", IsTemporary: true}
	}
	g.resolveNow()
	if got := peerNames(g); len(got) != 3 {
		t.Errorf("after a failed lookup: %v", got)
	}
	g.res.lookup = dns.lookup
	dns.mu.Lock()
	delete(dns.ips, "app.test")
	dns.mu.Unlock()
	g.resolveNow()
	if got := peerNames(g); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Errorf("after NXDOMAIN: %v", got)
	}
}

func TestResolvedAcrossReloads(t *testing.T) {
	dns := &fakeDNS{ips: map[string][]string{"app.test": {"10.1.0.1"}}}
	server := func(port int) *Server {
		return &Server{Name: "app.test", Resolve: true, Host: "app.test", Port: port, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	}
	old := resolvingGroup(t, dns, server(8080))
	old.ensureResolved(nil)
	// the new configuration moves the port, and DNS fails for now
	g := newGroup()
	g.host, g.flags, g.zone = "r", blockFlags, "z"
	g.resolver = old.resolver
	g.servers = []*Server{server(9090)}
	if err := g.init(); err != nil {
		t.Fatal(err)
	}
	if got := peerNames(g); !slices.Equal(got, []string{"10.1.0.1:9090"}) {
		t.Fatalf("preloaded peers %v", got)
	}
	g.res.started.Store(true)
	g.res.lookup = func(context.Context, string, string) ([]net.IP, error) {
		return nil, &net.DNSError{Err: "server misbehaving", Name: "app.test", IsTemporary: true}
	}
	g.ensureResolved(nil)
	if got := peerNames(g); !slices.Equal(got, []string{"10.1.0.1:9090"}) {
		t.Errorf("after a failed first resolution: %v", got)
	}
}

func TestRunTimeResolutionSRV(t *testing.T) {
	dns := &fakeDNS{
		ips: map[string][]string{"a.test": {"10.2.0.1"}, "b.test": {"10.2.0.2"}},
		srv: map[string][]*net.SRV{"_http._tcp.svc.test": {
			{Target: "a.test.", Port: 8001, Weight: 5}, {Target: "b.test.", Port: 8002, Weight: 1},
			{Target: "b.test.", Port: 9000, Priority: 10}}},
	}
	g := resolvingGroup(t, dns, &Server{Name: "svc.test", Resolve: true, Host: "svc.test", Service: "http",
		Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second})
	g.ensureResolved(nil)
	if got := peerNames(g); !slices.Equal(got, []string{"10.2.0.1:8001", "10.2.0.2:8002", "10.2.0.2:9000"}) {
		t.Fatalf("peers %v", got)
	}
	if got := distribution(t, g, 6, nil); got["svc.test"] != 6 {
		t.Errorf("got %v", got)
	}
	st := g.Stats()
	if st[0].Weight != 5 || st[1].Weight != 1 || !st[2].Backup {
		t.Errorf("SRV weights and priorities not used: %+v", st)
	}
}

func TestFindAndResolved(t *testing.T) {
	g := NewResolved("example.test", []Addr{AddrOf(mustAddr("10.3.0.1"), 80), AddrOf(mustAddr("::1"), 80)})
	p := g.Picker(nil).(*picker)
	if p.Tries() != 2 {
		t.Fatalf("Tries() = %d", p.Tries())
	}
	first := attempt(t, p, upstream.PeerFailed)
	second := attempt(t, p, upstream.PeerFailed)
	if first != "example.test" || second != "example.test" {
		t.Fatalf("attempts %q %q", first, second)
	}
	if _, err := p.Pick(); !errors.Is(err, upstream.ErrNoLive) {
		t.Errorf("third Pick: %v", err)
	}
	if names := peerNames(g); !slices.Equal(names, []string{"10.3.0.1:80", "[::1]:80"}) {
		t.Errorf("names %v", names)
	}
	if g.Name() != "example.test" || g.Keepalive() != nil {
		t.Errorf("name %q, pool %v", g.Name(), g.Keepalive())
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
