package balancer

// initRandom is ngx_http_upstream_init_random_peer.
func (p *picker) initRandom() { p.mtries = 0 }

// peekRandom is ngx_http_upstream_peek_random_peer: a peer drawn with
// probability proportional to its weight.
func (p *picker) peekRandom() int {
	set := p.set
	x := p.g.random(set.totalWeight)
	i, j := 0, len(set.peers)
	for j-i > 1 {
		k := (i + j) / 2
		if x < set.ranges[k] {
			j = k
		} else {
			i = k
		}
	}
	return i
}

// getRandom is ngx_http_upstream_get_random_peer: weighted random draws
// until a usable untried peer comes up, up to 20, then round robin.
func (p *picker) getRandom(now int64) *peer {
	set := p.set
	if p.mtries > maxHashTries || len(set.peers) < 2 {
		return p.getRoundRobin(now)
	}
	for {
		i := p.peekRandom()
		pe := set.peers[i]
		if !p.isTried(i) && pe.usable(now) {
			return p.choose(pe, i, now)
		}
		p.mtries++
		if p.mtries > maxHashTries {
			return p.getRoundRobin(now)
		}
	}
}

// getRandomTwo is ngx_http_upstream_get_random2_peer ("random two
// least_conn"): two different usable peers drawn at random, the one with
// fewer active connections relative to its weight wins (the second one on
// a tie).
func (p *picker) getRandomTwo(now int64) *peer {
	set := p.set
	if p.mtries > maxHashTries || len(set.peers) < 2 {
		return p.getRoundRobin(now)
	}
	var prev *peer
	pi := 0
	for {
		i := p.peekRandom()
		pe := set.peers[i]
		if pe != prev && !p.isTried(i) && pe.usable(now) {
			if prev != nil {
				if pe.conns*prev.weight > prev.conns*pe.weight {
					pe, i = prev, pi
				}
				return p.choose(pe, i, now)
			}
			prev, pi = pe, i
		}
		p.mtries++
		if p.mtries > maxHashTries {
			return p.getRoundRobin(now)
		}
	}
}
