package ssl

import (
	"container/list"
	"os"
	"sync"
	"syscall"
	"time"
)

// certCache is ssl_certificate_cache (nginx 1.27.4, ngx_ssl_cache): the
// certificates and keys that names with variables evaluate to, kept by
// name between handshakes. An entry older than valid is checked against
// its file (inode and mtime) and reloaded when the file changed; adding
// an entry first drops up to two not used for inactive, and the least
// recently used one when max entries are kept.
type certCache struct {
	max             int
	valid, inactive time.Duration

	mu    sync.Mutex
	nodes map[cacheKey]*list.Element
	lru   list.List // *cacheNode, the most recently used first
}

// cacheKey names an entry: a certificate chain or a key, by name.
type cacheKey struct {
	key  bool
	name string
}

type cacheNode struct {
	id                cacheKey
	value             any
	created, accessed time.Time
	mtime             time.Time
	ino               uint64
}

func newCertCache(max int, valid, inactive time.Duration) *certCache {
	return &certCache{max: max, valid: valid, inactive: inactive, nodes: map[cacheKey]*list.Element{}}
}

// fileID returns the file's modification time and inode; zero when it
// cannot be read.
func fileID(name string) (time.Time, uint64) {
	fi, err := os.Stat(name)
	if err != nil {
		return time.Time{}, 0
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return fi.ModTime(), ino
}

// fetch returns the entry of id, loading it with load when it is not
// kept, or is older than valid and its file changed, or invalidate is
// set (a certificate and key that do not match, as nginx retries).
// A failed load drops the entry and returns the error.
func (c *certCache) fetch(id cacheKey, invalidate bool, load func() (any, error)) (any, error) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.nodes[id]; ok {
		n := e.Value.(*cacheNode)
		if invalidate || now.Sub(n.created) > c.valid {
			mtime, ino := fileID(id.name)
			if invalidate || ino != n.ino || !mtime.Equal(n.mtime) {
				v, err := load()
				if err != nil {
					c.lru.Remove(e)
					delete(c.nodes, id)
					return nil, err
				}
				n.value, n.mtime, n.ino = v, mtime, ino
			}
			n.created = now
		}
		n.accessed = now
		c.lru.MoveToFront(e)
		return n.value, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	n := &cacheNode{id: id, value: v, created: now, accessed: now}
	n.mtime, n.ino = fileID(id.name)
	c.expire(now, 1)
	if len(c.nodes) >= c.max {
		c.expire(now, 0)
	}
	c.nodes[id] = c.lru.PushFront(n)
	return v, nil
}

// expire drops entries from the least recently used end, as
// ngx_ssl_cache_expire: from n = 0 the first unconditionally, then up to
// three in all while they were not used for inactive.
func (c *certCache) expire(now time.Time, n int) {
	for ; n < 3; n++ {
		e := c.lru.Back()
		if e == nil {
			return
		}
		nd := e.Value.(*cacheNode)
		if n != 0 && now.Sub(nd.accessed) <= c.inactive {
			return
		}
		c.lru.Remove(e)
		delete(c.nodes, nd.id)
	}
}
