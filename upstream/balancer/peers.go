package balancer

import (
	"github.com/sluicehq/sluice/upstream"
)

// peer is one address of a group with its balancing state
// (ngx_http_upstream_rr_peer_t). Fields after the configuration ones are
// guarded by the group's mutex.
type peer struct {
	up upstream.Peer
	// server is the server line's text, which consistent hashing places
	// on the ring (peers of one name share it).
	server      string
	weight      int
	maxFails    int
	maxConns    int
	failTimeout int64
	down        bool
	backup      bool

	currentWeight   int
	effectiveWeight int
	conns           int
	fails           int
	accessed        int64
	checked         int64

	// counters for a status page
	requests  uint64
	failed    uint64
	downtimes uint64
}

// peerSet is the primary or the backup peers of a group
// (ngx_http_upstream_rr_peers_t).
type peerSet struct {
	peers       []*peer
	totalWeight int
	weighted    bool
	// tries is the number of peers not marked down.
	tries  int
	single bool
	// ranges[i] is the sum of the weights of peers before i (random).
	ranges []int
	// next is the backup set of a primary set.
	next *peerSet
}

// tries is ngx_http_upstream_tries: how many peers a request may try.
func (s *peerSet) allTries() int {
	n := s.tries
	if s.next != nil {
		n += s.next.tries
	}
	return n
}

// newPeerSet builds the peers of the servers whose backup flag is backup.
func newPeerSet(servers []*Server, backup bool) *peerSet {
	s := &peerSet{}
	n := 0
	for _, sv := range servers {
		if sv.Backup != backup {
			continue
		}
		for _, a := range sv.Addrs {
			p := &peer{
				up:              upstream.Peer{Name: a.Name, Network: a.Network, Address: a.Address, Server: sv.Name},
				server:          sv.Name,
				weight:          sv.Weight,
				maxFails:        sv.MaxFails,
				maxConns:        sv.MaxConns,
				failTimeout:     int64(sv.FailTimeout.Seconds()),
				down:            sv.Down,
				backup:          backup,
				effectiveWeight: sv.Weight,
			}
			p.up.Data = p
			s.peers = append(s.peers, p)
			s.totalWeight += sv.Weight
			n++
			if !sv.Down {
				s.tries++
			}
		}
	}
	s.weighted = s.totalWeight != n
	s.single = n == 1
	s.buildRanges()
	return s
}

// buildRanges prepares the weight ranges random picks from
// (ngx_http_upstream_update_random).
func (s *peerSet) buildRanges() {
	s.ranges = make([]int, len(s.peers))
	total := 0
	for i, p := range s.peers {
		s.ranges[i] = total
		total += p.weight
	}
}

// buildPeers is ngx_http_upstream_init_round_robin for a group with server
// lines: the primary set and, when there are backup servers, the backup set.
// It returns false when there is no primary peer.
func (g *Group) buildPeers(servers []*Server) bool {
	primary := newPeerSet(servers, false)
	if len(primary.peers) == 0 && !hasPrimaryResolve(servers) {
		return false
	}
	backup := newPeerSet(servers, true)
	if len(backup.peers) > 0 {
		primary.single = false
		backup.single = false
		primary.next = backup
	}
	g.primary = primary
	return true
}

// hasPrimaryResolve reports whether a primary server is resolved at run
// time (such a server counts as a server before it has addresses).
func hasPrimaryResolve(servers []*Server) bool {
	for _, s := range servers {
		if s.Resolve && !s.Backup {
			return true
		}
	}
	return false
}

// PeerStats is a snapshot of one peer for a status page.
type PeerStats struct {
	// Name is the address ("127.0.0.1:8081"); Server the server line it
	// comes from.
	Name, Server string
	Backup, Down bool
	Weight       int
	MaxFails     int
	MaxConns     int
	// Active is the number of requests using the peer now.
	Active int
	// Requests is how many times the peer was chosen.
	Requests uint64
	// Fails is how many attempts on it failed; Unavailable how many times
	// it reached max_fails and was taken out for fail_timeout.
	Fails, Unavailable uint64
	// CurrentFails is the failure count of the current fail_timeout window;
	// Failed reports that the peer is out now because of it.
	CurrentFails int
	Failed       bool
}

// Stats returns a snapshot of every peer, primary ones first.
func (g *Group) Stats() []PeerStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	var out []PeerStats
	for s := g.primary; s != nil; s = s.next {
		for _, p := range s.peers {
			out = append(out, PeerStats{
				Name: p.up.Name, Server: p.server, Backup: p.backup, Down: p.down,
				Weight: p.weight, MaxFails: p.maxFails, MaxConns: p.maxConns,
				Active: p.conns, Requests: p.requests, Fails: p.failed, Unavailable: p.downtimes,
				CurrentFails: p.fails, Failed: p.failedAt(now),
			})
		}
	}
	return out
}

// failedAt reports whether the peer is out because of failures: max_fails
// reached within fail_timeout.
func (p *peer) failedAt(now int64) bool {
	return p.maxFails > 0 && p.fails >= p.maxFails && now-p.checked <= p.failTimeout
}

// usable reports whether a peer may be chosen now (not down, not failed,
// under max_conns).
func (p *peer) usable(now int64) bool {
	return !p.down && !p.failedAt(now) && (p.maxConns == 0 || p.conns < p.maxConns)
}
