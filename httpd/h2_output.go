package httpd

import (
	"io"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/ascii"
)

// writeHeaderH2 makes the response head of an HTTP/2 stream
// (ngx_http_v2_header_filter): :status, then the headers with lower-case
// names and without the HTTP/1 connection headers. It is sent as HEADERS
// with the first body bytes, or alone for a response without a body.
func (r *Request) writeHeaderH2() Status {
	out := &r.Out
	st := r.conn.act.h2
	s := out.Status
	r.bodilessStatus(s)
	f := append(st.resp[:0], hfield{":status", http2.StatusText(s)})
	cl := r.Loc.core
	if out.Server < 0 {
		if cl.ServerTokens.Get() == TokensOff {
			f = append(f, hfield{"server", "sluice"})
		} else {
			f = append(f, hfield{"server", "sluice/" + core.Version})
		}
	}
	if out.Date < 0 {
		f = append(f, hfield{"date", HTTPDate()})
	}
	if out.ContentType != "" {
		v := out.ContentType
		if out.ContentTypeLen == len(out.ContentType) && out.Charset != "" {
			v += "; charset=" + out.Charset
		}
		f = append(f, hfield{"content-type", v})
	}
	if out.ContentLength < 0 && out.ContentLengthN >= 0 {
		f = append(f, hfield{"content-length", strconv.FormatInt(out.ContentLengthN, 10)})
	}
	if out.LastModified < 0 && out.LastModifiedTime != -1 {
		f = append(f, hfield{"last-modified", FormatHTTPTime(out.LastModifiedTime)})
	}
	if loc := out.Get(out.Location); loc != "" && loc[0] == '/' && cl.AbsoluteRedirect.Get() {
		out.List[out.Location].Deleted = true
		b := []byte("http://")
		if r.conn.tlsc() != nil {
			b = []byte("https://")
		}
		b = r.appendRedirectHost(b)
		b = append(b, loc...)
		r.sentLocation = string(b)
		f = append(f, hfield{"location", r.sentLocation})
	}
	if r.VaryAcceptEncoding {
		f = append(f, hfield{"vary", "Accept-Encoding"})
	}
	for i := range out.List {
		hd := &out.List[i]
		if hd.Deleted || h2ConnectionHeader(hd.Key) {
			continue
		}
		f = append(f, hfield{ascii.ToLower(hd.Key), hd.Value})
	}
	st.resp = f
	r.conn.act.headPending = true
	if r.HeaderOnly {
		return r.flushHead()
	}
	return OK
}

// h2ConnectionHeader reports the headers HTTP/2 forbids in a response.
func h2ConnectionHeader(k string) bool {
	for _, n := range [...]string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"} {
		if ascii.EqualFold(k, n) {
			return true
		}
	}
	return false
}

// writeH2 sends the pending head and the chain's pieces as frames: DATA
// no larger than http2_chunk_size and the peer's frame size, within both
// send windows, END_STREAM on the last (or on trailers as HEADERS).
func (r *Request) writeH2(c *Chain) Status {
	cn := r.conn
	st := cn.act.h2
	var trailers []hfield
	if c.Last {
		for _, t := range r.Out.Trailers {
			if !t.Deleted {
				trailers = append(trailers, hfield{ascii.ToLower(t.Key), t.Value})
			}
		}
	}
	if cn.act.headPending {
		cn.act.headPending = false
		// a response of length 0 that expects no trailers ends with its
		// HEADERS, whatever follows (ngx_http_v2_header_filter's fin)
		end := r.HeaderOnly || (c.Last && c.Size() == 0 && len(trailers) == 0) ||
			(r.Out.ContentLengthN == 0 && len(r.Out.Trailers) == 0)
		n, ok := st.sendHeaders(st.resp, end, false)
		r.HeaderSize = int64(n)
		r.BytesSent += int64(n)
		if !ok {
			return r.h2WriteFailed()
		}
		if end {
			st.ended = true
			return OK
		}
	}
	if r.HeaderOnly || st.ended {
		return OK
	}
	chunk := 8192
	if lc, ok := r.Loc.confs.get(V2).(*V2LocConf); ok {
		chunk = int(lc.ChunkSize.Get())
	}
	// the last non-empty piece carries END_STREAM
	lastPiece := -1
	if c.Last && len(trailers) == 0 {
		for i := range c.Pieces {
			if p := &c.Pieces[i]; len(p.Data) > 0 || (p.File != nil && p.N > 0) {
				lastPiece = i
			}
		}
	}
	for i := range c.Pieces {
		p := &c.Pieces[i]
		end := i == lastPiece
		if p.File == nil {
			if len(p.Data) == 0 {
				continue
			}
			if !st.sendData(r, p.Data, end, chunk) {
				return r.h2WriteFailed()
			}
			continue
		}
		if !r.h2File(p, end, chunk) {
			return Error
		}
	}
	if c.Last {
		switch {
		case len(trailers) > 0:
			n, ok := st.sendHeaders(trailers, true, true)
			r.BytesSent += int64(n)
			if !ok {
				return r.h2WriteFailed()
			}
		case lastPiece < 0:
			if !st.sendData(r, nil, true, chunk) {
				return r.h2WriteFailed()
			}
		}
		st.ended = true
	}
	return OK
}

// h2File sends a file piece as DATA frames.
func (r *Request) h2File(p *Piece, end bool, chunk int) bool {
	st := r.conn.act.h2
	if _, err := p.File.Seek(p.Off, io.SeekStart); err != nil {
		r.Log().Logf(errlog.Crit, r, err, "lseek() \"%s\" failed", p.File.Name())
		r.conn.failed = true
		return false
	}
	// the buffer is topped up after each frame, so that frames are cut
	// by the windows and sizes only, not by the reads
	b := make([]byte, min(int64(max(chunk, h2ReadFrame)), p.N))
	have, left := 0, p.N
	for have > 0 || left > 0 {
		if left > 0 && have < len(b) {
			n, err := io.ReadFull(p.File, b[have:have+int(min(int64(len(b)-have), left))])
			if n == 0 {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				r.Log().Logf(errlog.Crit, r, err, "read() \"%s\" failed", p.File.Name())
				r.conn.failed = true
				return false
			}
			have += n
			left -= int64(n)
		}
		n, ok := st.sendFrame(r, b[:have], end && left == 0, chunk)
		if !ok {
			r.h2WriteFailed()
			return false
		}
		have = copy(b, b[n:have])
	}
	return true
}

func (r *Request) h2WriteFailed() Status {
	cn := r.conn
	if !cn.failed {
		cn.failed = true
		st := cn.act.h2
		st.h.mu.Lock()
		timedOut := !st.rst && !st.h.closed
		st.h.mu.Unlock()
		if timedOut {
			cn.timedOut = true
			r.Log().Logf(errlog.Info, r, errTimedOut, "client timed out")
		}
	}
	r.Keepalive = false
	return Error
}

// sendHeaders HPACK-encodes fields as nginx does (http2.AppendField, or
// AppendTrailer for trailers) and sends them as HEADERS (and CONTINUATION)
// frames; it returns the block's size.
func (st *h2stream) sendHeaders(fields []hfield, end, trailers bool) (int, bool) {
	h := st.h
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.mu.Lock()
	rst := st.rst
	max := h.maxFrame
	h.mu.Unlock()
	if rst {
		return 0, false
	}
	block := h.hblock[:0]
	if h.tableUpdate && !trailers {
		block = append(block, 0x20)
		h.tableUpdate = false
	}
	for _, f := range fields {
		if trailers {
			block = http2.AppendTrailer(block, f.name, f.value)
		} else {
			block = http2.AppendField(block, f.name, f.value)
		}
	}
	h.hblock = block
	size := len(block)
	b := h.wbuf[:0]
	var flags uint8
	if end {
		flags |= http2.FlagEndStream
	}
	t := http2.FrameHeaders
	for {
		n := min(len(block), max)
		fl := flags
		if n == len(block) {
			fl |= http2.FlagEndHeaders
		}
		b = http2.AppendFrameHeader(b, n, t, fl, st.id)
		b = append(b, block[:n]...)
		block = block[n:]
		t, flags = http2.FrameContinuation, 0
		if len(block) == 0 {
			break
		}
	}
	h.wbuf = b[:0]
	return size, h.sendLocked(b)
}

// sendData sends b as DATA frames, waiting for the send windows; the last
// frame carries END_STREAM when end is set (an empty frame for an empty
// b).
func (st *h2stream) sendData(r *Request, b []byte, end bool, chunk int) bool {
	for {
		n, ok := st.sendFrame(r, b, end, chunk)
		if !ok {
			return false
		}
		b = b[n:]
		if len(b) == 0 {
			return true
		}
	}
}

// sendFrame sends the first DATA frame of b, as large as http2_chunk_size,
// the peer's frame size and both windows allow, waiting for a window
// (send_timeout at most); END_STREAM goes with it when it takes the rest of
// b and end is set. It returns the bytes sent.
func (st *h2stream) sendFrame(r *Request, b []byte, end bool, chunk int) (int, bool) {
	h := st.h
	h.mu.Lock()
	var timer *time.Timer
	timedOut := false
	for len(b) > 0 && (h.sendWindow <= 0 || st.sendWindow <= 0) && !st.rst && !h.closed && !timedOut {
		if timer == nil {
			if t := h.cl.SendTimeout.Get(); t > 0 {
				timer = time.AfterFunc(t, func() {
					h.mu.Lock()
					timedOut = true
					h.cond.Broadcast()
					h.mu.Unlock()
				})
			}
		}
		h.cond.Wait()
	}
	if timer != nil {
		timer.Stop()
	}
	if st.rst || h.closed || timedOut {
		h.mu.Unlock()
		return 0, false
	}
	n := min(len(b), chunk, h.maxFrame, int(min(h.sendWindow, st.sendWindow, 1<<30)))
	h.sendWindow -= int64(n)
	st.sendWindow -= int64(n)
	h.mu.Unlock()
	var fl uint8
	if end && n == len(b) {
		fl = http2.FlagEndStream
	}
	h.wmu.Lock()
	f := http2.AppendFrameHeader(h.wbuf[:0], n, http2.FrameData, fl, st.id)
	f = append(f, b[:n]...)
	h.wbuf = f[:0]
	ok := h.sendLocked(f)
	h.wmu.Unlock()
	if ok {
		r.BytesSent += int64(http2.FrameHeaderLen + n)
	}
	return n, ok
}
