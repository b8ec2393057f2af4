package gzip

import (
	"compress/gzip"
	"errors"
	"sync"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/buf"
)

// headerFilter decides whether the response is compressed
// (ngx_http_gzip_header_filter): gzip is on, the status is 200, 403 or
// 404, the response is not encoded already, its length (when known) is at
// least gzip_min_length, its type is one of gzip_types, and OK says the
// client may have it gzipped. A response that passes the first tests is
// one whose encoding depends on the request: with gzip_vary on it gets
// "Vary: Accept-Encoding" whether or not it is compressed.
func headerFilter(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	out := &r.Out
	if !lc.Enable.Get() ||
		out.Status != 200 && out.Status != 403 && out.Status != 404 ||
		out.Get(out.ContentEncoding) != "" ||
		out.ContentLengthN != -1 && out.ContentLengthN < lc.MinLength.Get() ||
		!lc.Types.Match(r) ||
		r.HeaderOnly {
		return httpd.OK
	}
	if lc.Vary.Get() {
		r.VaryAcceptEncoding = true
	}
	if !Tested(r) {
		return httpd.OK
	}
	bufs := lc.Buffers.Get()
	x, _ := ctxPool.Get().(*ctx)
	if x == nil {
		x = &ctx{}
	}
	x.level, x.size, x.num = lc.Level.Get(), int(bufs.Size), bufs.Num
	x.noBuffer = lc.NoBuffer.Get()
	x.postpone, x.buffering = int(lc.Postpone.Get()), lc.Postpone.Get() != 0
	x.dirty = true
	httpd.SetCtx(r, &self, x)
	r.ReleaseAtEnd(x)
	out.ContentEncoding = out.Add("Content-Encoding", "gzip")
	out.ClearContentLength()
	out.ClearAcceptRanges()
	r.WeakETag()
	return httpd.OK
}

// ctx is the state of one response being compressed. It comes from
// ctxPool and goes back there when the request ends (Release).
//
// Output goes into buffers of gzip_buffers' size, at most gzip_buffers'
// number of them: full buffers are sent when the input chain is used up,
// or as soon as all of them are full (so a large body never takes more
// than that, besides the compressor's own state); the one being filled
// waits for more unless the body ends, a flush asks for it, or
// gzip_no_buffer is on. Sending is synchronous (see httpd.Chain), so the
// buffers are free again when the next filters return.
type ctx struct {
	r        *httpd.Request
	level    int
	size     int
	num      int
	noBuffer bool

	// postpone_gzipping: the first postpone bytes of the body are held
	// (copied) until more come, a flush, or the end.
	postpone  int
	buffering bool
	held      []byte

	w *writer
	// full are buffers filled up to size, cur the one being filled (nil
	// when none), spare the emptied ones; nbufs counts those taken.
	full  [][]byte
	cur   []byte
	spare [][]byte
	nbufs int

	in     []httpd.Piece
	out    httpd.Chain
	reader httpd.PieceReader

	// zin and zout count the bytes compressed and produced, for
	// $gzip_ratio (zout stays 0 until the end).
	zin, zout, produced int64
	// dirty: bytes were compressed since the last flush (a flush with
	// nothing new is not repeated, as zlib does not repeat it).
	dirty bool
	done  bool
	// rc is the first failure of the next filters.
	rc httpd.Status
}

// errSend stops the compressor when the next filters failed.
var errSend = errors.New("gzip: sending failed")

// bodyFilter compresses the body (ngx_http_gzip_body_filter). It sends
// what it makes through the filters after it and leaves c empty.
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil || x.done || r.HeaderOnly {
		return httpd.OK
	}
	if len(c.Pieces) == 0 && !c.Last && !c.Flush {
		return httpd.OK
	}
	x.r = r
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

// run compresses the pieces taken from the chain and sends what is ready.
func (x *ctx) run(last, flush bool) httpd.Status {
	for k := range x.in {
		p := &x.in[k]
		if rc := x.reader.Feed(x.r, p, func(b []byte) httpd.Status { return x.consume(b) }); rc != httpd.OK {
			return rc
		}
	}
	if (last || flush) && x.buffering {
		x.buffering = false
		if rc := x.deflate(x.held); rc != httpd.OK {
			return rc
		}
		x.held = nil
	}
	switch {
	case last:
		x.start()
		if err := x.w.zw.Close(); err != nil {
			return x.failed()
		}
		x.zout = x.produced
		x.putWriter()
		rc := x.send(true, true, false)
		x.done = true
		x.finish()
		return rc
	case flush:
		x.start()
		if x.dirty {
			if err := x.w.zw.Flush(); err != nil {
				return x.failed()
			}
			x.dirty = false
		}
		return x.send(true, false, true)
	case x.buffering:
		return httpd.OK
	default:
		return x.send(x.noBuffer, false, false)
	}
}

// consume takes bytes of the body: held while postpone_gzipping allows,
// compressed otherwise.
func (x *ctx) consume(b []byte) httpd.Status {
	if x.buffering {
		if len(x.held)+len(b) <= x.postpone {
			x.held = append(x.held, b...)
			return httpd.OK
		}
		x.buffering = false
		if rc := x.deflate(x.held); rc != httpd.OK {
			return rc
		}
		x.held = nil
	}
	return x.deflate(b)
}

// deflate compresses b; what comes out lands in the buffers, and when all
// of them are full they go out from inside the compressor's Write.
func (x *ctx) deflate(b []byte) httpd.Status {
	if len(b) == 0 {
		return httpd.OK
	}
	x.start()
	x.zin += int64(len(b))
	x.dirty = true
	if _, err := x.w.zw.Write(b); err != nil {
		return x.failed()
	}
	return httpd.OK
}

// failed is the status after the compressor stopped on a failure of the
// next filters.
func (x *ctx) failed() httpd.Status {
	if x.rc == httpd.OK {
		x.rc = httpd.Error
	}
	return x.rc
}

// start takes a compressor for the response.
func (x *ctx) start() {
	if x.w == nil {
		x.w = getWriter(x.level, x)
	}
}

// Write is where the compressor's output lands (io.Writer).
func (x *ctx) Write(p []byte) (int, error) {
	n := len(p)
	x.produced += int64(n)
	for len(p) > 0 {
		if x.cur == nil && !x.takeBuf() {
			// every buffer is full: send them, then go on
			if x.send(false, false, false) != httpd.OK {
				return 0, errSend
			}
			x.takeBuf()
		}
		k := copy(x.cur[len(x.cur):x.size], p)
		x.cur = x.cur[:len(x.cur)+k]
		p = p[k:]
		if len(x.cur) == x.size {
			x.full = append(x.full, x.cur)
			x.cur = nil
		}
	}
	return n, nil
}

// takeBuf makes an empty buffer current, if one is spare or may still be
// taken.
func (x *ctx) takeBuf() bool {
	switch {
	case len(x.spare) > 0:
		x.cur = x.spare[len(x.spare)-1][:0]
		x.spare = x.spare[:len(x.spare)-1]
	case x.nbufs < x.num:
		x.cur = buf.Get(x.size)[:0]
		x.nbufs++
	default:
		return false
	}
	return true
}

// send passes the full buffers, and the one being filled when partial is
// set, to the next filters, with Last or Flush as asked (a chain with
// neither and nothing in it is not sent).
func (x *ctx) send(partial, last, flush bool) httpd.Status {
	if x.rc != httpd.OK {
		return x.rc
	}
	x.out.Reset()
	for _, b := range x.full {
		x.out.Append(b)
	}
	if partial && len(x.cur) > 0 {
		x.out.Append(x.cur)
	}
	if len(x.out.Pieces) == 0 && !last && !flush {
		return httpd.OK
	}
	x.out.Last, x.out.Flush = last, flush
	rc := x.r.NextBodyFilter(orderBody, &x.out)
	x.out.Reset()
	for i, b := range x.full {
		x.spare = append(x.spare, b[:0])
		x.full[i] = nil
	}
	x.full = x.full[:0]
	if partial && x.cur != nil {
		x.cur = x.cur[:0]
	}
	if rc != httpd.OK {
		x.rc = rc
	}
	return rc
}

// ctxPool keeps contexts with their slices between responses.
var ctxPool sync.Pool

// Release ends the compression if it has not ended and returns x to its
// pool, when the request ends (httpd.Releaser): $gzip_ratio, read by the
// log phase before, needs x until then.
func (x *ctx) Release() {
	x.finish()
	clear(x.out.Pieces)
	*x = ctx{in: x.in[:0], out: httpd.Chain{Pieces: x.out.Pieces[:0]}, full: x.full[:0], spare: x.spare[:0]}
	ctxPool.Put(x)
}

// finish returns the compressor and the buffers to their pools, when the
// compression ends or fails.
func (x *ctx) finish() {
	x.putWriter()
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
	x.spare, x.full, x.cur = x.spare[:0], x.full[:0], nil
	x.reader.Release()
	x.held = nil
}

func (x *ctx) putWriter() {
	if x.w != nil {
		putWriter(x.level, x.w)
		x.w = nil
	}
}

// writer is a pooled compressor. Its output goes through sink, whose
// target is set while a response uses it, so that a pooled writer holds
// no response.
type writer struct {
	zw   *gzip.Writer
	sink sink
}

type sink struct{ x *ctx }

func (s *sink) Write(p []byte) (int, error) { return s.x.Write(p) }

// writers pool compressors by level: compress/flate's state is about
// 1 MB, too much to make per response.
var writers [10]sync.Pool

func getWriter(level int, x *ctx) *writer {
	w, _ := writers[level].Get().(*writer)
	if w == nil {
		w = &writer{}
		w.zw, _ = gzip.NewWriterLevel(&w.sink, level)
	} else {
		w.zw.Reset(&w.sink)
	}
	w.sink.x = x
	return w
}

func putWriter(level int, w *writer) {
	w.sink.x = nil
	writers[level].Put(w)
}
