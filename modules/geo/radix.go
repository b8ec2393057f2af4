package geo

// radix is nginx's ngx_radix_tree_t for one family: a binary trie keyed by
// the address bits, each node optionally holding a value. IPv4 keys are
// the first 4 bytes of the key (32 bits), IPv6 keys all 16 (128 bits).
// Lookups walk at most 32 or 128 nodes and allocate nothing.
type radix struct {
	nodes []rnode
}

// rnode is a trie node: children by bit and a value index (noValue: none).
type rnode struct {
	child  [2]int32
	parent int32
	val    int32
}

const noValue = -1

func newRadix() *radix {
	return &radix{nodes: []rnode{{parent: -1, val: noValue}}}
}

func bit(key *[16]byte, i int) int { return int(key[i>>3]>>(7-uint(i&7))) & 1 }

// insert sets the value of the network key/bits; busy reports an existing
// value (ngx_radix*tree_insert's NGX_BUSY), which is kept.
func (t *radix) insert(key *[16]byte, bits int, val int32) (busy bool) {
	n := int32(0)
	for i := 0; i < bits; i++ {
		b := bit(key, i)
		next := t.nodes[n].child[b]
		if next == 0 {
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, rnode{parent: n, val: noValue})
			t.nodes[n].child[b] = next
		}
		n = next
	}
	if t.nodes[n].val != noValue {
		return true
	}
	t.nodes[n].val = val
	return false
}

// delete removes the value of the network key/bits; ok is false when the
// network has no value (ngx_radix*tree_delete's NGX_ERROR). A node left
// without value and children is unlinked as nginx frees it (its slot stays
// in the slice).
func (t *radix) delete(key *[16]byte, bits int) (ok bool) {
	n := int32(0)
	for i := 0; i < bits; i++ {
		n = t.nodes[n].child[bit(key, i)]
		if n == 0 {
			return false
		}
	}
	nd := &t.nodes[n]
	if nd.child[0] != 0 || nd.child[1] != 0 || n == 0 {
		if nd.val != noValue {
			nd.val = noValue
			return true
		}
		return false
	}
	for {
		p := t.nodes[n].parent
		pn := &t.nodes[p]
		if pn.child[1] == n {
			pn.child[1] = 0
		} else {
			pn.child[0] = 0
		}
		n = p
		if pn.child[0] != 0 || pn.child[1] != 0 || pn.val != noValue || pn.parent < 0 {
			break
		}
	}
	return true
}

// find returns the value of the longest network holding key among its
// first bits bits, or noValue (ngx_radix*tree_find).
func (t *radix) find(key *[16]byte, bits int) int32 {
	v := int32(noValue)
	n := int32(0)
	for i := 0; ; i++ {
		if x := t.nodes[n].val; x != noValue {
			v = x
		}
		if i == bits {
			return v
		}
		n = t.nodes[n].child[bit(key, i)]
		if n == 0 {
			return v
		}
	}
}
