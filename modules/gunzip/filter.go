package gunzip

import (
	"compress/gzip"
	"errors"
	"io"
	"iter"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/buf"
)

// The decompressor is Go's compress/gzip, which pulls its input through an
// io.Reader, while a body filter is pushed its input a piece at a time.
// The decompressor runs as a coroutine (iter.Pull) over a source that,
// when it has no bytes left, suspends the coroutine and hands control back
// to the filter ("evInput"); the next piece resumes it. It also suspends
// when all gunzip_buffers are full ("evFull"), for the filter to send them,
// and ends with "evEnd", its outcome in ctx.err. Everything runs on the
// request's goroutine: the coroutine only ever runs while the filter waits
// for it.

// event is what the decompressor stops for.
type event uint8

const (
	evInput event = iota // the input is used up
	evFull               // every output buffer is full
	evEnd                // the compressed data ended, see ctx.err
)

// zlib's flush values and return codes, for nginx's log lines.
const (
	zNoFlush   = 0
	zSyncFlush = 2
	zFinish    = 4
	zDataError = -3
	zBufError  = -5
)

var (
	// errTruncated: the body ended inside a gzip member (zlib's
	// Z_BUF_ERROR at Z_FINISH).
	errTruncated = errors.New("gunzip: truncated")
	// errData: the bytes are not gzip (zlib's Z_DATA_ERROR: a bad header,
	// a corrupt deflate stream, a checksum or length mismatch, or trailing
	// bytes that do not start another gzip member).
	errData = errors.New("gunzip: data error")
	// errStopped: the coroutine was stopped (the response ended early).
	errStopped = errors.New("gunzip: stopped")
)

// ctx is the state of one response being decompressed. It comes from
// ctxPool and goes back there when the request ends (Release).
//
// Output goes into buffers of gunzip_buffers' size, at most gunzip_buffers'
// number of them: full buffers are sent when the input given is used up,
// or as soon as all of them are full. Sending is synchronous (see
// httpd.Chain), so the buffers are free again when the next filters
// return.
type ctx struct {
	r    *httpd.Request
	size int
	num  int

	in     []httpd.Piece
	reader httpd.PieceReader
	src    source
	// flush is zlib's flush value for the bytes being fed (for the log
	// line): Z_FINISH for the last piece of the body, Z_SYNC_FLUSH for the
	// last piece of a flushed chain, Z_NO_FLUSH otherwise.
	flush int

	zr      *gzip.Reader
	seq     iter.Seq[event]
	next    func() (event, bool)
	stop    func()
	yield   func(event) bool
	stopped bool
	ended   bool
	// err is the decompressor's outcome once ended: nil for a clean end.
	err error
	hdr [4]byte

	// full are buffers filled up to size, cur the one being filled (nil
	// when none), spare the emptied ones; nbufs counts those taken.
	full  [][]byte
	cur   []byte
	spare [][]byte
	nbufs int
	// sent is how much of the first of full (or of cur when full is
	// empty) has been sent already (see send).
	sent int
	out  httpd.Chain

	// sink, when set, takes the output instead of the next filters (the
	// fuzz test).
	sink func(*httpd.Chain) httpd.Status

	done bool
	// rc is the first failure of the next filters.
	rc httpd.Status
}

// source is the decompressor's input: pre (the header bytes read ahead to
// check them), then data, the bytes of the piece being fed.
type source struct {
	x    *ctx
	pre  []byte
	data []byte
	eof  bool
}

// wait suspends the decompressor until there are bytes, and reports
// false when none will come: the body ended, or the coroutine is stopped.
func (s *source) wait() bool {
	for len(s.pre) == 0 && len(s.data) == 0 {
		if s.eof || s.x.stopped {
			return false
		}
		if !s.x.yield(evInput) {
			s.x.stopped = true
			return false
		}
	}
	return true
}

func (s *source) end() error {
	if s.x.stopped {
		return errStopped
	}
	return io.EOF
}

// ReadByte is io.ByteReader: with it, compress/flate reads no further
// than it needs (and does not wrap the source in a bufio.Reader).
func (s *source) ReadByte() (byte, error) {
	if !s.wait() {
		return 0, s.end()
	}
	var c byte
	if len(s.pre) > 0 {
		c, s.pre = s.pre[0], s.pre[1:]
	} else {
		c, s.data = s.data[0], s.data[1:]
	}
	return c, nil
}

func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !s.wait() {
		return 0, s.end()
	}
	if len(s.pre) > 0 {
		n := copy(p, s.pre)
		s.pre = s.pre[n:]
		return n, nil
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// inflate is the coroutine: it decompresses the members of the body one
// after the other, as nginx resets zlib at the end of one when bytes
// follow, and reports its outcome.
func (x *ctx) inflate(yield func(event) bool) {
	x.yield = yield
	x.err = x.members()
	x.ended = true
	if !x.stopped {
		yield(evEnd)
	}
}

func (x *ctx) members() error {
	for first := true; ; first = false {
		if err := x.header(first); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if err := x.zr.Reset(&x.src); err != nil {
			return classify(err)
		}
		x.zr.Multistream(false)
		for {
			b := x.space()
			if b == nil {
				return errStopped
			}
			n, err := x.zr.Read(b)
			x.cur = x.cur[:len(x.cur)+n]
			if len(x.cur) == x.size {
				x.full = append(x.full, x.cur)
				x.cur = nil
			}
			if err == io.EOF {
				// zlib reports the end of a member before the sync
				// flush is done with, and goes on with the rest of the
				// piece without it: a following error says 0, not 2
				if x.flush == zSyncFlush && len(x.src.data) > 0 {
					x.flush = zNoFlush
				}
				break
			}
			if err != nil {
				return classify(err)
			}
		}
	}
}

// header checks the first bytes of a member as zlib does, two at a time
// as it reads them (compress/gzip would wait for the whole 10-byte
// header): the magic 1f 8b ("incorrect header check"), then the method 8
// ("unknown compression method") and no reserved flags ("unknown header
// flags set"). It returns io.EOF when the body ends cleanly before a
// member that is not the first.
func (x *ctx) header(first bool) error {
	h := x.hdr[:0]
	for len(h) < len(x.hdr) {
		c, err := x.src.ReadByte()
		if err != nil {
			switch {
			case err == errStopped:
				return err
			case len(h) == 0 && !first:
				return io.EOF
			}
			return errTruncated
		}
		h = append(h, c)
		switch {
		case len(h) == 2 && (h[0] != 0x1f || h[1] != 0x8b):
			return errData
		case len(h) == 4 && (h[2] != 8 || h[3]&0xe0 != 0):
			return errData
		}
	}
	x.src.pre = h
	return nil
}

// classify maps a compress/gzip error to zlib's outcome.
func classify(err error) error {
	switch err {
	case errStopped:
		return errStopped
	case io.ErrUnexpectedEOF, io.EOF:
		return errTruncated
	}
	return errData
}

// space returns room for output: the rest of the current buffer, or a
// new one; when every buffer is full the coroutine waits for the filter
// to send them. nil: the coroutine is stopped.
func (x *ctx) space() []byte {
	for x.cur == nil {
		switch {
		case len(x.spare) > 0:
			x.cur = x.spare[len(x.spare)-1][:0]
			x.spare[len(x.spare)-1] = nil
			x.spare = x.spare[:len(x.spare)-1]
		case x.nbufs < x.num:
			x.cur = buf.Get(x.size)[:0]
			x.nbufs++
		default:
			if !x.yield(evFull) {
				x.stopped = true
				return nil
			}
		}
	}
	return x.cur[len(x.cur):x.size]
}

// bodyFilter decompresses the body (ngx_http_gunzip_body_filter). It
// sends what it makes through the filters after it and leaves c empty.
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil || x.done || r.HeaderOnly {
		return httpd.OK
	}
	if len(c.Pieces) == 0 && !c.Last && !c.Flush {
		return httpd.OK
	}
	x.r = r
	if x.next == nil {
		x.start()
	}
	// c may be the connection's own chain, reused by whoever the next
	// filters are: work on a copy of its pieces
	x.in = append(x.in[:0], c.Pieces...)
	last, flush := c.Last, c.Flush
	c.Reset()
	rc := x.run(last, flush)
	clear(x.in)
	if rc != httpd.OK {
		x.done = true
		x.finish()
	}
	return rc
}

// start takes a decompressor and starts the coroutine.
func (x *ctx) start() {
	x.src.x = x
	x.zr, _ = readers.Get().(*gzip.Reader)
	if x.zr == nil {
		x.zr = new(gzip.Reader)
	}
	if x.seq == nil {
		x.seq = x.inflate // made once per pooled context
	}
	x.next, x.stop = iter.Pull(x.seq)
}

// run feeds the pieces taken from the chain to the decompressor and sends
// what comes out.
func (x *ctx) run(last, flush bool) httpd.Status {
	end := zNoFlush
	switch {
	case last:
		end = zFinish
	case flush:
		end = zSyncFlush
	}
	for k := range x.in {
		p := &x.in[k]
		x.flush = zNoFlush
		if k == len(x.in)-1 {
			x.flush = end
		}
		if rc := x.reader.Feed(x.r, p, func(b []byte) httpd.Status { return x.feed(b) }); rc != httpd.OK {
			return rc
		}
	}
	x.flush = end
	if !last {
		return x.send(true, false, flush)
	}
	x.src.eof = true
	if rc := x.resume(); rc != httpd.OK {
		return rc
	}
	if rc := x.failed(); rc != httpd.OK {
		return rc
	}
	rc := x.send(true, true, false)
	x.done = true
	x.finish()
	return rc
}

// feed gives b to the decompressor and runs it until it needs more.
func (x *ctx) feed(b []byte) httpd.Status {
	if len(b) == 0 {
		return httpd.OK
	}
	x.src.data = b
	if rc := x.resume(); rc != httpd.OK {
		return rc
	}
	x.src.data = nil
	return x.failed()
}

// resume runs the decompressor until it needs input or ends, sending the
// buffers it fills.
func (x *ctx) resume() httpd.Status {
	for !x.ended {
		ev, ok := x.next()
		if !ok {
			break
		}
		switch ev {
		case evInput:
			return httpd.OK
		case evFull:
			if rc := x.send(false, false, false); rc != httpd.OK {
				return rc
			}
		}
	}
	return httpd.OK
}

// failed logs a decompression that ended badly, as nginx words it, and
// returns Error; OK otherwise.
func (x *ctx) failed() httpd.Status {
	if !x.ended {
		return httpd.OK
	}
	switch x.err {
	case nil, errStopped:
		return httpd.OK
	}
	if x.r == nil { // the fuzz test's
		return httpd.Error
	}
	switch x.err {
	case errTruncated:
		x.r.Log().Logf(errlog.Error, x.r, nil, "inflate() returned %d on response end", zBufError)
	default:
		x.r.Log().Logf(errlog.Error, x.r, nil, "inflate() failed: %d, %d", x.flush, zDataError)
	}
	return httpd.Error
}

// send passes the full buffers, and the one being filled when partial is
// set, to the next filters, with Last or Flush as asked (a chain with
// neither and nothing in it is not sent). The buffer being filled is not
// emptied when sent: the decompressor may be suspended inside a Read into
// its free end. sent counts its bytes already sent, or those of the first
// full buffer, which it was.
func (x *ctx) send(partial, last, flush bool) httpd.Status {
	if x.rc != httpd.OK {
		return x.rc
	}
	x.out.Reset()
	skip := x.sent
	for _, b := range x.full {
		x.out.Append(b[skip:])
		skip = 0
	}
	if partial && len(x.cur) > skip {
		x.out.Append(x.cur[skip:])
	}
	if len(x.out.Pieces) == 0 && !last && !flush {
		return httpd.OK
	}
	x.out.Last, x.out.Flush = last, flush
	var rc httpd.Status
	if x.sink != nil {
		rc = x.sink(&x.out)
	} else {
		rc = x.r.NextBodyFilter(order, &x.out)
	}
	clear(x.out.Pieces)
	x.out.Reset()
	if len(x.full) > 0 {
		x.sent = 0
	}
	for i, b := range x.full {
		x.spare = append(x.spare, b[:0])
		x.full[i] = nil
	}
	x.full = x.full[:0]
	if partial {
		x.sent = len(x.cur)
	}
	if rc != httpd.OK {
		x.rc = rc
	}
	return rc
}

// ctxPool keeps contexts with their slices between responses; readers
// keeps decompressors (compress/flate's state is about 40 KB).
var (
	ctxPool sync.Pool
	readers sync.Pool
)

// Release ends the decompression if it has not ended and returns x to its
// pool when the request ends (httpd.Releaser).
func (x *ctx) Release() {
	x.finish()
	*x = ctx{in: x.in[:0], out: httpd.Chain{Pieces: x.out.Pieces[:0]}, full: x.full[:0], spare: x.spare[:0], seq: x.seq}
	ctxPool.Put(x)
}

// finish stops the coroutine and returns the decompressor and the
// buffers to their pools, when the decompression ends or fails.
func (x *ctx) finish() {
	if x.stop != nil {
		x.stop()
		x.stop, x.next, x.yield = nil, nil, nil
	}
	if x.zr != nil {
		readers.Put(x.zr)
		x.zr = nil
	}
	for _, b := range x.spare {
		buf.Put(b)
	}
	for _, b := range x.full {
		buf.Put(b)
	}
	if x.cur != nil {
		buf.Put(x.cur)
	}
	clear(x.spare)
	clear(x.full)
	x.spare, x.full, x.cur, x.sent = x.spare[:0], x.full[:0], nil, 0
	x.reader.Release()
	x.src = source{}
}
