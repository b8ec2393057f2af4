package mapmod

import (
	"errors"
	"strings"
)

// keys are the hashed keys of one map: exact strings (lowercased) and, with
// "hostnames", wildcard names, built as nginx's ngx_hash_add_key builds
// its key arrays, with the same conflicts.
type keys struct {
	exact map[string]*value
	// taken are the names exact keys and ".name" wildcards claim: a later
	// key for the same name conflicts.
	taken map[string]bool
	// head holds "*.example.com" and ".example.com" by reversed labels;
	// tail holds "www.example.*" by labels.
	head, tail *wcNode
	// headNames and tailNames are the wildcards' names without their
	// wildcard part, for conflicts.
	headNames, tailNames map[string]bool
	// longest is the longest exact key or wildcard label, for nginx's
	// hash bucket size check.
	longest int
}

// wcNode is one label of the wildcard trees.
type wcNode struct {
	children map[string]*wcNode
	val      *value
	// star marks "*.name": it needs at least one more label
	star bool
}

func newKeys() *keys {
	return &keys{exact: map[string]*value{}, taken: map[string]bool{},
		head: &wcNode{}, tail: &wcNode{}, headNames: map[string]bool{}, tailNames: map[string]bool{}}
}

// Errors of add, worded by the map directive.
var (
	errInvalidKey  = errors.New("invalid hostname or wildcard")
	errConflicting = errors.New("conflicting parameter")
)

// add adds a key. With wildcards it recognizes "*.example.com",
// ".example.com" and "www.example.*" (ngx_hash_add_key with
// NGX_HASH_WILDCARD_KEY); otherwise every key is exact.
func (k *keys) add(key string, v *value, wildcards bool) error {
	if wildcards {
		stars := strings.Count(key, "*")
		if stars > 1 || strings.Contains(key, "..") || strings.IndexByte(key, 0) >= 0 {
			return errInvalidKey
		}
		switch {
		case len(key) > 1 && key[0] == '.':
			return k.addHead(strings.ToLower(key[1:]), v, false)
		case len(key) > 2 && key[0] == '*' && key[1] == '.':
			return k.addHead(strings.ToLower(key[2:]), v, true)
		case len(key) > 2 && key[len(key)-2] == '.' && key[len(key)-1] == '*':
			return k.addTail(strings.ToLower(key[:len(key)-2]), v)
		case stars > 0:
			return errInvalidKey
		}
	}
	low := strings.ToLower(key)
	if k.taken[low] {
		return errConflicting
	}
	k.taken[low] = true
	k.exact[low] = v
	k.longest = max(k.longest, len(low))
	return nil
}

// addHead adds "*.name" (star) or ".name" for the domain name.
func (k *keys) addHead(name string, v *value, star bool) error {
	if !star {
		if k.taken[name] {
			return errConflicting
		}
		k.taken[name] = true
	}
	if k.headNames[name] {
		return errConflicting
	}
	k.headNames[name] = true
	n := k.head
	rest := name
	for {
		i := strings.LastIndexByte(rest, '.')
		n = n.child(rest[i+1:])
		k.longest = max(k.longest, len(rest)-i-1)
		if i < 0 {
			break
		}
		rest = rest[:i]
	}
	n.val, n.star = v, star
	return nil
}

// addTail adds "name.*".
func (k *keys) addTail(name string, v *value) error {
	if k.tailNames[name] {
		return errConflicting
	}
	k.tailNames[name] = true
	n := k.tail
	for _, label := range strings.Split(name, ".") {
		n = n.child(label)
		k.longest = max(k.longest, len(label))
	}
	n.val = v
	return nil
}

func (n *wcNode) child(label string) *wcNode {
	if n.children == nil {
		n.children = map[string]*wcNode{}
	}
	c := n.children[label]
	if c == nil {
		c = &wcNode{}
		n.children[label] = c
	}
	return c
}

// find looks a lowercased name up: exact keys, then the most specific
// "*.name" or ".name" wildcard, then the most specific "name.*"
// (ngx_hash_find_combined).
func (k *keys) find(low string) *value {
	if v, ok := k.exact[low]; ok {
		return v
	}
	if v := k.findHead(low); v != nil {
		return v
	}
	return k.findTail(low)
}

func (k *keys) findHead(name string) *value {
	var best *value
	n := k.head
	for rest := name; ; {
		i := strings.LastIndexByte(rest, '.')
		c := n.children[rest[i+1:]]
		if c == nil {
			return best
		}
		n = c
		if n.val != nil && (!n.star || i >= 0) {
			best = n.val
		}
		if i < 0 {
			return best
		}
		rest = rest[:i]
	}
}

func (k *keys) findTail(name string) *value {
	var best *value
	n := k.tail
	for rest := name; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return best
		}
		c := n.children[rest[:i]]
		if c == nil {
			return best
		}
		n = c
		if n.val != nil {
			best = n.val
		}
		rest = rest[i+1:]
	}
}
