package balancer

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sluicehq/sluice/upstream"
)

// srv is a server line for tests: name "a".."z" maps to 10.0.0.N:80 unless
// addr is given.
type srv struct {
	name                       string
	weight, maxFails, maxConns int
	failTimeout                time.Duration
	backup, down               bool
	addrs                      []string
}

// clock is a settable time for fail_timeout tests.
type clock struct{ t int64 }

func (c *clock) now() int64 { return c.t }

// testGroup builds an initialised explicit group without a configuration.
func testGroup(t testing.TB, m Method, servers ...srv) (*Group, *clock) {
	t.Helper()
	g := newGroup()
	g.host = "test"
	g.flags = blockFlags
	g.method = m
	clk := &clock{t: 1000}
	g.now = clk.now
	for i, s := range servers {
		sv := &Server{Name: s.name, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second,
			Backup: s.backup, Down: s.down, MaxConns: s.maxConns}
		if s.weight != 0 {
			sv.Weight = s.weight
		}
		if s.maxFails != 0 {
			sv.MaxFails = s.maxFails
		}
		if s.maxFails < 0 {
			sv.MaxFails = 0
		}
		if s.failTimeout != 0 {
			sv.FailTimeout = s.failTimeout
		}
		addrs := s.addrs
		if addrs == nil {
			addrs = []string{fmt.Sprintf("10.0.0.%d:80", i+1)}
		}
		for _, a := range addrs {
			ap := netip.MustParseAddrPort(a)
			sv.Addrs = append(sv.Addrs, tcpAddr(ap.Addr(), int(ap.Port())))
		}
		g.servers = append(g.servers, sv)
	}
	if err := g.init(); err != nil {
		t.Fatalf("init: %v", err)
	}
	return g, clk
}

// newTestPicker starts a picker as Group.Picker does, with the request's
// inputs given directly.
func newTestPicker(g *Group, key, remote string) *picker {
	p := &picker{g: g}
	p.start()
	switch g.method {
	case Hash, ConsistentHash:
		p.initHash(key)
	case IPHash:
		p.initIPHash(remote)
	case Random, RandomTwo:
		p.initRandom()
	}
	return p
}

// serverOf maps a peer back to its server line's name.
func serverOf(p *upstream.Peer) string { return p.Data.(*peer).server }

// pickOne runs one request that succeeds on its first peer and returns the
// server name.
func pickOne(t testing.TB, g *Group, key, remote string) string {
	t.Helper()
	p := newTestPicker(g, key, remote)
	pe, err := p.Pick()
	if err != nil {
		t.Fatalf("Pick: %v", err)
	}
	p.Done(pe, upstream.PeerOK)
	return serverOf(pe)
}

// attempt picks and reports the outcome; it returns "" when no peer was
// live.
func attempt(t testing.TB, p *picker, state upstream.PeerState) string {
	t.Helper()
	pe, err := p.Pick()
	if err != nil {
		if !errors.Is(err, upstream.ErrNoLive) && !errors.Is(err, upstream.ErrBusy) {
			t.Fatalf("Pick: unexpected error %v", err)
		}
		return ""
	}
	p.Done(pe, state)
	return serverOf(pe)
}

// fixedRandom returns the given numbers in turn (mod n), for random.
func fixedRandom(seq ...int) func(n int) int {
	i := 0
	return func(n int) int {
		v := seq[i%len(seq)] % n
		i++
		return v
	}
}
