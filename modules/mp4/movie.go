package mp4

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/sluicehq/sluice/errlog"
)

// result is what a step of the cutting answers (nginx's NGX_OK,
// NGX_DECLINED, NGX_ERROR).
type result int

const (
	ok result = iota
	// declined: send the file as it is (moov before mdat and nothing to
	// cut), or, from a track's header, skip the track (it ends before the
	// start time).
	declined
	// failed: the file cannot be cut; the reason is logged, the answer is
	// 500.
	failed
)

// moovExcess is the room read past a moov atom that precedes mdat, so
// that mdat's header usually needs no further read
// (NGX_HTTP_MP4_MOOV_BUFFER_EXCESS).
const moovExcess = 4 * 1024

// logFunc writes an error_log line about the file being cut.
type logFunc func(lv errlog.Level, err error, format string, args ...any)

// movie is one MP4 file being cut (ngx_http_mp4_file_t). Its atoms are
// read through one buffer, as nginx reads them: the moov atom is read
// whole (up to maxBufferSize) and every table is then a slice of it,
// rewritten in place, and sent from it.
type movie struct {
	f    io.ReaderAt
	name string
	log  logFunc

	// bufferSize is mp4_buffer_size at first, then the size of the next
	// read; maxBufferSize is mp4_max_buffer_size.
	bufferSize, maxBufferSize int64
	startKeyFrame             bool

	// buf holds the bytes read last, from buf[bstart:bend], which are
	// the file's bytes from offset-(bpos-bstart); bpos is where parsing
	// is in them. buf is nil until the first read.
	buf                []byte
	bstart, bpos, bend int

	// offset is the file offset being parsed; end is the file's size.
	offset, end int64

	// start and length are the cut, in milliseconds (length 0: to the
	// end).
	start, length uint64

	timescale uint32
	// duration is the movie's before the cut, in timescale units.
	duration uint64
	traks    []*trak

	ftyp          []byte // the ftyp atom, copied out of the buffer
	moovSeen      bool
	moovSize      int64
	mvhd          []byte
	moovHeader    [8]byte
	mdatSeen      bool
	mdatHeader    [16]byte
	mdatHeaderLen int

	// dataStart and dataEnd are the file range of the new mdat's data
	// (first dataEnd is the end of the file's mdat atom).
	dataStart, dataEnd int64
	// contentLength is the length of the answer.
	contentLength int64
}

func get32(b []byte) uint32    { return binary.BigEndian.Uint32(b) }
func get64(b []byte) uint64    { return binary.BigEndian.Uint64(b) }
func set32(b []byte, v uint32) { binary.BigEndian.PutUint32(b, v) }
func set64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }

func setName(b []byte, name string) { copy(b[4:8], name) }

// errf logs an error-level line about the file; format's first verb is
// the file name.
func (m *movie) errf(format string, args ...any) result {
	m.log(errlog.Error, nil, format, append([]any{m.name}, args...)...)
	return failed
}

// read makes size bytes from the current offset available at bpos,
// reading bufferSize bytes (or what is left of the file) when the buffer
// does not have them (ngx_http_mp4_read).
func (m *movie) read(size int64) result {
	if m.buf != nil && int64(m.bpos)+size <= int64(m.bend) {
		return ok
	}
	if m.offset+m.bufferSize > m.end {
		m.bufferSize = m.end - m.offset
	}
	if m.bufferSize < size {
		return m.errf("\"%s\" mp4 file truncated")
	}
	if m.buf == nil || int64(m.bstart)+m.bufferSize > int64(len(m.buf)) {
		m.buf = make([]byte, m.bufferSize)
		m.bstart = 0
	}
	p := m.buf[m.bstart : m.bstart+int(m.bufferSize)]
	n, err := m.f.ReadAt(p, m.offset)
	if err != nil && err != io.EOF {
		m.log(errlog.Crit, err, "pread() \"%s\" failed", m.name)
		return failed
	}
	if n != len(p) {
		m.log(errlog.Crit, nil, "pread() read only %d of %d from \"%s\"", n, len(p), m.name)
		return failed
	}
	m.bpos, m.bend = m.bstart, m.bstart+len(p)
	return ok
}

// next moves past n bytes of the file, and as far in the buffer as it
// goes (ngx_mp4_atom_next).
func (m *movie) next(n uint64) {
	if n > uint64(m.bend-m.bpos) {
		m.bpos = m.bend
	} else {
		m.bpos += int(n)
	}
	m.offset += int64(n)
}

// atomHandler handles one kind of atom given the size of its data, which
// starts at bpos. withData: the data must be in the buffer.
type atomHandler struct {
	name     string
	handle   func(m *movie, size uint64) result
	withData bool
}

// readAtoms walks the atoms in the next size bytes, handing those it
// knows to their handler and skipping the others
// (ngx_http_mp4_read_atom). An atom of size 0 ends the walk.
func (m *movie) readAtoms(handlers []atomHandler, size uint64) result {
	end := m.offset + int64(size)
	for m.offset < end {
		if m.read(4) != ok {
			return failed
		}
		atomSize := uint64(get32(m.buf[m.bpos:]))
		headerSize := uint64(8)
		if atomSize == 0 {
			return ok
		}
		if atomSize < 8 {
			if atomSize != 1 {
				return m.errf("\"%s\" mp4 atom is too small:%d", atomSize)
			}
			if m.read(16) != ok {
				return failed
			}
			atomSize = get64(m.buf[m.bpos+8:])
			headerSize = 16
			if atomSize < 16 {
				return m.errf("\"%s\" mp4 atom is too small:%d", atomSize)
			}
		}
		if m.read(8) != ok {
			return failed
		}
		name := m.buf[m.bpos+4 : m.bpos+8]
		if atomSize > uint64(math.MaxInt64-m.offset) || m.offset+int64(atomSize) > end {
			return m.errf("\"%s\" mp4 atom too large:%d", atomSize)
		}
		h := find(handlers, name)
		if h == nil {
			m.next(atomSize)
			continue
		}
		m.next(headerSize)
		dataSize := atomSize - headerSize
		if h.withData && dataSize > uint64(m.bend-m.bpos) {
			// nginx would read past its buffer here; sluice refuses.
			return m.errf("\"%s\" mp4 atom too large:%d", atomSize)
		}
		if rc := h.handle(m, dataSize); rc != ok {
			return rc
		}
	}
	return ok
}

func find(handlers []atomHandler, name []byte) *atomHandler {
	for i := range handlers {
		if string(name) == handlers[i].name {
			return &handlers[i]
		}
	}
	return nil
}

// header is where the current atom's header starts in the buffer: the
// 8 bytes before its data (for a 64-bit size, the last 8 of the 16, as
// in nginx).
func (m *movie) header() int { return m.bpos - 8 }

// lastTrak is the track being read.
func (m *movie) lastTrak() *trak { return m.traks[len(m.traks)-1] }
