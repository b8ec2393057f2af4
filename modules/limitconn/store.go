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
	// slab is what the nodes would take of nginx's slab pool
	slab *shmzone.Slab
}

// node is one key's count (ngx_http_limit_conn_node_t).
type node struct {
	key  string
	conn int
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

// newStore returns a zone's store, its slab pool holding the zone's own
// allocations: its header and the " in limit_conn_zone "NAME"" string of
// the pool's log lines (ngx_http_limit_conn_init_zone).
func newStore(size int64, zoneName string) *store {
	s := &store{nodes: map[string]*node{}, slab: shmzone.NewSlab(size)}
	s.slab.Alloc(shctxSize)
	s.slab.Alloc(int64(len(` in limit_conn_zone ""`) + len(zoneName) + 1))
	return s
}

// nodeSize is the bytes of a node for a key of n bytes.
func nodeSize(n int) int64 { return int64(nodeHeader + n) }

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
	if !s.slab.Alloc(nodeSize(len(key))) {
		return nil, noMemory
	}
	// the key may alias the request's memory
	n := &node{key: strings.Clone(key), conn: 1}
	s.nodes[n.key] = n
	return n, acquired
}

// release uncounts a request (ngx_http_limit_conn_cleanup).
func (s *store) release(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n.conn--
	if n.conn == 0 {
		delete(s.nodes, n.key)
		s.slab.Free(nodeSize(len(n.key)))
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
