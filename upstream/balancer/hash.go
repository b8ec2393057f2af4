package balancer

import (
	"hash/crc32"
	"slices"
	"strconv"

	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// maxHashTries is how many times hash, ip_hash and random look for a
// usable peer before falling back to round robin (nginx's "20").
const maxHashTries = 20

// initHash is ngx_http_upstream_init_hash_peer and, for consistent
// hashing, ngx_http_upstream_init_chash_peer: the key's starting point.
func (p *picker) initHash(key string) {
	p.key = key
	if p.g.method != ConsistentHash {
		return
	}
	g := p.g
	g.mu.Lock()
	if len(g.points) > 0 {
		p.hash = uint32(findPoint(g.points, crc32.ChecksumIEEE(bytesconv.Bytes(key))))
	}
	g.mu.Unlock()
}

// getHash is ngx_http_upstream_get_hash_peer: a crc32-based hash of the
// key, compatible with Cache::Memcached, picks a peer by weight; a peer
// that cannot be used makes it rehash ("1KEY", "2KEY", ...) up to 20
// times, then round robin takes over.
func (p *picker) getHash(now int64) *peer {
	set := p.set
	if p.mtries > maxHashTries || len(set.peers) < 2 || p.key == "" {
		return p.getRoundRobin(now)
	}
	for {
		var h uint32
		if p.rehash > 0 {
			h = crc32.Update(0, crc32.IEEETable, strconv.AppendInt(p.num[:0], int64(p.rehash), 10))
		}
		h = crc32.Update(h, crc32.IEEETable, bytesconv.Bytes(p.key))
		p.hash += (h >> 16) & 0x7fff
		p.rehash++

		w := int(p.hash % uint32(set.totalWeight))
		i := 0
		for w >= set.peers[i].weight {
			w -= set.peers[i].weight
			i++
		}
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

// chashPoint is a point of the consistent hashing ring.
type chashPoint struct {
	hash   uint32
	server string
}

// buildPoints places 160 points per weight unit of every primary peer on
// the ring, as ngx_http_upstream_update_chash does: the points of a server
// are the chained crc32 of "HOST\0PORT" followed by the previous point's
// hash (little endian), compatible with Cache::Memcached::Fast.
func buildPoints(set *peerSet) []chashPoint {
	points := make([]chashPoint, 0, set.totalWeight*160)
	for _, pe := range set.peers {
		host, port := splitServer(pe.server)
		base := crc32.Update(0, crc32.IEEETable, []byte(host))
		base = crc32.Update(base, crc32.IEEETable, []byte{0})
		base = crc32.Update(base, crc32.IEEETable, []byte(port))
		var prev [4]byte
		for j := 0; j < pe.weight*160; j++ {
			h := crc32.Update(base, crc32.IEEETable, prev[:])
			points = append(points, chashPoint{hash: h, server: pe.server})
			prev = [4]byte{byte(h), byte(h >> 8), byte(h >> 16), byte(h >> 24)}
		}
	}
	slices.SortStableFunc(points, func(a, b chashPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	// keep the first of equal hashes
	return slices.CompactFunc(points, func(a, b chashPoint) bool { return a.hash == b.hash })
}

// splitServer splits a server name into the host and port consistent
// hashing uses: "unix:" paths have no port; otherwise the port is the
// digits after the last ':' (none when the name does not end that way).
func splitServer(s string) (host, port string) {
	if len(s) >= 5 && ascii.EqualFold(s[:5], "unix:") {
		return s[5:], ""
	}
	for j := len(s) - 1; j >= 0; j-- {
		c := s[j]
		if c == ':' {
			return s[:j], s[j+1:]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return s, ""
}

// findPoint returns the index of the first point whose hash is not below
// hash (which may be len(points): the walk wraps).
func findPoint(points []chashPoint, hash uint32) int {
	i, j := 0, len(points)
	for i < j {
		k := (i + j) / 2
		switch {
		case hash > points[k].hash:
			i = k + 1
		case hash < points[k].hash:
			j = k
		default:
			return k
		}
	}
	return i
}

// getConsistentHash is ngx_http_upstream_get_chash_peer: the server owning
// the key's point of the ring, or the next points' servers when it cannot
// be used (up to 20), then round robin. Among the addresses of the chosen
// server the smooth weighted choice decides.
func (p *picker) getConsistentHash(now int64) *peer {
	set := p.set
	if p.mtries > maxHashTries || set.single || p.key == "" {
		return p.getRoundRobin(now)
	}
	if len(set.peers) == 0 {
		return nil
	}
	points := p.g.points
	for {
		server := points[int(p.hash)%len(points)].server
		var best *peer
		bi, total := 0, 0
		for i, pe := range set.peers {
			if p.isTried(i) || !pe.usable(now) || pe.server != server {
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
		if best != nil {
			best.currentWeight -= total
			return p.choose(best, bi, now)
		}
		p.hash++
		p.mtries++
		if p.mtries > maxHashTries {
			return p.getRoundRobin(now)
		}
	}
}
