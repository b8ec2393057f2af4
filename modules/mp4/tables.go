package mp4

// readTable reads a sample table atom: a 16-byte full-atom header whose
// last 4 bytes are the number of entries, then entries of esize bytes,
// which it answers; dupFirst puts the duplicate check before the size
// check, as nginx does for stss and ctts.
func (m *movie) readTable(slot int, name string, esize uint64, dupFirst bool, size uint64) (entries uint32, rc result) {
	const hlen = 16
	h := m.buf[m.header():]
	setName(h, name)
	if size < hlen-8 {
		return 0, m.errf("\"%s\" mp4 " + name + " atom too small")
	}
	entries = get32(h[hlen-4:])
	t := m.lastTrak()
	dup := func() bool {
		return t.out[slot] != nil || (slot == stcoAtom && t.out[co64Atom] != nil) ||
			(slot == co64Atom && t.out[stcoAtom] != nil)
	}
	dupMsg := "duplicate mp4 " + name + " atom in \"%s\""
	if slot == stcoAtom || slot == co64Atom {
		dupMsg = "duplicate mp4 stco/co64 atom in \"%s\""
	}
	if dupFirst && dup() {
		return 0, m.errf(dupMsg)
	}
	if hlen-8+uint64(entries)*esize > size {
		return 0, m.errf("\"%s\" mp4 " + name + " atom too small")
	}
	if !dupFirst && dup() {
		return 0, m.errf(dupMsg)
	}
	table := h[hlen : hlen+uint64(entries)*esize]
	t.out[slot] = h[:hlen]
	data := slot + 1
	if slot == stscAtom {
		data = stscData
	}
	t.out[data] = table
	m.next(size)
	return entries, ok
}

// counted is the handler of a sample table atom whose number of entries
// goes to the track's field count.
func counted(slot int, name string, esize uint64, dupFirst bool, count func(*trak) *uint32) func(*movie, uint64) result {
	return func(m *movie, size uint64) result {
		n, rc := m.readTable(slot, name, esize, dupFirst, size)
		if rc == ok {
			*count(m.lastTrak()) = n
		}
		return rc
	}
}

// readStsz reads the sample sizes; with a uniform size there is no table
// and the atom is sent as it is.
func (m *movie) readStsz(size uint64) result {
	h := m.buf[m.header():]
	setName(h, "stsz")
	if size < 12 {
		return m.errf("\"%s\" mp4 stsz atom too small")
	}
	uniform, entries := get32(h[12:]), get32(h[16:])
	t := m.lastTrak()
	if t.out[stszAtom] != nil {
		return m.errf("duplicate mp4 stsz atom in \"%s\"")
	}
	t.sampleSizesEntries = entries
	t.out[stszAtom] = h[:20]
	if uniform == 0 {
		if 12+uint64(entries)*4 > size {
			return m.errf("\"%s\" mp4 stsz atom too small")
		}
		t.stszTable = h[20 : 20+uint64(entries)*4]
		t.out[stszData] = t.stszTable
	} else {
		// sent whole: nginx sends 20 bytes and counts the atom's size, so
		// a table after a uniform size made its Content-Length too large
		atomSize := 8 + size
		set32(h, uint32(atomSize))
		t.out[stszAtom] = h[:atomSize]
		t.size += atomSize
	}
	m.next(size)
	return ok
}
