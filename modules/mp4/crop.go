package mp4

// The cutting of the sample tables, run per track once the whole moov
// was read (the mdhd timescale may come after the tables). Each crop
// runs twice: at the start time, then at the end time (length) counted
// from the new start.

// updateStts cuts the time-to-sample table, which finds the start and
// end samples.
func (m *movie) updateStts(t *trak) result {
	if t.out[sttsData] == nil {
		return m.errf("no mp4 stts atoms were found in \"%s\"")
	}
	if m.cropStts(t, true) != ok || m.cropStts(t, false) != ok {
		return failed
	}
	atomSize := 16 + uint64(len(t.out[sttsData]))
	t.size += atomSize
	h := t.out[sttsAtom]
	set32(h, uint32(atomSize))
	set32(h[12:], t.timeToSampleEntries)
	return ok
}

func (m *movie) cropStts(t *trak, start bool) result {
	var sec uint64
	switch {
	case start:
		sec = m.start
	case m.length != 0:
		sec = m.length
	default:
		return ok
	}
	data := t.out[sttsData]
	startTime := sec*uint64(t.timescale)/1000 + t.prefix
	entries := uint64(t.timeToSampleEntries)
	var startSample uint64
	var count, duration, rest uint32
	n := len(data) / 8
	i := 0
	for ; i < n; i++ {
		count, duration = get32(data[i*8:]), get32(data[i*8+4:])
		if startTime < uint64(count)*uint64(duration) {
			startSample += startTime / uint64(duration)
			rest = uint32(startTime / uint64(duration))
			break
		}
		startSample += uint64(count)
		startTime -= uint64(count) * uint64(duration)
		entries--
	}
	if i == n {
		if start {
			return m.errf("start time is out mp4 stts samples in \"%s\"")
		}
		t.endSample = t.startSample + startSample
		return ok
	}
	if !start {
		set32(data[i*8:], rest)
		t.out[sttsData] = data[:(i+1)*8]
		t.timeToSampleEntries -= uint32(entries - 1)
		t.endSample = t.startSample + startSample
		return ok
	}
	keyPrefix, rc := m.seekKeyFrame(t, uint32(startSample))
	if rc != ok {
		return rc
	}
	startSample -= uint64(keyPrefix)
	for rest < keyPrefix {
		t.prefix += uint64(rest * duration)
		keyPrefix -= rest
		if i == 0 {
			// nginx would step before the table here
			return m.errf("start time is out mp4 stts samples in \"%s\"")
		}
		i--
		entries++
		count, duration = get32(data[i*8:]), get32(data[i*8+4:])
		rest = count
	}
	t.prefix += uint64(keyPrefix * duration)
	t.duration += t.prefix
	rest -= keyPrefix
	set32(data[i*8:], count-rest)
	t.out[sttsData] = data[i*8:]
	t.timeToSampleEntries = uint32(entries)
	t.startSample = startSample
	return ok
}

// seekKeyFrame answers how many samples before startSample (0-based) the
// last key frame at or before it is, with mp4_start_key_frame on.
func (m *movie) seekKeyFrame(t *trak, startSample uint32) (uint32, result) {
	if !m.startKeyFrame {
		return 0, ok
	}
	data := t.out[stssData]
	if data == nil {
		return 0, ok
	}
	var prefix uint32
	startSample++ // sync samples count from 1
	for i := 0; i+4 <= len(data); i += 4 {
		sample := get32(data[i:])
		if sample == 0 {
			return 0, m.errf("zero sync sample in \"%s\"")
		}
		if sample > startSample {
			break
		}
		prefix = startSample - sample
	}
	return prefix, ok
}

// updateStss cuts the sync sample (key frame) table and renumbers it
// from the new first sample.
func (m *movie) updateStss(t *trak) result {
	if t.out[stssData] == nil {
		return ok
	}
	m.cropStss(t, true)
	m.cropStss(t, false)
	data := t.out[stssData]
	if t.syncSamplesEntries != 0 {
		for i := 0; i+4 <= len(data); i += 4 {
			set32(data[i:], get32(data[i:])-uint32(t.startSample))
		}
	} else {
		t.out[stssData] = nil
	}
	atomSize := 16 + uint64(len(data))
	t.size += atomSize
	h := t.out[stssAtom]
	set32(h, uint32(atomSize))
	set32(h[12:], t.syncSamplesEntries)
	return ok
}

func (m *movie) cropStss(t *trak, start bool) {
	var startSample uint32
	switch {
	case start:
		startSample = uint32(t.startSample) + 1
	case m.length != 0:
		startSample = uint32(t.endSample) + 1
	default:
		return
	}
	data := t.out[stssData]
	entries := uint64(t.syncSamplesEntries)
	i := 0
	for ; i+4 <= len(data); i += 4 {
		if get32(data[i:]) >= startSample {
			break
		}
		entries--
	}
	if start {
		t.out[stssData] = data[i:]
		t.syncSamplesEntries = uint32(entries)
	} else {
		t.out[stssData] = data[:i]
		t.syncSamplesEntries -= uint32(entries)
	}
}

// updateCtts cuts the composition offsets table; an empty one is left
// out.
func (m *movie) updateCtts(t *trak) {
	if t.out[cttsData] == nil {
		return
	}
	m.cropCtts(t, true)
	m.cropCtts(t, false)
	if t.compositionOffsetEntries == 0 {
		t.out[cttsAtom], t.out[cttsData] = nil, nil
		return
	}
	atomSize := 16 + uint64(len(t.out[cttsData]))
	t.size += atomSize
	h := t.out[cttsAtom]
	set32(h, uint32(atomSize))
	set32(h[12:], t.compositionOffsetEntries)
}

func (m *movie) cropCtts(t *trak, start bool) {
	var startSample uint32
	switch {
	case start:
		startSample = uint32(t.startSample) + 1
	case m.length != 0:
		startSample = uint32(t.endSample-t.startSample) + 1
	default:
		return
	}
	data := t.out[cttsData]
	entries := uint64(t.compositionOffsetEntries)
	for i := 0; i+8 <= len(data); i += 8 {
		count := get32(data[i:])
		if startSample <= count {
			rest := startSample - 1
			if start {
				set32(data[i:], count-rest)
				t.out[cttsData] = data[i:]
				t.compositionOffsetEntries = uint32(entries)
			} else {
				set32(data[i:], rest)
				t.out[cttsData] = data[:i+8]
				t.compositionOffsetEntries -= uint32(entries - 1)
			}
			return
		}
		startSample -= count
		entries--
	}
	if start {
		t.out[cttsData] = data[len(data):]
		t.compositionOffsetEntries = 0
	}
}

// updateStsc cuts the sample-to-chunk table, which finds the start and
// end chunks, and renumbers its chunks from the new first one.
func (m *movie) updateStsc(t *trak) result {
	if t.out[stscData] == nil {
		return m.errf("no mp4 stsc atoms were found in \"%s\"")
	}
	if t.sampleToChunkEntries == 0 {
		return m.errf("zero number of entries in stsc atom in \"%s\"")
	}
	if m.cropStsc(t, true) != ok || m.cropStsc(t, false) != ok {
		return failed
	}
	data := t.out[stscData]
	for i := 0; i+12 <= len(data); i += 12 {
		set32(data[i:], get32(data[i:])-uint32(t.startChunk))
	}
	atomSize := 16 + uint64(t.sampleToChunkEntries)*12
	t.size += atomSize
	h := t.out[stscAtom]
	set32(h, uint32(atomSize))
	set32(h[12:], t.sampleToChunkEntries)
	return ok
}

func (m *movie) cropStsc(t *trak, start bool) result {
	entries := uint64(t.sampleToChunkEntries) - 1
	var startSample, samples uint32
	switch {
	case start:
		startSample = uint32(t.startSample)
	case m.length != 0:
		startSample = uint32(t.endSample - t.startSample)
		if first := t.out[stscStart]; first != nil {
			samples = get32(first[4:])
			entries--
			if samples > startSample {
				samples = startSample
				set32(first[4:], samples)
			}
			startSample -= samples
		}
	default:
		return ok
	}
	data := t.out[stscData]
	if len(data) < 12 {
		return m.errf("zero number of entries in stsc atom in \"%s\"")
	}
	chunk, samples, id := get32(data), get32(data[4:]), get32(data[8:])
	var prevSamples, nextChunk uint32
	n := len(data) / 12
	i := 1
	found := false
	for ; i < n; i++ {
		nextChunk = get32(data[i*12:])
		if nextChunk < chunk {
			return m.errf("unordered mp4 stsc chunks in \"%s\"")
		}
		if c := uint64(nextChunk-chunk) * uint64(samples); uint64(startSample) < c {
			found = true
			break
		} else {
			startSample -= uint32(c)
		}
		if nextChunk > chunk {
			prevSamples = samples
		}
		chunk, samples, id = nextChunk, get32(data[i*12+4:]), get32(data[i*12+8:])
		entries--
	}
	if !found {
		nextChunk = t.chunks + 1
		if nextChunk < chunk {
			return m.errf("unordered mp4 stsc chunks in \"%s\"")
		}
		if uint64(startSample) > uint64(nextChunk-chunk)*uint64(samples) {
			which := "end"
			if start {
				which = "start"
			}
			return m.errf("%s time is out mp4 stsc chunks in \"%s\"", which)
		}
	}
	entries++
	i--
	if samples == 0 {
		return m.errf("zero number of samples in \"%s\"")
	}
	if chunk == 0 {
		return m.errf("zero chunk in \"%s\"")
	}
	targetChunk := uint64(chunk-1) + uint64(startSample/samples)
	chunkSamples := uint64(startSample % samples)
	entry := data[i*12:]
	if start {
		t.out[stscData] = data[i*12:]
		t.sampleToChunkEntries = uint32(entries)
		t.startChunk = targetChunk
		t.startChunkSamples = chunkSamples
		set32(entry, uint32(t.startChunk+1))
		samples -= uint32(chunkSamples)
	} else {
		if startSample != 0 {
			t.out[stscData] = data[:(i+1)*12]
			t.sampleToChunkEntries -= uint32(entries - 1)
			t.endChunkSamples = uint64(samples)
		} else {
			t.out[stscData] = data[:i*12]
			t.sampleToChunkEntries -= uint32(entries)
			t.endChunkSamples = uint64(prevSamples)
		}
		if chunkSamples != 0 {
			t.endChunk = targetChunk + 1
			t.endChunkSamples = chunkSamples
		} else {
			t.endChunk = targetChunk
		}
		samples = uint32(chunkSamples)
		nextChunk = chunk + 1
	}
	switch {
	case chunkSamples != 0 && uint64(nextChunk)-targetChunk == 2:
		set32(entry[4:], samples)
	case chunkSamples != 0 && start:
		// the first chunk is entered partly: an entry of its own
		e := t.stscFirst[:]
		set32(e, 1)
		set32(e[4:], samples)
		set32(e[8:], id)
		t.out[stscStart] = e
		set32(entry, uint32(t.startChunk+2))
		t.sampleToChunkEntries++
	case chunkSamples != 0:
		e := t.stscLast[:]
		set32(e, uint32(t.endChunk-t.startChunk))
		set32(e[4:], samples)
		set32(e[8:], id)
		t.out[stscEnd] = e
		t.sampleToChunkEntries++
	}
	return ok
}

// updateStsz cuts the sample sizes and sums the sizes of the samples of
// the first and last chunks that are left out.
func (m *movie) updateStsz(t *trak) result {
	if t.out[stszData] == nil {
		return ok
	}
	table := t.stszTable
	entries := t.sampleSizesEntries
	if t.startSample >= uint64(entries) {
		return m.errf("start time is out mp4 stsz samples in \"%s\"")
	}
	entries -= uint32(t.startSample)
	pos := t.startSample * 4
	if t.startChunkSamples > t.startSample {
		return m.errf("too large mp4 start samples size in \"%s\"")
	}
	for p := pos - t.startChunkSamples*4; p < pos; p += 4 {
		t.startChunkSamplesSize += uint64(get32(table[p:]))
	}
	if t.startChunkSamplesSize > uint64(m.end) {
		return m.errf("too large mp4 start samples size in \"%s\"")
	}
	last := uint64(len(table))
	if m.length != 0 {
		if t.endSample-t.startSample > uint64(entries) {
			return m.errf("end time is out mp4 stsz samples in \"%s\"")
		}
		entries = uint32(t.endSample - t.startSample)
		last = pos + uint64(entries)*4
		if t.endChunkSamples*4 > last {
			return m.errf("too large mp4 end samples size in \"%s\"")
		}
		for p := last - t.endChunkSamples*4; p < last; p += 4 {
			t.endChunkSamplesSize += uint64(get32(table[p:]))
		}
		if t.endChunkSamplesSize > uint64(m.end) {
			return m.errf("too large mp4 end samples size in \"%s\"")
		}
	}
	t.out[stszData] = table[pos:last]
	atomSize := 20 + last - pos
	t.size += atomSize
	h := t.out[stszAtom]
	set32(h, uint32(atomSize))
	set32(h[16:], entries)
	return ok
}

// updateChunks cuts the chunk offsets (stco, or co64 when wide), which
// finds the file range of the new mdat.
func (m *movie) updateChunks(t *trak) result {
	atom, slot, width, name := stcoAtom, stcoData, uint64(4), "stco"
	if t.out[co64Data] != nil {
		atom, slot, width, name = co64Atom, co64Data, 8, "co64"
	}
	data := t.out[slot]
	if data == nil {
		return m.errf("no mp4 " + name + " atoms were found in \"%s\"")
	}
	if t.startChunk >= uint64(t.chunks) {
		return m.errf("start time is out mp4 " + name + " chunks in \"%s\"")
	}
	get := func(b []byte) uint64 {
		if width == 4 {
			return uint64(get32(b))
		}
		return get64(b)
	}
	tooLarge := func(offset, samples uint64) bool {
		return offset > uint64(m.end)-samples || width == 4 && offset+samples > 0xffffffff
	}
	data = data[t.startChunk*width:]
	offset, samplesSize := get(data), t.startChunkSamplesSize
	if tooLarge(offset, samplesSize) {
		return m.errf("too large chunk offset in \"%s\"")
	}
	t.startOffset = int64(offset + samplesSize)
	if width == 4 {
		set32(data, uint32(t.startOffset))
	} else {
		set64(data, uint64(t.startOffset))
	}
	var entries uint64
	if m.length != 0 {
		if t.endChunk > uint64(t.chunks) {
			return m.errf("end time is out mp4 " + name + " chunks in \"%s\"")
		}
		entries = t.endChunk - t.startChunk
		if entries > uint64(len(data))/width {
			// nginx would send past the table here
			return m.errf("end time is out mp4 " + name + " chunks in \"%s\"")
		}
		data = data[:entries*width]
		if entries != 0 {
			offset, samplesSize = get(data[len(data)-int(width):]), t.endChunkSamplesSize
			if tooLarge(offset, samplesSize) {
				return m.errf("too large chunk offset in \"%s\"")
			}
			t.endOffset = int64(offset + samplesSize)
		}
	} else {
		entries = uint64(t.chunks) - t.startChunk
		t.endOffset = m.dataEnd
	}
	if entries == 0 {
		t.startOffset, t.endOffset = m.end, 0
	}
	t.out[slot] = data
	atomSize := 16 + uint64(len(data))
	t.size += atomSize
	h := t.out[atom]
	set32(h, uint32(atomSize))
	set32(h[12:], uint32(entries))
	return ok
}

// adjustChunks moves the chunk offsets by where the data now is.
func (t *trak) adjustChunks(adjustment int64) {
	if data := t.out[co64Data]; data != nil {
		for i := 0; i+8 <= len(data); i += 8 {
			set64(data[i:], get64(data[i:])+uint64(adjustment))
		}
		return
	}
	data := t.out[stcoData]
	for i := 0; i+4 <= len(data); i += 4 {
		set32(data[i:], get32(data[i:])+uint32(int32(adjustment)))
	}
}
