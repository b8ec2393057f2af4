package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/modules/mp4/mp4build"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
	}{
		{"empty", "", -1},
		{"seconds", "12", 12000},
		{"zero", "0", 0},
		{"fraction", "2.5", 2500},
		{"three decimals", "1.234", 1234},
		{"more decimals ignored", "1.23456789", 1234},
		{"leading dot", ".5", 500},
		{"trailing dot", "3.", 3000},
		{"two dots", "1.2.3", -1},
		{"sign", "-1", -1},
		{"plus", "+1", -1},
		{"letter", "1x", -1},
		{"letter after ignored digits", "1.2345x", -1},
		{"largest", "9223372036854775.807", 9223372036854775807},
		{"too large", "9223372036854775.808", -1},
		{"too large to scale", "9223372036854776", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseTime([]byte(tc.in)); got != tc.want {
				t.Errorf("parseTime(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

// testVideo is mp4build.Video with composition offsets.
func testVideo() mp4build.Track {
	t := mp4build.Video()
	for i := range t.Sizes {
		t.Composition = append(t.Composition, uint32(512*(i%3)))
	}
	return t
}

func testAudio() mp4build.Track { return mp4build.Audio() }

// runCut cuts file and answers the whole answer, or the error lines.
func runCut(t testing.TB, file []byte, start, length uint64, key bool) ([]byte, result, []string) {
	var lines []string
	log := func(lv errlog.Level, err error, format string, args ...any) {
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	cf := cutConf{bufferSize: 512 * 1024, maxBufferSize: 10 * 1024 * 1024, startKeyFrame: key}
	c, rc := cutMovie(bytes.NewReader(file), "f.mp4", int64(len(file)), start, length, cf, log)
	if rc != ok {
		return nil, rc, lines
	}
	var out []byte
	for _, p := range c.Head {
		out = append(out, p...)
	}
	if c.DataStart < 0 || c.DataEnd > int64(len(file)) || c.DataStart >= c.DataEnd {
		t.Fatalf("data range [%d, %d) of a %d-byte file", c.DataStart, c.DataEnd, len(file))
	}
	out = append(out, file[c.DataStart:c.DataEnd]...)
	if int64(len(out)) != c.ContentLength {
		t.Fatalf("content length %d, answer of %d bytes", c.ContentLength, len(out))
	}
	return out, ok, lines
}

// table answers the entries of the sample table atom at path in file
// (after the 16- or 20-byte header).
func table(t testing.TB, file []byte, trak int, name string) (entries []byte, count uint32) {
	p := mp4build.Find(file, "moov")
	end := p + int(binary.BigEndian.Uint32(file[p:]))
	p += 8
	for i := 0; ; {
		size := int(binary.BigEndian.Uint32(file[p:]))
		if string(file[p+4:p+8]) == "trak" {
			if i == trak {
				break
			}
			i++
		}
		p += size
		if p >= end {
			t.Fatalf("no trak %d", trak)
		}
	}
	sub := file[p : p+int(binary.BigEndian.Uint32(file[p:]))]
	a := mp4build.Find(sub, "trak", "mdia", "minf", "stbl", name)
	if a < 0 {
		return nil, 0
	}
	size := int(binary.BigEndian.Uint32(sub[a:]))
	h := 16
	if name == "stsz" {
		h = 20
	}
	return sub[a+h : a+size], binary.BigEndian.Uint32(sub[a+h-4:])
}

// checkSamples walks a track of the answer through its stsc, stsz and
// stco/co64 and checks that every sample is where they say, as the
// builder wrote it, the samples following each other from first.
func checkSamples(t *testing.T, out []byte, trak, track int, first uint32) (n uint32) {
	stsc, _ := table(t, out, trak, "stsc")
	stsz, count := table(t, out, trak, "stsz")
	offsets, chunks := table(t, out, trak, "stco")
	width := 4
	if offsets == nil {
		offsets, chunks = table(t, out, trak, "co64")
		width = 8
	}
	if len(stsz) != 4*int(count) || len(offsets) != width*int(chunks) {
		t.Fatalf("track %d: stsz %d bytes for %d samples, offsets %d bytes for %d chunks", trak, len(stsz), count, len(offsets), chunks)
	}
	sample := uint32(0)
	for e := 0; e+12 <= len(stsc); e += 12 {
		firstChunk := binary.BigEndian.Uint32(stsc[e:])
		perChunk := binary.BigEndian.Uint32(stsc[e+4:])
		lastChunk := chunks + 1
		if e+24 <= len(stsc) {
			lastChunk = binary.BigEndian.Uint32(stsc[e+12:])
		}
		for c := firstChunk; c < lastChunk; c++ {
			var off uint64
			if width == 4 {
				off = uint64(binary.BigEndian.Uint32(offsets[(c-1)*4:]))
			} else {
				off = binary.BigEndian.Uint64(offsets[(c-1)*8:])
			}
			for range perChunk {
				size := binary.BigEndian.Uint32(stsz[sample*4:])
				want := mp4build.Sample(track, int(first+sample), size)
				if off+uint64(size) > uint64(len(out)) || !bytes.Equal(out[off:off+uint64(size)], want) {
					t.Fatalf("track %d sample %d (chunk %d at %d): not %q", trak, first+sample, c, off, want[:min(len(want), 10)])
				}
				off += uint64(size)
				sample++
			}
		}
	}
	if sample != count {
		t.Fatalf("track %d: stsc covers %d samples, stsz has %d", trak, sample, count)
	}
	return sample
}

func TestCutSamples(t *testing.T) {
	movies := map[string]mp4build.Movie{
		"moov last":  {Timescale: 1000, Tracks: []mp4build.Track{testVideo(), testAudio()}},
		"moov first": {Timescale: 1000, MoovFirst: true, Tracks: []mp4build.Track{testVideo(), testAudio()}},
		"co64":       {Timescale: 1000, Co64: true, Tracks: []mp4build.Track{testAudio(), testVideo()}},
		"version 1":  {Timescale: 1000, Version1: true, NoFtyp: true, Tracks: []mp4build.Track{testVideo()}},
	}
	cuts := []struct {
		name          string
		start, length uint64
		key           bool
		// video's first sample, or -1: audio only
		first int
	}{
		{"from 0", 0, 0, false, 0},
		{"from 2 s", 2000, 0, false, 50},
		{"from 2.5 s", 2500, 0, false, 62},
		{"key frame before 2.5 s", 2500, 0, true, 50},
		{"key frame at 3 s", 3000, 0, true, 75},
		{"2 s to 5.5 s", 2000, 3500, false, 50},
		{"key 1.1 s for 1 s", 1100, 1000, true, 25},
		{"last frame", 9960, 0, false, 249},
		{"first frame only", 0, 40, false, 0},
	}
	for mname, mv := range movies {
		file := mv.Bytes()
		for _, c := range cuts {
			t.Run(mname+"/"+c.name, func(t *testing.T) {
				out, rc, lines := runCut(t, file, c.start, c.length, c.key)
				if rc == declined && mv.MoovFirst && c.start == 0 && c.length == 0 {
					return // sent as it is
				}
				if rc != ok {
					t.Fatalf("cut failed: %v", lines)
				}
				for i, tr := range mv.Tracks {
					first := uint32(0)
					if tr.Video {
						first = uint32(c.first)
					} else {
						first = uint32(c.start * 8000 / 1000 / 1024)
					}
					n := checkSamples(t, out, i, i, first)
					if tr.Video && c.length != 0 {
						end := (c.start + c.length) * 25 / 1000
						if uint64(first)+uint64(n) != end {
							t.Errorf("video samples %d..%d, want up to %d", first, first+n, end)
						}
					}
					if tr.Video {
						stss, _ := table(t, out, i, "stss")
						if first%25 == 0 && (len(stss) == 0 || binary.BigEndian.Uint32(stss) != 1) {
							t.Errorf("starts on a key frame, stss does not say so")
						}
						if c.key && uint64(first)*40 < c.start {
							if mp4build.Find(out, "moov", "trak", "edts", "elst") < 0 && i == 0 {
								t.Errorf("no edit list after a start on the key frame before")
							}
						}
					}
				}
			})
		}
	}
}

func TestCutFaults(t *testing.T) {
	good := mp4build.Movie{Timescale: 1000, Tracks: []mp4build.Track{testVideo(), testAudio()}}.Bytes()
	tests := []struct {
		name  string
		file  []byte
		start uint64
		want  string
	}{
		{"past the end", good, 20000, `"f.mp4" mp4 start time exceeds file duration`},
		{"empty", nil, 1000, `no mp4 trak atoms were found in "f.mp4"`},
		{"truncated", good[:len(good)-1], 1000, `"f.mp4" mp4 atom too large:`},
		{"header cut", good[:3], 1000, `"f.mp4" mp4 file truncated`},
		{"64-bit size too small", append([]byte{0, 0, 0, 1, 'f', 'r', 'e', 'e', 0, 0, 0, 0, 0, 0, 0, 9}, good...), 1000, `"f.mp4" mp4 atom is too small:9`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rc, lines := runCut(t, tc.file, tc.start, 0, false)
			if rc != failed || len(lines) != 1 || !bytes.HasPrefix([]byte(lines[0]), []byte(tc.want)) {
				t.Errorf("rc %d, log %q, want %q", rc, lines, tc.want)
			}
		})
	}
}

// FuzzCut cuts any file at any time: no panic, and a cut answer is
// consistent (its length, its data range inside the file).
func FuzzCut(f *testing.F) {
	v := mp4build.Track{Video: true, Timescale: 25, PerChunk: []int{2, 3}, Sync: []uint32{1, 6}}
	a := mp4build.Track{Timescale: 10, PerChunk: []int{3}}
	for i := range 10 {
		v.Durations, v.Sizes = append(v.Durations, 5), append(v.Sizes, uint32(3+i%3))
		v.Composition = append(v.Composition, uint32(i%2))
		a.Durations, a.Sizes = append(a.Durations, 2), append(a.Sizes, 4)
	}
	a.Uniform = true
	for _, mv := range []mp4build.Movie{
		{Timescale: 1000, Tracks: []mp4build.Track{v, a}},
		{Timescale: 1000, MoovFirst: true, Co64: true, Tracks: []mp4build.Track{a}},
	} {
		f.Add(mv.Bytes(), uint32(500), uint32(0), false)
		f.Add(mv.Bytes(), uint32(300), uint32(1000), true)
	}
	f.Fuzz(func(t *testing.T, file []byte, start, length uint32, key bool) {
		runCut(t, file, uint64(start), uint64(length), key)
	})
}

// FuzzParseTime: a value parsed is the number written, in milliseconds.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1", "2.5", "1.23456", ".", "", "1.2.3", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := parseTime([]byte(s))
		if v < -1 {
			t.Fatalf("parseTime(%q) = %d", s, v)
		}
		if v >= 0 && (len(s) == 0 || bytes.ContainsFunc([]byte(s), func(r rune) bool { return r != '.' && (r < '0' || r > '9') })) {
			t.Fatalf("parseTime(%q) = %d for a non-number", s, v)
		}
	})
}
