package balancer

import (
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// picker is one request's peer selection (nginx's per-request peer data:
// ngx_http_upstream_rr_peer_data_t and the methods' extensions of it).
type picker struct {
	g *Group
	r *httpd.Request
	// set is the peer set in use: the primary one, then the backup one
	// once no primary peer was available.
	set *peerSet
	// current is the peer of the attempt in progress (nil between
	// attempts): Done applies to it once.
	current *peer
	// tried marks the peers of set this request tried.
	tried  [2]uint64
	triedX []uint64
	tries  int

	// method state: hash/ip_hash/random retries, the hash value (a sum for
	// hash, a point index for consistent hash, the running ip_hash value),
	// the hash key and the client address
	mtries int
	rehash int
	hash   uint32
	key    string
	addr   [16]byte
	alen   int
	// num holds the rehash number as text (kept here: it would escape)
	num [20]byte
	// release puts the picker back in the pool.
	release func()
}

var _ upstream.Picker = (*picker)(nil)

// pickers recycles request pickers: a picker goes back when its request
// ends (a request cleanup), so steady-state selection allocates nothing.
var pickers = sync.Pool{New: func() any { return new(picker) }}

// recycle clears a picker and puts it back in the pool.
func recycle(p *picker) {
	*p = picker{release: p.release, triedX: p.triedX[:0]}
	pickers.Put(p)
}

// newPicker returns a picker for a request of g: a recycled one released
// when the request ends, or a fresh one without a request.
func newPicker(g *Group, r *httpd.Request) *picker {
	if r == nil {
		return &picker{g: g}
	}
	p := pickers.Get().(*picker)
	if p.release == nil {
		p.release = func() { recycle(p) }
	}
	p.g, p.r = g, r
	r.AddCleanup(p.release)
	return p
}

// start is ngx_http_upstream_init_round_robin_peer.
func (p *picker) start() {
	g := p.g
	g.mu.Lock()
	p.set = g.primary
	n := len(p.set.peers)
	if b := p.set.next; b != nil && len(b.peers) > n {
		n = len(b.peers)
	}
	p.tries = p.set.allTries()
	g.mu.Unlock()
	if n > 128 {
		words := (n + 63) / 64
		if cap(p.triedX) >= words {
			p.triedX = p.triedX[:words]
			clear(p.triedX)
		} else {
			p.triedX = make([]uint64, words)
		}
	} else {
		p.triedX = nil
	}
}

// Tries implements upstream.Picker.
func (p *picker) Tries() int { return p.tries }

func (p *picker) isTried(i int) bool {
	if p.triedX != nil {
		return p.triedX[i/64]&(1<<(i%64)) != 0
	}
	return p.tried[i/64]&(1<<(i%64)) != 0
}

func (p *picker) setTried(i int) {
	if p.triedX != nil {
		p.triedX[i/64] |= 1 << (i % 64)
		return
	}
	p.tried[i/64] |= 1 << (i % 64)
}

func (p *picker) clearTried() {
	p.tried = [2]uint64{}
	clear(p.triedX)
}

// Pick implements upstream.Picker.
func (p *picker) Pick() (*upstream.Peer, error) {
	g := p.g
	g.mu.Lock()
	now := g.now()
	var pe *peer
	switch g.method {
	case Hash:
		pe = p.getHash(now)
	case ConsistentHash:
		pe = p.getConsistentHash(now)
	case IPHash:
		pe = p.getIPHash(now)
	case LeastConn:
		pe = p.getLeastConn(now)
	case Random:
		pe = p.getRandom(now)
	case RandomTwo:
		pe = p.getRandomTwo(now)
	default:
		pe = p.getRoundRobin(now)
	}
	if pe == nil {
		err := p.noLive(now)
		g.mu.Unlock()
		return nil, err
	}
	pe.conns++
	g.inFlight.Add(1)
	pe.requests++
	p.current = pe
	g.mu.Unlock()
	return &pe.up, nil
}

// noLive tells ErrBusy (every live peer is at max_conns) from ErrNoLive.
func (p *picker) noLive(now int64) error {
	busy := false
	for s := p.g.primary; s != nil; s = s.next {
		for _, pe := range s.peers {
			if pe.down || pe.failedAt(now) {
				continue
			}
			if pe.maxConns == 0 || pe.conns < pe.maxConns {
				return upstream.ErrNoLive
			}
			busy = true
		}
	}
	if busy {
		return upstream.ErrBusy
	}
	return upstream.ErrNoLive
}

// choose records the choice of peer i of the set: tried, and checked when
// its failure window passed (the end of nginx's get functions).
func (p *picker) choose(pe *peer, i int, now int64) *peer {
	p.setTried(i)
	if now-pe.checked > pe.failTimeout {
		pe.checked = now
	}
	return pe
}

// getRoundRobin is ngx_http_upstream_get_round_robin_peer: the single
// peer, or the smooth weighted choice among the set's usable peers; the
// backup set when none is.
func (p *picker) getRoundRobin(now int64) *peer {
	set := p.set
	if set.single {
		pe := set.peers[0]
		if !pe.down && (pe.maxConns == 0 || pe.conns < pe.maxConns) {
			return pe
		}
	} else if pe := p.bestWeighted(now); pe != nil {
		return pe
	}
	if set.next != nil {
		p.set = set.next
		p.clearTried()
		return p.getRoundRobin(now)
	}
	return nil
}

// bestWeighted is ngx_http_upstream_get_peer: smooth weighted round robin
// among the untried usable peers of the set.
func (p *picker) bestWeighted(now int64) *peer {
	var best *peer
	bi, total := 0, 0
	for i, pe := range p.set.peers {
		if p.isTried(i) || !pe.usable(now) {
			continue
		}
		pe.currentWeight += pe.effectiveWeight
		total += pe.effectiveWeight
		if pe.effectiveWeight < pe.weight {
			pe.effectiveWeight++
		}
		if best == nil || pe.currentWeight > best.currentWeight {
			best, bi = pe, i
		}
	}
	if best == nil {
		return nil
	}
	best.currentWeight -= total
	return p.choose(best, bi, now)
}

// Done implements upstream.Picker (ngx_http_upstream_free_round_robin_peer):
// a failure counts against the peer (max_fails within fail_timeout, and a
// lower effective weight); a success after the failure window clears the
// failures. A Done for a peer that is not the attempt in progress is
// ignored, so reporting twice is harmless.
func (p *picker) Done(up *upstream.Peer, state upstream.PeerState) {
	pe, _ := up.Data.(*peer)
	if pe == nil || pe != p.current {
		return
	}
	p.current = nil
	g := p.g
	disabled := false
	g.mu.Lock()
	switch {
	case p.set.single:
		pe.fails = 0
		if state == upstream.PeerFailed {
			pe.failed++
		}
	case state == upstream.PeerFailed:
		now := g.now()
		pe.fails++
		pe.failed++
		pe.accessed = now
		pe.checked = now
		if pe.maxFails > 0 {
			pe.effectiveWeight -= pe.weight / pe.maxFails
			if pe.fails >= pe.maxFails {
				disabled = true
				if pe.fails == pe.maxFails {
					pe.downtimes++
				}
			}
		}
		if pe.effectiveWeight < 0 {
			pe.effectiveWeight = 0
		}
	default:
		if pe.accessed < pe.checked {
			pe.fails = 0
		}
	}
	pe.conns--
	g.inFlight.Add(-1)
	g.mu.Unlock()
	if disabled && p.r != nil {
		p.r.Log().Logf(errlog.Warn, p.r, nil, "upstream server temporarily disabled")
	}
}
