// Package shmzone is what sluice's equivalents of nginx's shared memory
// zones have in common (limit_req_zone, limit_conn_zone): the zone=name:size
// parameter, the slab allocator's geometry that bounds a zone's keys by its
// size, and a registry through which a zone's state outlives a reload.
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
	slabClassHdr = 24 + 32 // sizeof(ngx_slab_page_t) + sizeof(ngx_slab_stat_t)
	pageDesc     = 24      // sizeof(ngx_slab_page_t)
	maxSlot      = PageSize / 2

	// MinSize is nginx's smallest zone (8 pages).
	MinSize = 8 * PageSize
)

// Slot is the slab's allocation for n bytes: a power of two from 8 to
// 2048, or whole pages beyond.
func Slot(n int64) int64 {
	if n > maxSlot {
		return (n + PageSize - 1) / PageSize * PageSize
	}
	s := int64(8)
	for s < n {
		s <<= 1
	}
	return s
}

// Capacity is the bytes of a zone of size bytes that its keys can use, as
// nginx's slab pool lays the zone out (ngx_slab_init): the pool header,
// the size classes, one descriptor per page, the pages aligned to a page
// boundary. The zone's own allocations come off: its header (shctx bytes)
// and the string of its log lines (logCtx, e.g. ` in limit_req zone "one"`),
// which takes a page to itself when its size class is smaller than a
// key's (minNode bytes, the smallest node).
func Capacity(size, shctx int64, logCtx string, minNode int64) int64 {
	head := int64(slabPoolSize + slabClasses*slabClassHdr)
	pages := (size - head) / (PageSize + pageDesc)
	start := (head + pages*pageDesc + PageSize - 1) / PageSize * PageSize
	if avail := (size - start) / PageSize; avail < pages {
		pages = avail
	}
	c := pages*PageSize - Slot(shctx)
	if s := Slot(int64(len(logCtx) + 1)); s < Slot(minNode) {
		c -= PageSize
	} else {
		c -= s
	}
	return c
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
