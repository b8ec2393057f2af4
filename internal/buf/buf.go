// Package buf pools byte buffers by size so that connections and upstream
// exchanges reuse memory instead of allocating per request.
//
// Ownership rule: a buffer from Get belongs to the caller until it calls
// Put; after Put neither the buffer nor any slice or string aliasing it may
// be used. Request-scoped code returns buffers when the request ends.
package buf

import (
	"math/bits"
	"sync"
)

// classes are power-of-two size classes from 512 bytes to 16 MiB.
const (
	minShift = 9
	maxShift = 24
)

var pools [maxShift - minShift + 1]sync.Pool

// holders recycles the *[]byte boxes pools store, so that neither Get nor
// Put allocates in steady state: Get empties a box into holders, Put fills
// one from there.
var holders sync.Pool

// class returns the pool index for a buffer of at least size bytes, or -1
// when size is outside the pooled range.
func class(size int) int {
	if size <= 1<<minShift {
		return 0
	}
	s := bits.Len(uint(size - 1))
	if s > maxShift {
		return -1
	}
	return s - minShift
}

// Get returns a buffer of exactly size bytes (its capacity may be larger).
func Get(size int) []byte {
	c := class(size)
	if c < 0 {
		return make([]byte, size)
	}
	if p, _ := pools[c].Get().(*[]byte); p != nil {
		b := (*p)[:size]
		*p = nil
		holders.Put(p)
		return b
	}
	return make([]byte, size, 1<<(c+minShift))
}

// Put returns a buffer obtained from Get.
func Put(b []byte) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 {
		return
	}
	k := bits.Len(uint(c)) - 1 - minShift
	if k < 0 || k >= len(pools) {
		return
	}
	p, _ := holders.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:c]
	pools[k].Put(p)
}
