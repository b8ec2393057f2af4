package limitconn

import (
	"strings"
	"sync"

	"github.com/sluicehq/sluice/internal/shmzone"
)

// store is the state of one zone: the requests in progress per key, what
// nginx keeps in the zone's shared memory (the tree of
// ngx_http_limit_conn_shctx_t). A key's node goes when its count drops to
// zero. A store outlives a reload when the new configuration declares the
// zone with the same name and size.
type store struct {
	mu    sync.Mutex
	nodes map[string]*node
	// used is what the nodes would take of nginx's slab pool, capacity
	// what the pool has for them (see shmzone.Capacity)
	used, capacity int64
}

// node is one key's count (ngx_http_limit_conn_node_t).
type node struct {
	key  string
	conn int
	cost int64
}

// The zone's own allocations: a node's bytes before its key (the tree node
// up to its color field and ngx_http_limit_conn_node_t up to its data) and
// the zone's header (ngx_http_limit_conn_shctx_t: tree and sentinel).
const (
	nodeHeader = 32 + 4
	shctxSize  = 64
)

// maxKey is the longest key counted (nginx's nodes store its length in a
// byte).
const maxKey = 255

func newStore(size int64, zoneName string) *store {
	return &store{nodes: map[string]*node{}, capacity: capacity(size, zoneName)}
}

// capacity is the bytes of a zone of size bytes that nodes can use: the
// zone's header and the " in limit_conn_zone "NAME"" string of its log
// lines come off.
func capacity(size int64, zoneName string) int64 {
	return shmzone.Capacity(size, shctxSize, ` in limit_conn_zone "`+zoneName+`"`, nodeHeader)
}

// nodeCost is what a node for a key of n bytes takes of the pool.
func nodeCost(n int) int64 { return shmzone.Slot(int64(nodeHeader + n)) }

// Results of acquire.
const (
	acquired = iota
	rejected // the key has limit requests in progress
	noMemory // no node could be allocated
)

// acquire counts a request for key unless limit are in progress already
// (the part of ngx_http_limit_conn_handler under the zone's lock).
func (s *store) acquire(key string, limit int) (*node, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodes[key]; n != nil {
		if n.conn >= limit {
			return nil, rejected
		}
		n.conn++
		return n, acquired
	}
	cost := nodeCost(len(key))
	if s.used+cost > s.capacity {
		return nil, noMemory
	}
	// the key may alias the request's memory
	n := &node{key: strings.Clone(key), conn: 1, cost: cost}
	s.nodes[n.key] = n
	s.used += cost
	return n, acquired
}

// release uncounts a request (ngx_http_limit_conn_cleanup).
func (s *store) release(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n.conn--
	if n.conn == 0 {
		delete(s.nodes, n.key)
		s.used -= n.cost
	}
}

// count returns the requests in progress for key (for tests).
func (s *store) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodes[key]; n != nil {
		return n.conn
	}
	return 0
}
