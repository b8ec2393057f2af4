// Package shmzone is what sluice's equivalents of nginx's shared memory
// zones have in common (limit_req_zone, limit_conn_zone): the zones of a
// configuration with their "key zone=name:size" declaration and lookup,
// the slab allocator's geometry that bounds a zone's keys by its size, a
// registry through which a zone's state outlives a reload, and the
// limit_*_status and limit_*_log_level settings.
//
// sluice is one process: a zone is a map in memory, shared by every
// request, rather than shared memory. Its size is kept meaningful by
// charging each key what nginx's slab allocator would spend on it on
// 64-bit Linux, against what a zone of that size would have for keys.
package shmzone

import (
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
)

// The slab allocator's geometry on 64-bit Linux: nginx's 4 KiB pages, the
// pool header, and the 9 size classes (8 to 2048 bytes) each with a page
// descriptor and statistics.
const (
	PageSize     = 4096
	slabPoolSize = 200 // sizeof(ngx_slab_pool_t)
	slabClasses  = 9
	slabClassHdr = 24 + 32      // sizeof(ngx_slab_page_t) + sizeof(ngx_slab_stat_t)
	pageDesc     = 24           // sizeof(ngx_slab_page_t)
	maxSlot      = PageSize / 2 // the largest size class

	// MinSize is nginx's smallest zone (8 pages).
	MinSize = 8 * PageSize
)

// Slab counts what a zone's allocations would take of nginx's slab pool
// (ngx_slab.c) on 64-bit Linux, so that a zone of a given size holds the
// keys nginx's would. The zone's pages are those ngx_slab_init lays out:
// after the pool header, the size classes and one descriptor per page,
// aligned to a page boundary. Allocations of up to half a page share
// pages of their size class (a power of two from 8 bytes): 64 per page
// of 64-byte slots, 32 of 128 and so on, fewer for 8, 16 and 32 bytes,
// whose page keeps its bitmap in its first slots; larger ones take whole
// pages. A class takes the pages its objects need, packed: nginx frees a
// page once all its slots are free, so after frees its pages can hold
// fewer than that (not modelled).
type Slab struct {
	pages, used int64
	objs        [slabClasses]int64
}

// NewSlab returns the pool of a zone of size bytes.
func NewSlab(size int64) *Slab {
	head := int64(slabPoolSize + slabClasses*slabClassHdr)
	pages := (size - head) / (PageSize + pageDesc)
	start := (head + pages*pageDesc + PageSize - 1) / PageSize * PageSize
	if avail := (size - start) / PageSize; avail < pages {
		pages = avail
	}
	return &Slab{pages: pages}
}

// class is the size class of n bytes (0 for 8 bytes ... 8 for 2048), or
// -1 for whole pages.
func class(n int64) int {
	if n > maxSlot {
		return -1
	}
	c := 0
	for s := int64(8); s < n; s <<= 1 {
		c++
	}
	return c
}

// perPage is the objects a page of class c holds.
func perPage(c int) int64 {
	size := int64(8) << c
	n := PageSize / size
	if size < 64 {
		// the bitmap's slots (ngx_slab_alloc_locked, shift < exact shift)
		n -= max(PageSize/size/(size*8), 1)
	}
	return n
}

// pagesFor is the pages an allocation of n bytes adds when its class has
// objs objects already.
func pagesFor(n, objs int64) int64 {
	c := class(n)
	if c < 0 {
		return (n + PageSize - 1) / PageSize
	}
	if objs%perPage(c) == 0 {
		return 1
	}
	return 0
}

// Fits reports whether an allocation of n bytes would succeed.
func (s *Slab) Fits(n int64) bool {
	var objs int64
	if c := class(n); c >= 0 {
		objs = s.objs[c]
	}
	return s.used+pagesFor(n, objs) <= s.pages
}

// Alloc accounts an allocation of n bytes; false (and nothing accounted)
// when the pool has no room for it.
func (s *Slab) Alloc(n int64) bool {
	if !s.Fits(n) {
		return false
	}
	c := class(n)
	if c < 0 {
		s.used += pagesFor(n, 0)
		return true
	}
	s.used += pagesFor(n, s.objs[c])
	s.objs[c]++
	return true
}

// Free accounts the release of an allocation of n bytes.
func (s *Slab) Free(n int64) {
	c := class(n)
	if c < 0 {
		s.used -= pagesFor(n, 0)
		return
	}
	s.objs[c]--
	if s.objs[c]%perPage(c) == 0 {
		s.used--
	}
}

// ParseZone parses a "zone=name:size" parameter (arg is the whole
// parameter) as ngx_http_limit_req_zone and ngx_http_limit_conn_zone do,
// with their errors.
func ParseZone(c *conf.Cmd, arg string) (name string, size int64, err error) {
	n, s, ok := strings.Cut(strings.TrimPrefix(arg, "zone="), ":")
	if !ok {
		return "", 0, c.Errorf("invalid zone size \"%s\"", arg)
	}
	sz, ok := conf.ParseSize(s)
	if !ok {
		return "", 0, c.Errorf("invalid zone size \"%s\"", arg)
	}
	if sz < MinSize {
		return "", 0, c.Errorf("zone \"%s\" is too small", arg)
	}
	return n, sz, nil
}

// Registry keeps the zones of a module across reloads, as nginx's shared
// memory zones outlive a cycle: a configuration that declares a zone with
// the same name and size as the configuration before it takes over its
// state (T); a zone whose size changed starts empty.
//
// A server is identified by its log files set (core.Cycle.Files), the one
// object core.Load hands from a configuration to the next: each process
// has one, and each in-process test server its own, so that tests running
// side by side do not share zones. The entry goes when the set is garbage.
//
// A module publishes its zones once its http block is complete, so a
// reload that fails later (an unknown variable, a log file that cannot be
// opened) leaves its zones here in place of the running configuration's:
// the next reload then compares itself with the failed one. nginx compares
// with the running one; the difference shows only in a zone whose size or
// key changed in the failed reload and back in the next.
type Registry[T any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[errlog.Files]]map[string]T
}

// Previous returns the zones of the configuration loaded before, by name.
func (g *Registry[T]) Previous(files *errlog.Files) map[string]T {
	if files == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.m[weak.Make(files)]
}

// Publish records a configuration's zones for the next one; zones it does
// not declare are forgotten (nginx frees them with the old cycle).
func (g *Registry[T]) Publish(files *errlog.Files, zones map[string]T) {
	if files == nil {
		return
	}
	k := weak.Make(files)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[weak.Pointer[errlog.Files]]map[string]T{}
	}
	if _, ok := g.m[k]; !ok {
		runtime.AddCleanup(files, g.forget, k)
	}
	g.m[k] = zones
}

func (g *Registry[T]) forget(k weak.Pointer[errlog.Files]) {
	g.mu.Lock()
	delete(g.m, k)
	g.mu.Unlock()
}
