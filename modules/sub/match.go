package sub

import "github.com/sluicehq/sluice/internal/ascii"

// The matcher: a streaming, case-insensitive search for several patterns
// at once, with nginx's rules for which match wins (see
// ngx_http_sub_parse):
//
//   - start positions are tried left to right; a start is tried only once
//     the shortest pattern fits after it;
//   - at one start, the patterns are tried in configuration order, and the
//     first one that matches wins (not the longest);
//   - a pattern that the data so far matches but that runs past the end of
//     the data ("partial match") stops the scan there until more data
//     comes; if it then fails, the patterns after it are tried at the same
//     start, then the next start;
//   - at the end of the body, a tail held for a partial match is sent as
//     it is, unscanned (so a shorter pattern hidden behind a longer
//     partial one at the end of the body is not replaced, as in nginx);
//   - with once, a pattern that has been replaced is no longer looked for,
//     and when every pattern has been replaced the rest of the body passes
//     unscanned.
//
// Case-insensitivity is ASCII only (nginx's ngx_tolower); patterns are
// lowercased when the table is built.
//
// Only bytes that may still turn into a match are held between calls: a
// tail no longer than the longest pattern minus one, and only from the
// first position where some pattern matches partially (nginx does this
// trimming when a buffer is a flush or recycled one, which every proxied
// buffer is; sluice does it for every chain, which sends the same bytes,
// sooner). The whole body is never buffered.

// table is a compiled set of search patterns (ngx_http_sub_tables_t).
type table struct {
	pats [][]byte // lowercased, in configuration order
	// pair is, for each pattern, the index of its sub_filter directive
	// (patterns with variables that come out empty are left out).
	pair     []int
	min, max int
	// shift is the Horspool skip for a byte at the end of the window of
	// the shortest pattern's length: how far a start can move without
	// passing one where some pattern's first min bytes could fit.
	shift [256]uint8
	// order lists the patterns by their byte at min-1, each byte's in
	// configuration order; first[c]..first[c+1] are those whose byte is c.
	order []uint8
	first [257]uint16
}

func lowerBytes(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		b[i] = ascii.Lower(c)
	}
	return b
}

// newTable compiles patterns (at least one, none empty, at most 255);
// pair[i] is pattern i's directive index (nil means i).
func newTable(pats []string, pair []int) *table {
	t := &table{pats: make([][]byte, len(pats)), pair: pair}
	if t.pair == nil {
		t.pair = make([]int, len(pats))
		for i := range t.pair {
			t.pair[i] = i
		}
	}
	t.min, t.max = len(pats[0]), len(pats[0])
	for i, p := range pats {
		t.pats[i] = lowerBytes(p)
		t.min = min(t.min, len(p))
		t.max = max(t.max, len(p))
	}
	m := min(t.min, 255)
	for c := range t.shift {
		t.shift[c] = uint8(m)
	}
	for _, p := range t.pats {
		for j := 0; j < m; j++ {
			c := p[t.min-1-j]
			t.shift[c] = min(t.shift[c], uint8(j))
		}
	}
	// a counting sort by the byte at min-1 keeps configuration order
	var count [256]int
	for _, p := range t.pats {
		count[p[t.min-1]]++
	}
	n := 0
	for c := 0; c < 256; c++ {
		t.first[c] = uint16(n)
		n += count[c]
	}
	t.first[256] = uint16(n)
	t.order = make([]uint8, len(t.pats))
	next := t.first
	for i, p := range t.pats {
		c := p[t.min-1]
		t.order[next[c]] = uint8(i)
		next[c]++
	}
	return t
}

// stream is the matching state of one response body.
type stream struct {
	t    *table
	once bool

	applied  []bool
	nApplied int
	// done: once, and every pattern replaced; the rest passes as is.
	done bool

	// held is the tail kept for a possible match; it lives in arena,
	// which only grows while output referring to it may be pending (see
	// release).
	held  []byte
	arena []byte
	// resume is, when held starts with a partial match, the position in
	// the candidate list of the pattern that matched partially (nginx's
	// ctx->index).
	resume int
}

func newStream(t *table, once bool) *stream {
	return &stream{t: t, once: once, applied: make([]bool, len(t.pats))}
}

// emitter receives the output: raw bytes of the body, or a replacement
// for pattern pat (an index into the table).
type emitter interface {
	raw(b []byte)
	replace(pat int)
}

// window is the held tail followed by the new data, seen as one sequence.
type window struct{ a, b []byte }

func (w *window) at(i int) byte {
	if i < len(w.a) {
		return w.a[i]
	}
	return w.b[i-len(w.a)]
}

// emit sends w[i:j].
func (w *window) emit(e emitter, i, j int) {
	if i >= j {
		return
	}
	na := len(w.a)
	if i < na {
		e.raw(w.a[i:min(j, na)])
	}
	if j > na {
		e.raw(w.b[max(i, na)-na : j-na])
	}
}

// match outcomes.
const (
	declined = iota
	partial
	matched
)

// matchAt compares pattern p with w from s on.
func (w *window) matchAt(s int, p []byte) int {
	n := len(w.a) + len(w.b)
	k := 0
	for ; k < len(p) && s+k < n; k++ {
		if ascii.Lower(w.at(s+k)) != p[k] {
			return declined
		}
	}
	if k < len(p) {
		return partial
	}
	return matched
}

// feed scans data, sending what can no longer be part of a match to e and
// keeping the rest.
func (st *stream) feed(data []byte, e emitter) {
	if st.done {
		st.flushHeld(e)
		e.raw(data)
		return
	}
	t := st.t
	w := window{st.held, data}
	n := len(w.a) + len(w.b)
	from := 0 // w[from:s] is unsent text before the start being tried
	s := 0
	k0 := st.resume
	st.resume = 0
	waiting := false
scan:
	for s+t.min <= n {
		if st.done {
			w.emit(e, from, n)
			st.held = nil
			return
		}
		c := ascii.Lower(w.at(s + t.min - 1))
		if d := int(t.shift[c]); d > 0 {
			s += d
			k0 = 0
			continue
		}
		for k := max(int(t.first[c]), k0); k < int(t.first[int(c)+1]); k++ {
			i := int(t.order[k])
			if st.once && st.applied[i] {
				continue
			}
			switch w.matchAt(s, t.pats[i]) {
			case declined:
				continue
			case partial:
				st.resume, waiting = k, true
				break scan
			}
			w.emit(e, from, s)
			e.replace(i)
			if !st.applied[i] {
				st.applied[i] = true
				st.nApplied++
			}
			st.done = st.once && st.nApplied == len(t.pats)
			s += len(t.pats[i])
			from = s
			k0 = 0
			continue scan
		}
		s++
		k0 = 0
	}
	s = min(s, n)
	if !waiting {
		// the tail too short for the shortest pattern: keep it from the
		// first position where some pattern matches partially
		// (nginx's flush case of ngx_http_sub_parse)
	tail:
		for ; s < n; s++ {
			for _, p := range t.pats {
				if w.matchAt(s, p) == partial {
					break tail
				}
			}
		}
	}
	w.emit(e, from, s)
	st.keep(&w, s, n)
}

// keep makes w[s:n] the held tail.
func (st *stream) keep(w *window, s, n int) {
	if s >= n {
		st.held = nil
		return
	}
	start := len(st.arena)
	na := len(w.a)
	if s < na {
		st.arena = append(st.arena, w.a[s:]...)
		s = na
	}
	st.arena = append(st.arena, w.b[s-na:n-na]...)
	st.held = st.arena[start:]
}

// flushHeld sends the held tail as it is.
func (st *stream) flushHeld(e emitter) {
	if len(st.held) > 0 {
		e.raw(st.held)
	}
	st.held = nil
	st.resume = 0
}

// end is the end of the body: the held tail goes out unscanned.
func (st *stream) end(e emitter) { st.flushHeld(e) }

// release says the output sent so far has been consumed: the arena can
// be reused, keeping only the held tail.
func (st *stream) release() {
	n := copy(st.arena, st.held)
	st.arena = st.arena[:n]
	st.held = st.arena[:n:n]
	if n == 0 {
		st.held = nil
	}
}
