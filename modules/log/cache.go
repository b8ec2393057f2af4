package log

import (
	"container/list"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fileCache keeps descriptors of logs whose names have variables open
// between requests (open_log_file_cache, nginx's open file cache as the log
// module uses it): a name looked up min_uses times stays open; an entry
// unused for inactive is dropped; an open entry older than valid is checked
// against the name again; at most max entries, the least recently used
// going first.
type fileCache struct {
	max      int
	minUses  int
	inactive time.Duration
	valid    time.Duration

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     list.List // front: most recently used
	closed  bool
}

type cacheEntry struct {
	name      string
	f         *os.File
	uses      int
	accessed  time.Time
	validated time.Time
	elem      *list.Element
}

func newFileCache(max, minUses int, inactive, valid time.Duration) *fileCache {
	return &fileCache{max: max, minUses: minUses, inactive: inactive, valid: valid, entries: map[string]*cacheEntry{}}
}

// openLog opens a log file for appending, creating it (mode 0644).
func openLog(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
}

// writeUncached writes line to the file name, opening it for this line only.
// A failed open is returned as openErr, a failed write as err.
func writeUncached(name string, line []byte) (n int, openErr, err error) {
	f, openErr := openLog(name)
	if openErr != nil {
		return 0, openErr, nil
	}
	n, err = f.Write(line)
	f.Close()
	return n, nil, err
}

// write writes line to the file name through the cache.
func (c *fileCache) write(name string, line []byte, now time.Time) (n int, openErr, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return writeUncached(name, line)
	}
	c.expire(now, 1)
	e := c.entries[name]
	if e != nil {
		e.uses++
		e.accessed = now
		c.lru.MoveToFront(e.elem)
		if e.f != nil {
			if now.Sub(e.validated) < c.valid {
				n, err = e.f.Write(line)
				return n, nil, err
			}
			if sameFile(e.f, name) {
				e.validated = now
				n, err = e.f.Write(line)
				return n, nil, err
			}
			e.f.Close()
			e.f = nil
		}
	}
	f, openErr := openLog(name)
	if openErr != nil {
		if e != nil {
			c.remove(e)
		}
		return 0, openErr, nil
	}
	if e == nil {
		if len(c.entries) >= c.max {
			c.expire(now, 0)
		}
		// the name lives in the request's memory: the cache keeps a copy
		name = strings.Clone(name)
		e = &cacheEntry{name: name, uses: 1, accessed: now}
		e.elem = c.lru.PushFront(e)
		c.entries[name] = e
	}
	n, err = f.Write(line)
	if e.uses >= c.minUses {
		e.f, e.validated = f, now
	} else {
		f.Close()
	}
	return n, nil, err
}

// expire drops entries from the least recently used end: the first one
// unconditionally when force is 0 (the cache is full), then up to three in
// all while they are inactive (ngx_expire_old_cached_files).
func (c *fileCache) expire(now time.Time, n int) {
	for ; n < 3; n++ {
		back := c.lru.Back()
		if back == nil {
			return
		}
		e := back.Value.(*cacheEntry)
		if n != 0 && now.Sub(e.accessed) <= c.inactive {
			return
		}
		c.remove(e)
	}
}

func (c *fileCache) remove(e *cacheEntry) {
	if e.f != nil {
		e.f.Close()
	}
	c.lru.Remove(e.elem)
	delete(c.entries, e.name)
}

// closeAll closes every cached descriptor; later writes open per line.
func (c *fileCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.f != nil {
			e.f.Close()
		}
	}
	c.entries = map[string]*cacheEntry{}
	c.lru.Init()
	c.closed = true
}

// sameFile reports whether name still names the open file f.
func sameFile(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(name)
	if err != nil {
		return false
	}
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
