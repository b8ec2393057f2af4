package referer

import (
	"errors"
	"strings"
)

// noURI is the value of a referer key without a URI part
// (NGX_HTTP_REFERER_NO_URI_PART): any path is valid.
var noURI = new(string)

// keys are the host names of a valid_referers level: exact names
// (lowercased) and wildcards, with the conflicts of nginx's
// ngx_hash_add_key (NGX_HASH_WILDCARD_KEY). A value is the URI prefix the
// referer's path must start with, or noURI.
type keys struct {
	exact map[string]*string
	// taken are the names exact keys and ".name" wildcards claim.
	taken map[string]bool
	// head holds "*.example.com" and ".example.com" by reversed labels;
	// tail holds "www.example.*" by labels.
	head, tail           *wcNode
	headNames, tailNames map[string]bool
	// longest is the longest exact key or wildcard label, for the hash
	// bucket size check.
	longest int
}

type wcNode struct {
	children map[string]*wcNode
	val      *string
	// star marks "*.name": it needs at least one more label
	star bool
}

func newKeys() *keys {
	return &keys{exact: map[string]*string{}, taken: map[string]bool{},
		head: &wcNode{}, tail: &wcNode{}, headNames: map[string]bool{}, tailNames: map[string]bool{}}
}

var (
	errInvalidKey  = errors.New("invalid hostname or wildcard")
	errConflicting = errors.New("conflicting parameter")
)

// empty reports whether no name was added (nginx's keys, dns_wc_head and
// dns_wc_tail all empty).
func (k *keys) empty() bool {
	return len(k.exact) == 0 && len(k.headNames) == 0 && len(k.tailNames) == 0
}

// add adds a host name or wildcard ("*.example.com", ".example.com",
// "www.example.*").
func (k *keys) add(key string, v *string) error {
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
	low := strings.ToLower(key)
	if k.taken[low] {
		return errConflicting
	}
	k.taken[low] = true
	k.exact[low] = v
	k.longest = max(k.longest, len(low))
	return nil
}

func (k *keys) addHead(name string, v *string, star bool) error {
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

func (k *keys) addTail(name string, v *string) error {
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

// find looks a lowercased host up: exact names, then the most specific
// "*.name" or ".name", then the most specific "name.*"
// (ngx_hash_find_combined).
func (k *keys) find(low []byte) *string {
	if v, ok := k.exact[string(low)]; ok {
		return v
	}
	if len(k.headNames) == 0 && len(k.tailNames) == 0 {
		return nil
	}
	name := string(low)
	if v := k.findHead(name); v != nil {
		return v
	}
	return k.findTail(name)
}

func (k *keys) findHead(name string) *string {
	var best *string
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

func (k *keys) findTail(name string) *string {
	var best *string
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
