package mp4

// readTable checks a sample table atom: a full-atom header of hlen bytes
// whose last 4 are the number of entries, then entries of esize bytes.
// It answers the header, the table, and the number of entries; dupFirst
// puts the duplicate check before the size check, as nginx does for some.
func (m *movie) readTable(slot int, name string, hlen, esize uint64, dupFirst bool, size uint64) (h, table []byte, entries uint32, rc result) {
	h = m.buf[m.header():]
	setName(h, name)
	if size < hlen-8 {
		return nil, nil, 0, m.errf("\"%s\" mp4 " + name + " atom too small")
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
		return nil, nil, 0, m.errf(dupMsg)
	}
	if hlen-8+uint64(entries)*esize > size {
		return nil, nil, 0, m.errf("\"%s\" mp4 " + name + " atom too small")
	}
	if !dupFirst && dup() {
		return nil, nil, 0, m.errf(dupMsg)
	}
	table = h[hlen : hlen+uint64(entries)*esize]
	t.out[slot] = h[:hlen]
	data := slot + 1
	if slot == stscAtom {
		data = stscData
	}
	t.out[data] = table
	m.next(size)
	return h, table, entries, ok
}

func (m *movie) readStts(size uint64) result {
	_, _, n, rc := m.readTable(sttsAtom, "stts", 16, 8, false, size)
	if rc == ok {
		m.lastTrak().timeToSampleEntries = n
	}
	return rc
}

func (m *movie) readStss(size uint64) result {
	_, _, n, rc := m.readTable(stssAtom, "stss", 16, 4, true, size)
	if rc == ok {
		m.lastTrak().syncSamplesEntries = n
	}
	return rc
}

func (m *movie) readCtts(size uint64) result {
	_, _, n, rc := m.readTable(cttsAtom, "ctts", 16, 8, true, size)
	if rc == ok {
		m.lastTrak().compositionOffsetEntries = n
	}
	return rc
}

func (m *movie) readStsc(size uint64) result {
	_, _, n, rc := m.readTable(stscAtom, "stsc", 16, 12, false, size)
	if rc == ok {
		m.lastTrak().sampleToChunkEntries = n
	}
	return rc
}

func (m *movie) readStco(size uint64) result {
	_, _, n, rc := m.readTable(stcoAtom, "stco", 16, 4, false, size)
	if rc == ok {
		m.lastTrak().chunks = n
	}
	return rc
}

func (m *movie) readCo64(size uint64) result {
	_, _, n, rc := m.readTable(co64Atom, "co64", 16, 8, false, size)
	if rc == ok {
		m.lastTrak().chunks = n
	}
	return rc
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
