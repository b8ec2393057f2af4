package mp4_test

import (
	"encoding/binary"

	"github.com/sluicehq/sluice/modules/mp4/mp4build"
)

func video() mp4build.Track { return mp4build.Video() }

func audio() mp4build.Track { return mp4build.Audio() }

// movies are the well-formed files the tests serve, by name.
func movies() map[string][]byte {
	withCtts := video()
	for i := range withCtts.Sizes {
		withCtts.Composition = append(withCtts.Composition, uint32(512*(1+i%3)))
	}
	uniform := audio()
	for i := range uniform.Sizes {
		uniform.Sizes[i] = 24
	}
	uniform.Uniform = true
	odd := video()
	odd.Durations[100] = 300 // a second stts run
	odd.PerChunk = []int{1, 7, 2, 2}
	return map[string][]byte{
		"moovlast.mp4":  mp4build.Movie{Timescale: 1000, Tracks: []mp4build.Track{video(), audio()}}.Bytes(),
		"moovfirst.mp4": mp4build.Movie{Timescale: 1000, MoovFirst: true, Tracks: []mp4build.Track{video(), audio()}}.Bytes(),
		"co64.mp4":      mp4build.Movie{Timescale: 600, Co64: true, Tracks: []mp4build.Track{video(), audio()}}.Bytes(),
		"ctts.mp4":      mp4build.Movie{Timescale: 1000, MoovFirst: true, Tracks: []mp4build.Track{withCtts}}.Bytes(),
		"v1.mp4":        mp4build.Movie{Timescale: 90000, Version1: true, NoFtyp: true, Tracks: []mp4build.Track{audio(), video()}}.Bytes(),
		"uniform.mp4":   mp4build.Movie{Timescale: 1000, Tracks: []mp4build.Track{uniform}}.Bytes(),
		"odd.mp4":       mp4build.Movie{Timescale: 1000, Tracks: []mp4build.Track{odd, audio()}}.Bytes(),
	}
}

// corrupt is a fault: a well-formed file changed by f.
type corrupt struct {
	name string
	f    func([]byte) []byte
}

// put32 writes v at the offset of the atom at path plus delta.
func put32(b []byte, v uint32, delta int, path ...string) []byte {
	b = append([]byte(nil), b...)
	p := mp4build.Find(b, path...)
	if p < 0 {
		panic("no atom " + path[len(path)-1])
	}
	binary.BigEndian.PutUint32(b[p+delta:], v)
	return b
}

// widen gives the atom at path a 64-bit size (a 16-byte header), the
// sizes of the atoms around it growing by 8.
func widen(b []byte, path ...string) []byte {
	p := mp4build.Find(b, path...)
	if p < 0 {
		panic("no atom " + path[len(path)-1])
	}
	var parents []int
	for i := 1; i < len(path); i++ {
		parents = append(parents, mp4build.Find(b, path[:i]...))
	}
	for _, a := range parents {
		binary.BigEndian.PutUint32(b[a:], binary.BigEndian.Uint32(b[a:])+8)
	}
	size := binary.BigEndian.Uint32(b[p:])
	out := append([]byte(nil), b[:p]...)
	out = binary.BigEndian.AppendUint32(out, 1)
	out = append(out, b[p+4:p+8]...)
	out = binary.BigEndian.AppendUint64(out, uint64(size)+8)
	return append(out, b[p+8:]...)
}

var stbl = []string{"moov", "trak", "mdia", "minf", "stbl"}

func in(path []string, name string) []string { return append(append([]string(nil), path...), name) }

// faults are malformed files, made from moovlast.mp4 (or moovfirst.mp4
// where the name says so).
var faults = []corrupt{
	{"truncated.mp4", func(b []byte) []byte { return b[:len(b)-100] }},
	{"truncated-header.mp4", func(b []byte) []byte { return b[:len(b)-len(b)+6] }},
	{"zero-size-moov.mp4", func(b []byte) []byte { return put32(b, 0, 0, "moov") }},
	{"small-atom.mp4", func(b []byte) []byte { return put32(b, 5, 0, "moov") }},
	{"moov-past-end.mp4", func(b []byte) []byte { return put32(b, 0x7fffffff, 0, "moov") }},
	{"mdat-past-end.mp4", func(b []byte) []byte { return put32(b, 0x7fffffff, 0, "mdat") }},
	{"no-mdat.mp4", func(b []byte) []byte { return put32(b, 0x66726565, 4, "mdat") }},      // "free"
	{"no-moov.mp4", func(b []byte) []byte { return put32(b, 0x66726565, 4, "moov") }},      // "free"
	{"cmov.mp4", func(b []byte) []byte { return put32(b, 0x636d6f76, 4, "moov", "mvhd") }}, // "cmov"
	{"stts-count.mp4", func(b []byte) []byte { return put32(b, 0xffff, 12, in(stbl, "stts")...) }},
	{"stsc-count.mp4", func(b []byte) []byte { return put32(b, 0, 12, in(stbl, "stsc")...) }},
	{"stco-zero.mp4", func(b []byte) []byte { return put32(b, 0, 12, in(stbl, "stco")...) }},
	{"stsz-count.mp4", func(b []byte) []byte { return put32(b, 3, 16, in(stbl, "stsz")...) }},
	{"stsc-zero-chunk.mp4", func(b []byte) []byte { return put32(b, 0, 16, in(stbl, "stsc")...) }},
	{"stsc-zero-samples.mp4", func(b []byte) []byte { return put32(b, 0, 20, in(stbl, "stsc")...) }},
	{"stss-zero.mp4", func(b []byte) []byte { return put32(b, 0, 16, in(stbl, "stss")...) }},
	{"mvhd-small.mp4", func(b []byte) []byte { return put32(b, 50, 0, "moov", "mvhd") }},
	{"chunk-offset.mp4", func(b []byte) []byte { return put32(b, 0xfffffff0, 16, in(stbl, "stco")...) }},
	{"no-stts.mp4", func(b []byte) []byte { return put32(b, 0x66726565, 4, in(stbl, "stts")...) }},
	{"no-stsc.mp4", func(b []byte) []byte { return put32(b, 0x66726565, 4, in(stbl, "stsc")...) }},
	{"no-stco.mp4", func(b []byte) []byte { return put32(b, 0x66726565, 4, in(stbl, "stco")...) }},
	{"dup-mvhd.mp4", func(b []byte) []byte {
		return put32(b, 0x6d766864, 4, "moov", "trak") // the first trak renamed "mvhd"
	}},
	{"mdat64.mp4", func(b []byte) []byte { return widen(append([]byte(nil), b...), "mdat") }},
	{"trak64.mp4", func(b []byte) []byte { return widen(append([]byte(nil), b...), "moov", "trak") }},
	{"stts64.mp4", func(b []byte) []byte { return widen(append([]byte(nil), b...), in(stbl, "stts")...) }},
	{"moov64.mp4", func(b []byte) []byte { return widen(append([]byte(nil), b...), "moov") }},
	{"ftyp-big.mp4", func(b []byte) []byte { return put32(b, 2000, 0, "ftyp") }},
}
