package balancer

import (
	"net/netip"
)

// initIPHash is ngx_http_upstream_init_ip_hash_peer: the client address
// hashed is the first three octets of an IPv4 address, all sixteen of an
// IPv6 one, and three zero bytes for other clients (unix sockets).
func (p *picker) initIPHash(remote string) {
	p.hash = 89
	p.alen = 3
	a, err := netip.ParseAddr(remote)
	if err != nil {
		return
	}
	switch {
	case a.Is4():
		b := a.As4()
		copy(p.addr[:], b[:3])
	case a.Is6():
		p.addr = a.As16()
		p.alen = 16
	}
}

// getIPHash is ngx_http_upstream_get_ip_hash_peer: the address picks a
// peer by weight; a peer that cannot be used makes the hash go on, up to
// 20 times, then round robin takes over.
func (p *picker) getIPHash(now int64) *peer {
	set := p.set
	if p.mtries > maxHashTries || len(set.peers) < 2 {
		return p.getRoundRobin(now)
	}
	hash := p.hash
	for {
		for _, b := range p.addr[:p.alen] {
			hash = (hash*113 + uint32(b)) % 6271
		}
		w := int(hash) % set.totalWeight
		i := 0
		for w >= set.peers[i].weight {
			w -= set.peers[i].weight
			i++
		}
		pe := set.peers[i]
		if !p.isTried(i) && pe.usable(now) {
			p.hash = hash
			return p.choose(pe, i, now)
		}
		p.mtries++
		if p.mtries > maxHashTries {
			return p.getRoundRobin(now)
		}
	}
}
