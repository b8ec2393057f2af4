package mp4

// The atom tables: which atoms are read at each level; the others are
// skipped (and left out of the answer).
var (
	fileAtoms = []atomHandler{
		{name: "ftyp", handle: (*movie).readFtyp},
		{name: "moov", handle: (*movie).readMoov},
		{name: "mdat", handle: (*movie).readMdat},
	}
	moovAtoms = []atomHandler{
		{name: "mvhd", handle: (*movie).readMvhd, withData: true},
		{name: "trak", handle: (*movie).readTrak},
		{name: "cmov", handle: (*movie).readCmov},
	}
	trakAtoms = []atomHandler{
		{name: "tkhd", handle: (*movie).readTkhd, withData: true},
		{name: "mdia", handle: (*movie).readMdia},
	}
	mdiaAtoms = []atomHandler{
		{name: "mdhd", handle: (*movie).readMdhd, withData: true},
		{name: "hdlr", handle: (*movie).readHdlr, withData: true},
		{name: "minf", handle: (*movie).readMinf},
	}
	minfAtoms = []atomHandler{
		{name: "vmhd", handle: (*movie).readVmhd, withData: true},
		{name: "smhd", handle: (*movie).readSmhd, withData: true},
		{name: "dinf", handle: (*movie).readDinf, withData: true},
		{name: "stbl", handle: (*movie).readStbl},
	}
	stblAtoms = []atomHandler{
		{name: "stsd", handle: (*movie).readStsd, withData: true},
		{name: "stts", withData: true, handle: counted(sttsAtom, "stts", 8, false,
			func(t *trak) *uint32 { return &t.timeToSampleEntries })},
		{name: "stss", withData: true, handle: counted(stssAtom, "stss", 4, true,
			func(t *trak) *uint32 { return &t.syncSamplesEntries })},
		{name: "ctts", withData: true, handle: counted(cttsAtom, "ctts", 8, true,
			func(t *trak) *uint32 { return &t.compositionOffsetEntries })},
		{name: "stsc", withData: true, handle: counted(stscAtom, "stsc", 12, false,
			func(t *trak) *uint32 { return &t.sampleToChunkEntries })},
		{name: "stsz", handle: (*movie).readStsz, withData: true},
		{name: "stco", withData: true, handle: counted(stcoAtom, "stco", 4, false,
			func(t *trak) *uint32 { return &t.chunks })},
		{name: "co64", withData: true, handle: counted(co64Atom, "co64", 8, false,
			func(t *trak) *uint32 { return &t.chunks })},
	}
)

// readFtyp copies the file type atom, which goes first in the answer.
func (m *movie) readFtyp(size uint64) result {
	if size > 1024 || size > uint64(m.bend-m.bpos) {
		return m.errf("\"%s\" mp4 ftyp atom is too large:%d", size)
	}
	if m.ftyp != nil {
		return m.errf("duplicate mp4 ftyp atom in \"%s\"")
	}
	atom := make([]byte, 8+size)
	set32(atom, uint32(len(atom)))
	setName(atom, "ftyp")
	copy(atom[8:], m.buf[m.bpos:m.bpos+int(size)])
	m.ftyp = atom
	m.contentLength = int64(len(atom))
	m.next(size)
	return ok
}

// readMoov reads the movie atom whole into the buffer and walks it.
func (m *movie) readMoov(size uint64) result {
	noMdat := !m.mdatSeen
	if noMdat && m.start == 0 && m.length == 0 {
		// moov is already before mdat and the whole file is asked for
		return declined
	}
	if m.moovSeen {
		return m.errf("duplicate mp4 moov atom in \"%s\"")
	}
	if size > uint64(m.bufferSize) {
		if size > uint64(m.maxBufferSize) {
			return m.errf("\"%s\" mp4 moov atom is too large:%d, you may want to increase mp4_max_buffer_size", size)
		}
		m.buf = nil
		m.bufferSize = int64(size)
		if noMdat {
			m.bufferSize += moovExcess
		}
	}
	if m.read(int64(size)) != ok {
		return failed
	}
	m.moovSeen = true
	m.traks = m.traks[:0]
	rc := m.readAtoms(moovAtoms, size)
	if noMdat {
		// the rest of the buffer serves to read the atoms after moov
		m.bstart = m.bpos
		m.bufferSize = moovExcess
		if m.bstart+moovExcess > m.bend {
			m.buf = nil
		}
	} else {
		m.offset = m.end // moov after mdat: nothing more to read
	}
	return rc
}

// readMdat notes where the media data ends.
func (m *movie) readMdat(size uint64) result {
	if m.mdatSeen {
		return m.errf("duplicate mp4 mdat atom in \"%s\"")
	}
	m.mdatSeen = true
	m.dataEnd = m.offset + int64(size)
	if len(m.traks) > 0 {
		m.offset = m.end // moov was read: nothing more to read
	} else {
		m.next(size)
	}
	return ok
}

// readMvhd cuts the movie's duration.
func (m *movie) readMvhd(size uint64) result {
	if m.mvhd != nil {
		return m.errf("duplicate mp4 mvhd atom in \"%s\"")
	}
	h := m.buf[m.header():]
	setName(h, "mvhd")
	timescale, duration, rc := m.readTimes(h, size, mvhdLayout, "mvhd")
	if rc != ok {
		return rc
	}
	m.timescale, m.duration = timescale, duration
	startTime := m.start * uint64(timescale) / 1000
	if duration < startTime {
		return m.errf("\"%s\" mp4 start time exceeds file duration")
	}
	duration = m.cutDuration(duration, timescale)
	atomSize := 8 + size
	set32(h, uint32(atomSize))
	mvhdLayout.setDuration(h, duration)
	m.mvhd = h[:atomSize]
	m.next(size)
	return ok
}

// readTrak reads a track; a track that ends before the start time is
// left out.
func (m *movie) readTrak(size uint64) result {
	t := &trak{}
	m.traks = append(m.traks, t)
	hp := m.header()
	setName(m.buf[hp:], "trak")
	t.out[trakAtom] = m.buf[hp : hp+8]
	atomEnd, fileEnd := m.bpos+int(size), m.offset+int64(size)
	rc := m.readAtoms(trakAtoms, size)
	if rc == declined {
		m.traks = m.traks[:len(m.traks)-1]
		atomEnd = min(atomEnd, m.bend)
		m.bpos, m.offset = atomEnd, fileEnd
		return ok
	}
	return rc
}

func (m *movie) readCmov(uint64) result {
	return m.errf("\"%s\" mp4 compressed moov atom (cmov) is not supported")
}

// readTkhd cuts the track's duration, or declines the track when it
// ends before the start time.
func (m *movie) readTkhd(size uint64) result {
	h := m.buf[m.header():]
	setName(h, "tkhd")
	_, duration, rc := m.readTimes(h, size, tkhdLayout, "tkhd")
	if rc != ok {
		return rc
	}
	if duration <= m.start*uint64(m.timescale)/1000 {
		return declined
	}
	duration = m.cutDuration(duration, m.timescale)
	atomSize := 8 + size
	t := m.lastTrak()
	if t.out[tkhdAtom] != nil {
		return m.errf("duplicate mp4 tkhd atom in \"%s\"")
	}
	t.tkhdSize = atomSize
	t.movieDuration = duration
	set32(h, uint32(atomSize))
	tkhdLayout.setDuration(h, duration)
	t.out[tkhdAtom] = h[:atomSize]
	m.next(size)
	return ok
}

// readContainer starts a container atom of the track (mdia, minf,
// stbl) and walks its children; the size is written when the track is
// cut.
func (m *movie) readContainer(slot int, name string, children []atomHandler, size uint64) result {
	hp := m.header()
	setName(m.buf[hp:], name)
	t := m.lastTrak()
	if t.out[slot] != nil {
		return m.errf("duplicate mp4 " + name + " atom in \"%s\"")
	}
	t.out[slot] = m.buf[hp : hp+8]
	return m.readAtoms(children, size)
}

func (m *movie) readMdia(size uint64) result {
	return m.readContainer(mdiaAtom, "mdia", mdiaAtoms, size)
}

func (m *movie) readMinf(size uint64) result {
	return m.readContainer(minfAtom, "minf", minfAtoms, size)
}

func (m *movie) readStbl(size uint64) result {
	return m.readContainer(stblAtom, "stbl", stblAtoms, size)
}

// readMdhd reads the media timescale and duration, or declines the track
// when it ends before the start time.
func (m *movie) readMdhd(size uint64) result {
	h := m.buf[m.header():]
	setName(h, "mdhd")
	timescale, duration, rc := m.readTimes(h, size, mdhdLayout, "mdhd")
	if rc != ok {
		return rc
	}
	if duration <= m.start*uint64(timescale)/1000 {
		return declined
	}
	duration = m.cutDuration(duration, timescale)
	atomSize := 8 + size
	t := m.lastTrak()
	if t.out[mdhdAtom] != nil {
		return m.errf("duplicate mp4 mdhd atom in \"%s\"")
	}
	t.mdhdSize = atomSize
	t.timescale = timescale
	t.duration = duration
	set32(h, uint32(atomSize))
	t.out[mdhdAtom] = h[:atomSize]
	m.next(size)
	return ok
}

// readWhole keeps a track atom as it is (hdlr, vmhd, smhd, dinf).
func (m *movie) readWhole(slot int, name string, size uint64) result {
	h := m.buf[m.header():]
	atomSize := 8 + size
	set32(h, uint32(atomSize))
	setName(h, name)
	t := m.lastTrak()
	switch slot {
	case vmhdAtom, smhdAtom:
		if t.out[vmhdAtom] != nil || t.out[smhdAtom] != nil {
			return m.errf("duplicate mp4 vmhd/smhd atom in \"%s\"")
		}
	default:
		if t.out[slot] != nil {
			return m.errf("duplicate mp4 " + name + " atom in \"%s\"")
		}
	}
	t.out[slot] = h[:atomSize]
	switch slot {
	case hdlrAtom:
		t.hdlrSize = atomSize
	case vmhdAtom:
		t.vmhdSize += atomSize
	case smhdAtom:
		t.smhdSize += atomSize
	case dinfAtom:
		t.dinfSize += atomSize
	}
	m.next(size)
	return ok
}

func (m *movie) readHdlr(size uint64) result { return m.readWhole(hdlrAtom, "hdlr", size) }
func (m *movie) readVmhd(size uint64) result { return m.readWhole(vmhdAtom, "vmhd", size) }
func (m *movie) readSmhd(size uint64) result { return m.readWhole(smhdAtom, "smhd", size) }
func (m *movie) readDinf(size uint64) result { return m.readWhole(dinfAtom, "dinf", size) }

// readStsd keeps the sample descriptions as they are.
func (m *movie) readStsd(size uint64) result {
	h := m.buf[m.header():]
	atomSize := 8 + size
	set32(h, uint32(atomSize))
	setName(h, "stsd")
	if size < 16 {
		return m.errf("\"%s\" mp4 stsd atom too small")
	}
	t := m.lastTrak()
	if t.out[stsdAtom] != nil {
		return m.errf("duplicate mp4 stsd atom in \"%s\"")
	}
	t.out[stsdAtom] = h[:atomSize]
	t.size += atomSize
	m.next(size)
	return ok
}

// timesLayout is where a header atom (mvhd, tkhd, mdhd) has its timescale
// and duration in version 0 and 1 (64-bit times), and the data size each
// version needs at least; ts0 < 0: no timescale.
type timesLayout struct {
	min0, min1       uint64
	ts0, ts1, d0, d1 int
}

var (
	mvhdLayout = timesLayout{min0: 100, min1: 112, ts0: 20, ts1: 28, d0: 24, d1: 32}
	tkhdLayout = timesLayout{min0: 84, min1: 96, ts0: -1, ts1: -1, d0: 28, d1: 36}
	mdhdLayout = timesLayout{min0: 24, min1: 36, ts0: 20, ts1: 28, d0: 24, d1: 32}
)

// readTimes reads the timescale and duration of the header atom at h.
func (m *movie) readTimes(h []byte, size uint64, l timesLayout, name string) (timescale uint32, duration uint64, rc result) {
	if size < l.min0 {
		return 0, 0, m.errf("\"%s\" mp4 " + name + " atom too small")
	}
	if h[8] == 0 {
		if l.ts0 >= 0 {
			timescale = get32(h[l.ts0:])
		}
		return timescale, uint64(get32(h[l.d0:])), ok
	}
	if size < l.min1 {
		return 0, 0, m.errf("\"%s\" mp4 " + name + " atom too small")
	}
	if l.ts1 >= 0 {
		timescale = get32(h[l.ts1:])
	}
	return timescale, get64(h[l.d1:]), ok
}

// setDuration writes the duration of the header atom at h.
func (l timesLayout) setDuration(h []byte, d uint64) {
	if h[8] == 0 {
		set32(h[l.d0:], uint32(d))
	} else {
		set64(h[l.d1:], d)
	}
}

// cutDuration is what is left of duration (in timescale units) after the
// start, at most the length asked for.
func (m *movie) cutDuration(duration uint64, timescale uint32) uint64 {
	duration -= m.start * uint64(timescale) / 1000
	if m.length != 0 {
		duration = min(duration, m.length*uint64(timescale)/1000)
	}
	return duration
}
