package limitreq

import (
	"github.com/sluicehq/sluice/internal/shmzone"
	"math"
	"math/bits"
	"strings"
	"sync"
	"time"
)

// store is the state of one zone: what nginx keeps in the zone's shared
// memory (the tree and LRU queue of ngx_http_limit_req_shctx_t and its
// nodes). sluice is one process, so the state is shared by every request
// through a mutex. A store outlives a reload when the new configuration
// declares the zone with the same name and size (see registry.go).
type store struct {
	mu    sync.Mutex
	nodes map[string]*node
	// head is the most recently used node, tail the least (nginx's queue)
	head, tail *node
	// slab is what the nodes would take of nginx's slab pool
	slab *shmzone.Slab
}

// node is one key's state (ngx_http_limit_req_node_t).
type node struct {
	key        string
	prev, next *node
	// last is when the excess was last reduced (msec); excess is in
	// milli-requests (1000 is one request)
	last, excess int64
	// count is the requests holding the node between their lookup and
	// their account (several limits): a held node is not evicted
	count int
}

// newStore returns a zone's store, its slab pool holding the zone's own
// allocations: its header and the " in limit_req zone "NAME"" string of
// the pool's log lines (ngx_http_limit_req_init_zone).
func newStore(size int64, zoneName string) *store {
	s := &store{nodes: map[string]*node{}, slab: shmzone.NewSlab(size)}
	s.slab.Alloc(shctxSize)
	s.slab.Alloc(int64(len(` in limit_req zone ""`) + len(zoneName) + 1))
	return s
}

// The zone's own allocations, for newStore and nodeSize: a node's bytes
// before its key (the tree node up to its color field and
// ngx_http_limit_req_node_t up to its data) and the zone's header
// (ngx_http_limit_req_shctx_t: tree, sentinel, queue).
const (
	nodeHeader = 32 + 48
	shctxSize  = 80
)

// nodeSize is the bytes of a node for a key of n bytes.
func nodeSize(n int) int64 { return int64(nodeHeader + n) }

// Results of a lookup (nginx's return codes of ngx_http_limit_req_lookup).
const (
	passed   = iota // NGX_OK: the last limit, accounted
	heldNode        // NGX_AGAIN: not the last limit, the node is held
	rejected        // NGX_BUSY: the excess is over the burst
	noMemory        // NGX_ERROR: no node could be allocated
)

// leak is rate*ms/1000, what a bucket leaks in ms milliseconds at rate
// milli-requests per second, saturating instead of overflowing.
func leak(rate, ms int64) int64 { return mulDiv(rate, ms, 1000) }

// mulDiv is a*b/c for non-negative a and b and positive c, saturating at
// the largest int64.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// elapsed is the milliseconds since last, as nginx bounds them: a clock
// more than a minute behind counts as 1 ms, a little behind as 0.
func elapsed(now, last int64) int64 {
	ms := now - last
	if ms < -60000 {
		return 1
	}
	if ms < 0 {
		return 0
	}
	return ms
}

// excessAfter is the excess of n now, with this request added: the stored
// excess less what leaked since, plus one request, never below zero.
func excessAfter(n *node, rate, ms int64) int64 {
	return max(n.excess-leak(rate, ms)+1000, 0)
}

// lookup finds or adds key's node and checks this request against burst
// (ngx_http_limit_req_lookup). The last of a level's limits accounts the
// request at once (passed); the others hold the node until account. ep is
// the excess found. A node is added with the least recently used ones
// evicted as nginx's slab would need it (noMemory when even that leaves
// no room).
func (s *store) lookup(key string, rate, burst, now int64, last bool) (rc int, ep int64, nd *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodes[key]; n != nil {
		s.toFront(n)
		ms := elapsed(now, n.last)
		excess := excessAfter(n, rate, ms)
		if excess > burst {
			return rejected, excess, nil
		}
		if last {
			n.excess = excess
			if ms != 0 {
				n.last = now
			}
			return passed, excess, nil
		}
		n.count++
		return heldNode, excess, n
	}
	size := nodeSize(len(key))
	s.expire(rate, now, 1)
	if !s.slab.Fits(size) {
		s.expire(rate, now, 0)
		if !s.slab.Fits(size) {
			return noMemory, 0, nil
		}
	}
	s.slab.Alloc(size)
	// the key may alias the request's memory
	n := &node{key: strings.Clone(key)}
	s.nodes[n.key] = n
	s.pushFront(n)
	if last {
		n.last = now
		return passed, 0, nil
	}
	// last stays 0: the account that follows finds everything leaked
	n.count = 1
	return heldNode, 0, n
}

// account updates a node held by lookup with this request and returns its
// new excess (the part of ngx_http_limit_req_account under the lock).
func (s *store) account(n *node, rate, now int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := elapsed(now, n.last)
	excess := excessAfter(n, rate, ms)
	if ms != 0 {
		n.last = now
	}
	n.excess = excess
	n.count--
	return excess
}

// release lets go of a node held by lookup without accounting the
// request (ngx_http_limit_req_unlock: a later limit rejected it).
func (s *store) release(n *node) {
	s.mu.Lock()
	n.count--
	s.mu.Unlock()
}

// expire frees nodes from the least recently used end
// (ngx_http_limit_req_expire): with force 0 the oldest unconditionally
// and then up to two more, with 1 up to two; the unforced ones only when
// unused for a minute with nothing left of their excess. A node held by a
// request stops it.
func (s *store) expire(rate, now int64, n int) {
	for ; n < 3; n++ {
		t := s.tail
		if t == nil || t.count != 0 {
			return
		}
		if n != 0 {
			ms := now - t.last
			if ms < 0 {
				ms = -ms
			}
			if ms < 60000 || t.excess-leak(rate, ms) > 0 {
				return
			}
		}
		s.remove(t)
	}
}

func (s *store) remove(n *node) {
	s.unlink(n)
	delete(s.nodes, n.key)
	s.slab.Free(nodeSize(len(n.key)))
}

func (s *store) unlink(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		s.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		s.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (s *store) pushFront(n *node) {
	n.next = s.head
	if s.head != nil {
		s.head.prev = n
	}
	s.head = n
	if s.tail == nil {
		s.tail = n
	}
}

func (s *store) toFront(n *node) {
	if s.head == n {
		return
	}
	s.unlink(n)
	s.pushFront(n)
}

// clockBase and clockOffset make msec a monotonic clock far from zero, as
// nginx's ngx_current_msec (the system's uptime) is: a node added by a
// limit that is not the last has last = 0, and its account must find
// everything leaked since.
var clockBase = time.Now()

const clockOffset = 1 << 32

// msec is the current time in milliseconds (nginx's ngx_current_msec).
func msec() int64 { return time.Since(clockBase).Milliseconds() + clockOffset }
