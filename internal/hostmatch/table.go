// Package hostmatch is nginx's table of host names with wildcards, the one
// ngx_hash_add_key (NGX_HASH_WILDCARD_KEY) and ngx_hash_find_combined build
// and search for map's "hostnames", valid_referers and server_name: exact
// names, "*.example.com" and ".example.com" (searched by labels from the
// right), "www.example.*" (by labels from the left), with nginx's
// conflicts between them. Names are kept in lower case.
package hostmatch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/ascii"
)

// Table holds names and their values; its zero value is an empty table.
// It is built at configuration time and only read afterwards.
type Table[V any] struct {
	exact map[string]V
	// taken are the names exact keys and ".name" wildcards claim: a later
	// key for the same name conflicts.
	taken map[string]bool
	// head holds "*.example.com" and ".example.com" by reversed labels;
	// tail holds "www.example.*" by labels.
	head, tail node[V]
	// headNames and tailNames are the wildcards' names without their
	// wildcard part, for conflicts.
	headNames, tailNames map[string]bool
	// longest is the longest exact key or wildcard label, for nginx's
	// hash bucket size check.
	longest int
}

// node is one label of the wildcard trees.
type node[V any] struct {
	children map[string]*node[V]
	val      V
	set      bool
	// star marks "*.name": it needs at least one more label
	star bool
}

// ErrInvalid and ErrConflict are Add's errors: nginx's NGX_DECLINED
// ("invalid hostname or wildcard", "invalid server name or wildcard") and
// NGX_BUSY ("conflicting parameter", "conflicting server name").
var (
	ErrInvalid  = errors.New("invalid hostname or wildcard")
	ErrConflict = errors.New("conflicting parameter")
)

// Add adds a host name or a wildcard: "*.example.com" (names below
// example.com), ".example.com" (example.com and the names below it) or
// "www.example.*" (www.example followed by any labels). A key with
// another "*", two stars, an empty label or a NUL is invalid; a key whose
// name is already taken conflicts: an exact name and ".name" claim the
// same name, "*.name" and ".name" too.
func (t *Table[V]) Add(key string, v V) error {
	stars := strings.Count(key, "*")
	if stars > 1 || strings.Contains(key, "..") || strings.IndexByte(key, 0) >= 0 {
		return ErrInvalid
	}
	switch {
	case len(key) > 1 && key[0] == '.':
		return t.addHead(ascii.ToLower(key[1:]), v, false)
	case len(key) > 2 && key[0] == '*' && key[1] == '.':
		return t.addHead(ascii.ToLower(key[2:]), v, true)
	case len(key) > 2 && key[len(key)-2] == '.' && key[len(key)-1] == '*':
		return t.addTail(ascii.ToLower(key[:len(key)-2]), v)
	case stars > 0:
		return ErrInvalid
	}
	return t.AddExact(key, v)
}

// AddExact adds key as an exact name, whatever it holds (map without
// "hostnames"): it conflicts with the same name in any case.
func (t *Table[V]) AddExact(key string, v V) error {
	low := ascii.ToLower(key)
	if !claim(&t.taken, low) {
		return ErrConflict
	}
	if t.exact == nil {
		t.exact = map[string]V{}
	}
	t.exact[low] = v
	t.longest = max(t.longest, len(low))
	return nil
}

// addHead adds "*.name" (star) or ".name" for the domain name.
func (t *Table[V]) addHead(name string, v V, star bool) error {
	// ".name" claims the name even when the wildcard conflicts below, as
	// nginx adds it to its keys_hash first
	if !star && !claim(&t.taken, name) || !claim(&t.headNames, name) {
		return ErrConflict
	}
	n := &t.head
	rest := name
	for {
		i := strings.LastIndexByte(rest, '.')
		n = n.child(rest[i+1:])
		t.longest = max(t.longest, len(rest)-i-1)
		if i < 0 {
			break
		}
		rest = rest[:i]
	}
	n.val, n.set, n.star = v, true, star
	return nil
}

// addTail adds "name.*".
func (t *Table[V]) addTail(name string, v V) error {
	if !claim(&t.tailNames, name) {
		return ErrConflict
	}
	n := &t.tail
	for _, label := range strings.Split(name, ".") {
		n = n.child(label)
		t.longest = max(t.longest, len(label))
	}
	n.val, n.set = v, true
	return nil
}

// claim adds name to the set *m, reporting false when it was there.
func claim(m *map[string]bool, name string) bool {
	if (*m)[name] {
		return false
	}
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[name] = true
	return true
}

func (n *node[V]) child(label string) *node[V] {
	if n.children == nil {
		n.children = map[string]*node[V]{}
	}
	c := n.children[label]
	if c == nil {
		c = &node[V]{}
		n.children[label] = c
	}
	return c
}

// Empty reports whether no name was added (nginx's keys, dns_wc_head and
// dns_wc_tail all empty).
func (t *Table[V]) Empty() bool {
	return len(t.exact) == 0 && len(t.headNames) == 0 && len(t.tailNames) == 0
}

// Find looks a lower-case name up: the exact name, then the most specific
// "*.name" or ".name", then the most specific "name.*"
// (ngx_hash_find_combined). It allocates nothing and keeps no reference
// to name.
func (t *Table[V]) Find(name string) (V, bool) {
	if v, ok := t.exact[name]; ok {
		return v, true
	}
	if len(t.headNames) > 0 {
		if v, ok := t.findHead(name); ok {
			return v, true
		}
	}
	if len(t.tailNames) > 0 {
		return t.findTail(name)
	}
	var zero V
	return zero, false
}

func (t *Table[V]) findHead(name string) (V, bool) {
	var best *node[V]
	n := &t.head
	for rest := name; ; {
		i := strings.LastIndexByte(rest, '.')
		c := n.children[rest[i+1:]]
		if c == nil {
			break
		}
		n = c
		if n.set && (!n.star || i >= 0) {
			best = n
		}
		if i < 0 {
			break
		}
		rest = rest[:i]
	}
	if best == nil {
		var zero V
		return zero, false
	}
	return best.val, true
}

func (t *Table[V]) findTail(name string) (V, bool) {
	var best *node[V]
	n := &t.tail
	for rest := name; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			break
		}
		c := n.children[rest[:i]]
		if c == nil {
			break
		}
		n = c
		if n.set {
			best = n
		}
		rest = rest[i+1:]
	}
	if best == nil {
		var zero V
		return zero, false
	}
	return best.val, true
}

// cacheLine is nginx's ngx_cacheline_size on x86-64: bucket sizes are
// rounded up to it.
const cacheLine = 64

// HashError applies ngx_hash_init's size checks to the table as the hash
// named hash ("map", "referer") would be built with max_size maxSize and
// bucket_size bucketSize: an element takes a pointer, the name and two
// bytes, rounded up to 8, and a bucket must hold one and a terminating
// pointer. It returns nginx's message ("could not build map_hash, you
// should increase map_hash_bucket_size: 64"), or "" when the checks pass
// or the table is empty (nginx builds no hash then).
func (t *Table[V]) HashError(hash string, maxSize, bucketSize int) string {
	if t.Empty() {
		return ""
	}
	bucket := (bucketSize + cacheLine - 1) / cacheLine * cacheLine
	switch {
	case maxSize == 0:
		return fmt.Sprintf("could not build %s_hash, you should increase %s_hash_max_size: %d", hash, hash, maxSize)
	case bucket > 65536-cacheLine:
		return fmt.Sprintf("could not build %s_hash, too large %s_hash_bucket_size: %d", hash, hash, bucket)
	case bucket < 16+(t.longest+2+7)/8*8:
		return fmt.Sprintf("could not build %s_hash, you should increase %s_hash_bucket_size: %d", hash, hash, bucket)
	}
	return ""
}
