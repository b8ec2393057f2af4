package ocspc

import (
	"container/list"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/shmzone"
)

// Cache is an ssl_ocsp_cache zone: certificate statuses by CacheKey until
// their validity, as ngx_ssl_ocsp_cache_lookup and _store keep them. Its
// size bounds the entries as nginx's slab allocator would.
type Cache struct {
	// Name is the zone's name, for the log.
	Name string

	mu    sync.Mutex
	slab  *shmzone.Slab
	m     map[string]*list.Element
	queue list.List // of *cacheEntry, the newest first
}

type cacheEntry struct {
	key    string
	status int
	valid  time.Time
}

// entrySize is what an entry costs in the zone:
// sizeof(ngx_ssl_ocsp_cache_node_t) and its 60-byte key.
const entrySize = 96 + 60

// NewCache makes a zone of size bytes.
func NewCache(name string, size int64) *Cache {
	return &Cache{Name: name, slab: shmzone.NewSlab(size), m: map[string]*list.Element{}}
}

// Lookup returns the status cached for key while it is valid; an expired
// entry is dropped.
func (c *Cache) Lookup(key string, now time.Time) (status int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		return 0, false
	}
	ce := e.Value.(*cacheEntry)
	if ce.valid.After(now) {
		return ce.status, true
	}
	c.remove(e)
	return 0, false
}

func (c *Cache) remove(e *list.Element) {
	delete(c.m, e.Value.(*cacheEntry).key)
	c.queue.Remove(e)
	c.slab.Free(entrySize)
}

// Store caches a status until valid (an hour when the response had no
// nextUpdate; nothing when it has expired already). When the zone is
// full the oldest entry makes room; false when even that is not enough
// (nginx then fails the check).
func (c *Cache) Store(key string, status int, valid, now time.Time) bool {
	if valid.Before(now) {
		return true
	}
	if valid.Equal(NoExpiry) {
		valid = now.Add(time.Hour)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[key]; e != nil {
		c.remove(e)
	}
	if !c.slab.Alloc(entrySize) {
		if back := c.queue.Back(); back != nil {
			c.remove(back)
		}
		if !c.slab.Alloc(entrySize) {
			return false
		}
	}
	c.m[key] = c.queue.PushFront(&cacheEntry{key: key, status: status, valid: valid})
	return true
}
