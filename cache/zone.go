package cache

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Key is the md5 of an entry's key text: its index key and file name.
type Key [16]byte

// KeyOf returns the key of a key text.
func KeyOf(text string) Key { return md5.Sum([]byte(text)) }

// Spec is one cache path as proxy_cache_path describes it.
type Spec struct {
	// Name is the keys zone name; KeysSize its size in bytes (about 128
	// bytes per entry).
	Name     string
	KeysSize int64
	// Dir is the cache directory; Levels the hex digits of each level of
	// subdirectories (e.g. [1 2]).
	Dir    string
	Levels []int
	// UseTempPath: responses are written under the module's temp path
	// first (true), or in the cache directory itself.
	UseTempPath bool
	// Inactive is how long an entry nobody asks for stays (10m default).
	Inactive time.Duration
	// MaxSize bounds the cache size on disk (0: no bound); MinFree is the
	// free space to keep on the file system (0: none).
	MaxSize int64
	MinFree int64
	// Manager and loader pacing (manager_files, manager_sleep,
	// manager_threshold, loader_files, loader_sleep, loader_threshold).
	ManagerFiles     int
	ManagerSleep     time.Duration
	ManagerThreshold time.Duration
	LoaderFiles      int
	LoaderSleep      time.Duration
	LoaderThreshold  time.Duration
}

// Zone is a cache path with its keys zone (ngx_http_file_cache_t and its
// shared part). It is safe for concurrent use; zones outlive
// configuration reloads, as nginx's shared memory does.
type Zone struct {
	spec Spec

	mu       sync.Mutex
	nodes    map[Key]*node
	head     *node // most recently used
	tail     *node // least recently used
	size     int64 // bytes on disk of the indexed files
	maxNodes int
	cold     bool // the loader has not finished: unknown keys may be on disk
	started  bool
	stopped  bool
	// kick wakes the manager early (the size went over max_size).
	kick chan struct{}
	// quit stops the loader and manager; done is closed when they end
	quit chan struct{}
	done chan struct{}
	// refs counts the live configurations that use the zone (under
	// registryMu)
	refs int
}

// node is one key in the index (ngx_http_file_cache_node_t).
type node struct {
	key   Key
	uses  int // requests for this key (min_uses)
	count int // requests holding it now
	// exists: a complete file is on disk.
	exists bool
	// updating: one request is fetching the entry (the cache lock, or the
	// update of a stale entry); lockTime is when a lock expires.
	updating bool
	lockTime time.Time
	wait     chan struct{} // closed when updating ends
	validSec int64
	// error is a cached error status (Entry.Fail), valid until validSec.
	error  int
	fsSize int64
	expire time.Time // inactive deadline
	prev   *node
	next   *node
}

var (
	registryMu sync.Mutex
	registry   = map[string]*Zone{}
)

// Get returns the zone for spec: the zone of an earlier configuration with
// the same name and directory (its index kept, its parameters updated), or
// a new one. A configuration that goes live holds the zone with Acquire
// and lets it go with Drop when it retires.
func Get(spec Spec) *Zone {
	registryMu.Lock()
	defer registryMu.Unlock()
	if z := registry[spec.Name]; z != nil && z.spec.Dir == spec.Dir && slices.Equal(z.spec.Levels, spec.Levels) {
		z.mu.Lock()
		z.spec = spec
		z.maxNodes = maxNodes(spec.KeysSize)
		z.mu.Unlock()
		return z
	}
	z := &Zone{spec: spec, nodes: map[Key]*node{}, cold: true, maxNodes: maxNodes(spec.KeysSize), kick: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	registry[spec.Name] = z
	return z
}

func maxNodes(size int64) int {
	n := int(size / 128)
	if n < 8 {
		n = 8
	}
	return n
}

// Spec returns the zone's parameters.
func (z *Zone) Spec() Spec {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.spec
}

// Name returns the keys zone name.
func (z *Zone) Name() string { return z.Spec().Name }

// Acquire marks the zone as used by one more live configuration.
func (z *Zone) Acquire() {
	registryMu.Lock()
	z.refs++
	registryMu.Unlock()
}

// Drop lets go of a configuration's hold on the zone (Acquire). When no
// live configuration holds it any more, its loader and manager stop (Drop
// waits for them) and a later Get with the same spec starts a new zone,
// which loads the index from the files again.
func (z *Zone) Drop() {
	registryMu.Lock()
	z.refs--
	last := z.refs <= 0
	if last && registry[z.spec.Name] == z {
		delete(registry, z.spec.Name)
	}
	registryMu.Unlock()
	if !last {
		return
	}
	z.mu.Lock()
	started := z.started
	if !z.stopped {
		z.stopped = true
		close(z.quit)
	}
	z.mu.Unlock()
	if started {
		<-z.done
	}
}

// Start starts the zone's loader and manager (once per zone; never after
// the zone stopped).
func (z *Zone) Start() {
	z.mu.Lock()
	if z.started || z.stopped {
		z.mu.Unlock()
		return
	}
	z.started = true
	z.mu.Unlock()
	go func() {
		defer close(z.done)
		if z.load() {
			z.manage()
		}
	}()
}

// Path returns the file name of a key under the levels layout
// (ngx_http_file_cache_name): level directories take their names from the
// end of the hex key.
func (z *Zone) Path(k Key) string {
	spec := z.Spec()
	return pathOf(spec.Dir, spec.Levels, k)
}

func pathOf(dir string, levels []int, k Key) string {
	name := hex.EncodeToString(k[:])
	parts := []string{dir}
	end := len(name)
	for _, l := range levels {
		parts = append(parts, name[end-l:end])
		end -= l
	}
	parts = append(parts, name)
	return filepath.Join(parts...)
}

// Size returns the bytes on disk of the indexed entries.
func (z *Zone) Size() int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.size
}

// Len returns the number of keys in the index.
func (z *Zone) Len() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return len(z.nodes)
}

// lookup finds or creates the node of k, referenced and moved to the
// front (called with mu held). nil means the keys zone is full of
// entries in use.
func (z *Zone) lookup(k Key, now time.Time) (*node, bool) {
	n := z.nodes[k]
	if n != nil {
		z.unlink(n)
		z.pushFront(n)
		n.expire = now.Add(z.spec.Inactive)
		return n, false
	}
	if len(z.nodes) >= z.maxNodes && !z.evictOne() {
		return nil, true
	}
	n = &node{key: k, expire: now.Add(z.spec.Inactive), wait: make(chan struct{})}
	z.nodes[k] = n
	z.pushFront(n)
	return n, true
}

// evictOne removes the least recently used entry nobody holds (with mu
// held), deleting its file.
func (z *Zone) evictOne() bool {
	for n := z.tail; n != nil; n = n.prev {
		if n.count == 0 {
			z.remove(n, true)
			return true
		}
	}
	return false
}

// renew forgets what n knew (with mu held): a cached error that expired
// (the renew of ngx_http_file_cache_exists). A file it had stays on disk
// until a new response replaces it or the manager removes it.
func (z *Zone) renew(n *node) {
	if n.exists {
		z.size -= n.fsSize
	}
	n.error = 0
	n.exists = false
	n.validSec = 0
	n.fsSize = 0
}

// remove drops n from the index (with mu held), its file too when del.
func (z *Zone) remove(n *node, del bool) {
	z.unlink(n)
	delete(z.nodes, n.key)
	if n.exists {
		z.size -= n.fsSize
		n.exists = false
		if del {
			os.Remove(pathOf(z.spec.Dir, z.spec.Levels, n.key))
		}
	}
}

func (z *Zone) pushFront(n *node) {
	n.prev = nil
	n.next = z.head
	if z.head != nil {
		z.head.prev = n
	}
	z.head = n
	if z.tail == nil {
		z.tail = n
	}
}

func (z *Zone) unlink(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else if z.head == n {
		z.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else if z.tail == n {
		z.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

// release ends n's update (with mu held) and wakes its waiters.
func (n *node) release() {
	if !n.updating {
		return
	}
	n.updating = false
	close(n.wait)
	n.wait = make(chan struct{})
}

// diskSize is the space a file takes on disk.
func diskSize(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blocks > 0 {
		return st.Blocks * 512
	}
	return fi.Size()
}

// freeSpace returns the bytes available on dir's file system (-1 unknown).
func freeSpace(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
