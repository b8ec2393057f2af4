package mp4

// The pieces of a track in the order they are sent; out[slot] nil means
// absent (NGX_HTTP_MP4_*_ATOM and _DATA).
const (
	trakAtom = iota
	tkhdAtom
	edtsAtom
	elstAtom
	mdiaAtom
	mdhdAtom
	hdlrAtom
	minfAtom
	vmhdAtom
	smhdAtom
	dinfAtom
	stblAtom
	stsdAtom
	sttsAtom
	sttsData
	stssAtom
	stssData
	cttsAtom
	cttsData
	stscAtom
	stscStart
	stscData
	stscEnd
	stszAtom
	stszData
	stcoAtom
	stcoData
	co64Atom
	co64Data
	numSlots
)

// trak is one track being cut (ngx_http_mp4_trak_t). The slices in out
// point into the movie's buffer, or into the track's own arrays for the
// atoms sluice writes (edts, elst, the extra stsc entries).
type trak struct {
	out [numSlots][]byte

	timescale                uint32
	timeToSampleEntries      uint32
	sampleToChunkEntries     uint32
	syncSamplesEntries       uint32
	compositionOffsetEntries uint32
	sampleSizesEntries       uint32
	chunks                   uint32

	startSample, endSample             uint64
	startChunk, endChunk               uint64
	startChunkSamples, endChunkSamples uint64
	startChunkSamplesSize              uint64
	endChunkSamplesSize                uint64

	duration      uint64
	prefix        uint64
	movieDuration uint64

	startOffset, endOffset int64

	tkhdSize, mdhdSize, hdlrSize, vmhdSize, smhdSize, dinfSize uint64
	// size is the size of the track atom as cut, summed up while cutting.
	size uint64

	// stszTable is the whole sample size table as read.
	stszTable []byte

	edts      [8]byte
	elst      [36]byte
	stscFirst [12]byte
	stscLast  [12]byte
}

// update* below write the sizes of the containers, innermost first, once
// their contents are cut.

func (t *trak) updateStbl() {
	t.size += 8
	set32(t.out[stblAtom], uint32(t.size))
}

func (t *trak) updateMinf() {
	t.size += 8 + t.vmhdSize + t.smhdSize + t.dinfSize
	set32(t.out[minfAtom], uint32(t.size))
}

func (t *trak) updateMdhd() {
	h := t.out[mdhdAtom]
	if h == nil {
		return
	}
	mdhdLayout.setDuration(h, t.duration)
	t.size += t.mdhdSize
}

func (t *trak) updateMdia() {
	t.size += 8
	set32(t.out[mdiaAtom], uint32(t.size))
}

// updateEdts adds an edit list that skips the samples before the start
// time that mp4_start_key_frame kept.
func (t *trak) updateEdts() {
	if t.prefix == 0 {
		return
	}
	set32(t.edts[:], 8+36)
	setName(t.edts[:], "edts")
	t.out[edtsAtom] = t.edts[:]
	e := t.elst[:]
	set32(e, 36)
	setName(e, "elst")
	e[8] = 1 // version 1: 64-bit duration and time
	e[9], e[10], e[11] = 0, 0, 0
	set32(e[12:], 1)
	set64(e[16:], t.movieDuration)
	set64(e[24:], t.prefix)
	e[32], e[33] = 0, 1 // media rate 1
	e[34], e[35] = 0, 0
	t.out[elstAtom] = e
	t.size += 8 + 36
}

func (t *trak) updateTrak() {
	t.size += 8
	set32(t.out[trakAtom], uint32(t.size))
}
