package balancer

// getLeastConn is ngx_http_upstream_get_least_conn_peer: the usable peer
// with the fewest active connections relative to its weight; among equals,
// smooth weighted round robin decides. The backup set is used when no
// primary peer is usable.
func (p *picker) getLeastConn(now int64) *peer {
	set := p.set
	if set.single {
		return p.getRoundRobin(now)
	}
	var best *peer
	bi, many := 0, false
	for i, pe := range set.peers {
		if p.isTried(i) || !pe.usable(now) {
			continue
		}
		switch {
		case best == nil || pe.conns*best.weight < best.conns*pe.weight:
			best, bi, many = pe, i, false
		case pe.conns*best.weight == best.conns*pe.weight:
			many = true
		}
	}
	if best == nil {
		if set.next != nil {
			p.set = set.next
			p.clearTried()
			return p.getLeastConn(now)
		}
		return nil
	}
	total := 0
	if many {
		first := best
		for i := bi; i < len(set.peers); i++ {
			pe := set.peers[i]
			if p.isTried(i) || pe.conns*first.weight != first.conns*pe.weight || !pe.usable(now) {
				continue
			}
			pe.currentWeight += pe.effectiveWeight
			total += pe.effectiveWeight
			if pe.effectiveWeight < pe.weight {
				pe.effectiveWeight++
			}
			if pe.currentWeight > best.currentWeight {
				best, bi = pe, i
			}
		}
	}
	best.currentWeight -= total
	return p.choose(best, bi, now)
}
