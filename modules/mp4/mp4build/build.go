// Package mp4build writes small MP4 files for the mp4 module's tests:
// ftyp, a moov with its tracks' sample tables, and mdat with the
// samples, the moov before or after mdat, with 32- or 64-bit chunk
// offsets. Each sample's bytes say which track and sample they are, so
// a test can see which samples an answer carries.
package mp4build

import (
	"encoding/binary"
	"fmt"
)

// Track is one track of a movie.
type Track struct {
	// Video makes a video track (vmhd, "vide"); otherwise audio (smhd,
	// "soun").
	Video bool
	// Timescale is the track's media timescale (mdhd).
	Timescale uint32
	// Durations and Sizes are each sample's duration (in Timescale
	// units) and size in bytes; they have the same length.
	Durations, Sizes []uint32
	// Uniform writes stsz with one size for every sample (Sizes must all
	// be equal to it).
	Uniform bool
	// PerChunk is how many samples each chunk holds, cycling (a chunk
	// takes what is left at the end).
	PerChunk []int
	// Sync lists the key frames, numbered from 1; nil writes no stss.
	Sync []uint32
	// Composition is each sample's composition offset; nil writes no
	// ctts.
	Composition []uint32
}

// Movie is an MP4 file.
type Movie struct {
	Tracks []Track
	// Timescale is the movie's timescale (mvhd).
	Timescale uint32
	// MoovFirst puts moov before mdat.
	MoovFirst bool
	// Co64 writes 64-bit chunk offsets.
	Co64 bool
	// Version1 writes mvhd, tkhd and mdhd with 64-bit times.
	Version1 bool
	// NoFtyp leaves ftyp out.
	NoFtyp bool
}

// Box is an atom: its size, name and payload.
func Box(name string, payload ...[]byte) []byte {
	n := 8
	for _, p := range payload {
		n += len(p)
	}
	b := make([]byte, 8, n)
	binary.BigEndian.PutUint32(b, uint32(n))
	copy(b[4:], name)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func u32(v ...uint32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return b
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// fullHeader is a full atom's version and flags.
func fullHeader(version byte) []byte { return []byte{version, 0, 0, 0} }

// Sample is the content of sample i (from 0) of track t.
func Sample(t, i int, size uint32) []byte {
	b := make([]byte, size)
	tag := fmt.Sprintf("[t%d s%d]", t, i)
	for j := range b {
		b[j] = tag[j%len(tag)]
	}
	return b
}

// chunks splits track's samples into chunks: the first sample of each.
func (t *Track) chunks() []int {
	var firsts []int
	for i, k := 0, 0; i < len(t.Sizes); k++ {
		firsts = append(firsts, i)
		i += t.PerChunk[k%len(t.PerChunk)]
	}
	return firsts
}

func (t *Track) duration() uint64 {
	var d uint64
	for _, x := range t.Durations {
		d += uint64(x)
	}
	return d
}

// Bytes writes the file.
func (m Movie) Bytes() []byte {
	// lay the chunks out in mdat, track by track, chunk k of each in turn
	type chunkPos struct{ track, first, n int }
	var order []chunkPos
	firsts := make([][]int, len(m.Tracks))
	for ti := range m.Tracks {
		firsts[ti] = m.Tracks[ti].chunks()
	}
	for k := 0; ; k++ {
		more := false
		for ti := range m.Tracks {
			f := firsts[ti]
			if k < len(f) {
				more = true
				end := len(m.Tracks[ti].Sizes)
				if k+1 < len(f) {
					end = f[k+1]
				}
				order = append(order, chunkPos{ti, f[k], end - f[k]})
			}
		}
		if !more {
			break
		}
	}
	var data []byte
	rel := make([][]uint64, len(m.Tracks))
	for _, c := range order {
		rel[c.track] = append(rel[c.track], uint64(len(data)))
		t := &m.Tracks[c.track]
		for i := c.first; i < c.first+c.n; i++ {
			data = append(data, Sample(c.track, i, t.Sizes[i])...)
		}
	}
	var ftyp []byte
	if !m.NoFtyp {
		ftyp = Box("ftyp", []byte("isom"), u32(512), []byte("isomiso2mp41"))
	}
	moov := m.moov(rel, 0)
	base := uint64(len(ftyp)) + 8
	if m.MoovFirst {
		base += uint64(len(moov))
	}
	moov = m.moov(rel, base)
	mdat := Box("mdat", data)
	out := append([]byte{}, ftyp...)
	if m.MoovFirst {
		return append(append(out, moov...), mdat...)
	}
	return append(append(out, mdat...), moov...)
}

func (m Movie) moov(rel [][]uint64, base uint64) []byte {
	var longest uint64
	for _, t := range m.Tracks {
		d := t.duration() * uint64(m.Timescale) / uint64(t.Timescale)
		longest = max(longest, d)
	}
	v := byte(0)
	if m.Version1 {
		v = 1
	}
	matrix := u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
	var mvhd []byte
	if m.Version1 {
		mvhd = Box("mvhd", fullHeader(v), u64(1), u64(2), u32(m.Timescale), u64(longest),
			u32(0x10000), []byte{1, 0}, make([]byte, 10), matrix, make([]byte, 24), u32(uint32(len(m.Tracks)+1)))
	} else {
		mvhd = Box("mvhd", fullHeader(v), u32(1, 2, m.Timescale, uint32(longest), 0x10000), []byte{1, 0},
			make([]byte, 10), matrix, make([]byte, 24), u32(uint32(len(m.Tracks)+1)))
	}
	parts := [][]byte{mvhd}
	for ti := range m.Tracks {
		parts = append(parts, m.trak(ti, rel[ti], base, v, matrix))
	}
	parts = append(parts, Box("udta", Box("name", []byte("test"))))
	return Box("moov", parts...)
}

func (m Movie) trak(ti int, rel []uint64, base uint64, v byte, matrix []byte) []byte {
	t := &m.Tracks[ti]
	d := t.duration()
	movieD := d * uint64(m.Timescale) / uint64(t.Timescale)
	var tkhd, mdhd []byte
	wh := u32(320<<16, 240<<16)
	if v == 1 {
		tkhd = Box("tkhd", []byte{1, 0, 0, 3}, u64(1), u64(2), u32(uint32(ti+1), 0), u64(movieD), make([]byte, 8),
			make([]byte, 8), matrix, wh)
		mdhd = Box("mdhd", fullHeader(1), u64(1), u64(2), u32(t.Timescale), u64(d), []byte{0x55, 0xc4, 0, 0})
	} else {
		tkhd = Box("tkhd", []byte{0, 0, 0, 3}, u32(1, 2, uint32(ti+1), 0, uint32(movieD)), make([]byte, 8),
			make([]byte, 8), matrix, wh)
		mdhd = Box("mdhd", fullHeader(0), u32(1, 2, t.Timescale, uint32(d)), []byte{0x55, 0xc4, 0, 0})
	}
	handler, mhd, entry := "soun", Box("smhd", fullHeader(0), make([]byte, 4)), Box("mp4a", make([]byte, 28))
	if t.Video {
		handler, mhd, entry = "vide", Box("vmhd", []byte{0, 0, 0, 1}, make([]byte, 8)), Box("avc1", make([]byte, 78))
	}
	hdlr := Box("hdlr", fullHeader(0), u32(0), []byte(handler), make([]byte, 12), []byte("handler\x00"))
	dinf := Box("dinf", Box("dref", fullHeader(0), u32(1), Box("url ", []byte{0, 0, 0, 1})))
	stbl := [][]byte{Box("stsd", fullHeader(0), u32(1), entry), m.stts(t)}
	if t.Sync != nil {
		stbl = append(stbl, Box("stss", fullHeader(0), u32(uint32(len(t.Sync))), u32(t.Sync...)))
	}
	if t.Composition != nil {
		stbl = append(stbl, runs("ctts", t.Composition))
	}
	stbl = append(stbl, stsc(t), stsz(t), m.offsets(rel, base))
	stbl = append(stbl, Box("sgpd", fullHeader(1), []byte("roll"), u32(2, 1), []byte{0, 1}))
	minf := Box("minf", mhd, dinf, Box("stbl", stbl...))
	mdia := Box("mdia", mdhd, hdlr, minf)
	return Box("trak", tkhd, mdia)
}

func (m Movie) stts(t *Track) []byte { return runs("stts", t.Durations) }

// runs writes a run-length table of (count, value) entries.
func runs(name string, values []uint32) []byte {
	var entries []uint32
	for i := 0; i < len(values); {
		j := i
		for j < len(values) && values[j] == values[i] {
			j++
		}
		entries = append(entries, uint32(j-i), values[i])
		i = j
	}
	return Box(name, fullHeader(0), u32(uint32(len(entries)/2)), u32(entries...))
}

func stsc(t *Track) []byte {
	f := t.chunks()
	var entries []uint32
	last := -1
	for k := range f {
		end := len(t.Sizes)
		if k+1 < len(f) {
			end = f[k+1]
		}
		n := end - f[k]
		if n != last {
			entries = append(entries, uint32(k+1), uint32(n), 1)
			last = n
		}
	}
	return Box("stsc", fullHeader(0), u32(uint32(len(entries)/3)), u32(entries...))
}

func stsz(t *Track) []byte {
	if t.Uniform {
		return Box("stsz", fullHeader(0), u32(t.Sizes[0], uint32(len(t.Sizes))))
	}
	return Box("stsz", fullHeader(0), u32(0, uint32(len(t.Sizes))), u32(t.Sizes...))
}

func (m Movie) offsets(rel []uint64, base uint64) []byte {
	var b []byte
	if m.Co64 {
		for _, r := range rel {
			b = append(b, u64(base+r)...)
		}
		return Box("co64", fullHeader(0), u32(uint32(len(rel))), b)
	}
	for _, r := range rel {
		b = append(b, u32(uint32(base+r))...)
	}
	return Box("stco", fullHeader(0), u32(uint32(len(rel))), b)
}

// Find answers the offset of the first atom at path ("moov/trak/mdia")
// in file, or -1.
func Find(file []byte, path ...string) int {
	off, end := 0, len(file)
	for depth, name := range path {
		found := -1
		for p := off; p+8 <= end; {
			size := int(binary.BigEndian.Uint32(file[p:]))
			if size < 8 || p+size > end {
				return -1
			}
			if string(file[p+4:p+8]) == name {
				found = p
				if depth+1 < len(path) {
					off, end = p+8, p+size
				}
				break
			}
			p += size
		}
		if found < 0 {
			return -1
		}
		if depth+1 == len(path) {
			return found
		}
	}
	return -1
}

// Video is a 10 s, 25 fps video track with a key frame every second and
// chunks of 3, 4 and 5 frames of 60 to 149 bytes.
func Video() Track {
	t := Track{Video: true, Timescale: 12800, PerChunk: []int{3, 4, 5}}
	for i := range 250 {
		t.Durations = append(t.Durations, 512)
		t.Sizes = append(t.Sizes, uint32(60+(i*37)%90))
		if i%25 == 0 {
			t.Sync = append(t.Sync, uint32(i+1))
		}
	}
	return t
}

// Audio is a 10 s audio track of 1024-sample frames at 8 kHz (the last
// one shorter), in chunks of 4 and 6 frames.
func Audio() Track {
	t := Track{Timescale: 8000, PerChunk: []int{4, 6}}
	for i := range 79 {
		t.Durations = append(t.Durations, 1024)
		t.Sizes = append(t.Sizes, uint32(20+i%7))
	}
	t.Durations[78] = 128
	return t
}
