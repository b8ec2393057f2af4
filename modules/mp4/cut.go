package mp4

import "io"

// cut is what a movie cut at a time answers: the bytes to send before
// the media data (ftyp, moov, the mdat header), in pieces, then the file
// range [DataStart, DataEnd).
type cut struct {
	Head               [][]byte
	DataStart, DataEnd int64
	ContentLength      int64
	// duration and timescale are the movie's, from mvhd before the cut
	// (0 without mvhd).
	duration  uint64
	timescale uint32
}

// cutConf is the module's configuration as the cutting uses it.
type cutConf struct {
	bufferSize, maxBufferSize int64
	startKeyFrame             bool
}

// cutMovie cuts the file f of the given size (named name in the log) from
// start for length milliseconds (0: to the end) (ngx_http_mp4_process).
// It answers declined when the file is to be sent as it is, failed when
// it cannot be cut (logged through log).
func cutMovie(f io.ReaderAt, name string, size int64, start, length uint64, cf cutConf, log logFunc) (*cut, result) {
	m := &movie{
		f: f, name: name, log: log, end: size,
		start: start, length: length,
		bufferSize: cf.bufferSize, maxBufferSize: cf.maxBufferSize,
		startKeyFrame: cf.startKeyFrame,
	}
	if rc := m.readAtoms(fileAtoms, uint64(m.end)); rc != ok {
		return nil, rc
	}
	if len(m.traks) == 0 {
		return nil, m.errf("no mp4 trak atoms were found in \"%s\"")
	}
	if !m.mdatSeen {
		return nil, m.errf("no mp4 mdat atom was found in \"%s\"")
	}
	var c cut
	if m.ftyp != nil {
		c.Head = append(c.Head, m.ftyp)
	}
	c.Head = append(c.Head, m.moovHeader[:])
	if m.mvhd != nil {
		m.moovSize += int64(len(m.mvhd))
		c.Head = append(c.Head, m.mvhd)
	}
	startOffset, endOffset := m.end, int64(0)
	for _, t := range m.traks {
		if m.updateStts(t) != ok || m.updateStss(t) != ok {
			return nil, failed
		}
		m.updateCtts(t)
		if m.updateStsc(t) != ok || m.updateStsz(t) != ok || m.updateChunks(t) != ok {
			return nil, failed
		}
		t.updateStbl()
		t.updateMinf()
		t.updateMdhd()
		t.size += t.hdlrSize
		t.updateMdia()
		t.size += t.tkhdSize
		t.updateEdts()
		t.updateTrak()
		m.moovSize += int64(t.size)
		startOffset = min(startOffset, t.startOffset)
		endOffset = max(endOffset, t.endOffset)
		for _, p := range t.out {
			if len(p) > 0 {
				c.Head = append(c.Head, p)
			}
		}
	}
	if endOffset <= startOffset {
		return nil, m.errf("no data between start time and end time in \"%s\"")
	}
	m.moovSize += 8
	set32(m.moovHeader[:], uint32(m.moovSize))
	setName(m.moovHeader[:], "moov")
	m.contentLength += m.moovSize
	if startOffset >= m.dataEnd {
		return nil, m.errf("start time is out mp4 mdat atom in \"%s\"")
	}
	adjustment := int64(len(m.ftyp)) + m.moovSize + m.updateMdat(startOffset, endOffset) - startOffset
	for _, t := range m.traks {
		t.adjustChunks(adjustment)
	}
	c.Head = append(c.Head, m.mdatHeader[:m.mdatHeaderLen])
	sent := m.dataEnd - m.dataStart
	for _, p := range c.Head {
		sent += int64(len(p))
	}
	if sent != m.contentLength {
		// the atom sizes counted do not match the bytes to send (a
		// malformed moov; not expected since the stsz fix above)
		return nil, m.errf("\"%s\" mp4 moov atom is inconsistent")
	}
	c.DataStart, c.DataEnd = m.dataStart, m.dataEnd
	c.ContentLength = m.contentLength
	c.duration, c.timescale = m.duration, m.timescale
	return &c, ok
}

// updateMdat writes the header of the new mdat atom, 64-bit when its
// data needs it, and answers its size.
func (m *movie) updateMdat(start, end int64) int64 {
	size := end - start
	m.dataStart, m.dataEnd = start, end
	h := m.mdatHeader[:]
	if uint64(size) > 0xffffffff-8 {
		set32(h, 1)
		set64(h[8:], uint64(16+size))
		m.mdatHeaderLen = 16
	} else {
		set32(h, uint32(8+size))
		m.mdatHeaderLen = 8
	}
	setName(h, "mdat")
	m.contentLength += int64(m.mdatHeaderLen) + size
	return int64(m.mdatHeaderLen)
}
