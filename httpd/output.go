package httpd

import (
	"errors"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/buf"
)

// Piece is part of a response body: bytes in memory, or a region of a file.
type Piece struct {
	Data []byte
	File *os.File
	Off  int64
	N    int64
}

// ReadFile reads a file piece through buf for a filter that must see its
// bytes (SSI, sub), calling each with every chunk read and its offset in
// the file; buf is reused between calls, so each must be done with the
// bytes when it returns. A read error is logged as nginx's pread() line
// and ends with Error; a status other than OK from each ends the read.
func (p *Piece) ReadFile(r *Request, buf []byte, each func(b []byte, off int64) Status) Status {
	for off, end := p.Off, p.Off+p.N; off < end; {
		n := int(min(int64(len(buf)), end-off))
		got, err := p.File.ReadAt(buf[:n], off)
		if got == 0 && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.Log().Logf(errlog.Crit, r, err, "pread() \"%s\" failed", p.File.Name())
			return Error
		}
		if rc := each(buf[:got], off); rc != OK {
			return rc
		}
		off += int64(got)
	}
	return OK
}

// Len is the piece's size.
func (p *Piece) Len() int64 {
	if p.File != nil {
		return p.N
	}
	return int64(len(p.Data))
}

// Chain is a batch of body pieces handed to the output filters.
//
// Ownership rule: output is synchronous. The bytes of a chain belong to the
// caller; once Request.Output returns they have been written to the client
// (or copied by a filter that keeps them), so the caller may reuse them.
type Chain struct {
	Pieces []Piece
	// Last marks the end of the response body.
	Last bool
	// Flush asks for the pieces to be sent now rather than batched.
	Flush bool
}

// Reset empties the chain, keeping its storage.
func (c *Chain) Reset() {
	c.Pieces = c.Pieces[:0]
	c.Last, c.Flush = false, false
}

// Append adds bytes.
func (c *Chain) Append(b []byte) {
	if len(b) > 0 {
		c.Pieces = append(c.Pieces, Piece{Data: b})
	}
}

// AppendString adds a string's bytes (not copied; the string is immutable).
func (c *Chain) AppendString(s string) {
	if s != "" {
		c.Pieces = append(c.Pieces, Piece{Data: unsafeBytes(s)})
	}
}

// AppendFile adds a file region.
func (c *Chain) AppendFile(f *os.File, off, n int64) {
	if n > 0 {
		c.Pieces = append(c.Pieces, Piece{File: f, Off: off, N: n})
	}
}

// Size is the total size of the pieces.
func (c *Chain) Size() int64 {
	var n int64
	for i := range c.Pieces {
		n += c.Pieces[i].Len()
	}
	return n
}

// statusLines are nginx's reason phrases; codes missing here are sent as
// "NNN " with no reason, as nginx does.
var statusLines = map[int]string{
	200: "200 OK", 201: "201 Created", 202: "202 Accepted", 204: "204 No Content", 206: "206 Partial Content",
	301: "301 Moved Permanently", 302: "302 Moved Temporarily", 303: "303 See Other", 304: "304 Not Modified",
	307: "307 Temporary Redirect", 308: "308 Permanent Redirect",
	400: "400 Bad Request", 401: "401 Unauthorized", 402: "402 Payment Required", 403: "403 Forbidden",
	404: "404 Not Found", 405: "405 Not Allowed", 406: "406 Not Acceptable", 407: "407 Proxy Authentication Required",
	408: "408 Request Time-out", 409: "409 Conflict", 410: "410 Gone", 411: "411 Length Required",
	412: "412 Precondition Failed", 413: "413 Request Entity Too Large", 414: "414 Request-URI Too Large",
	415: "415 Unsupported Media Type", 416: "416 Requested Range Not Satisfiable", 421: "421 Misdirected Request",
	429: "429 Too Many Requests",
	500: "500 Internal Server Error", 501: "501 Not Implemented", 502: "502 Bad Gateway",
	503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out", 505: "505 HTTP Version Not Supported",
	507: "507 Insufficient Storage",
}

// StatusLine returns nginx's status line text for code ("404 Not Found"),
// or "" when nginx has none.
func StatusLine(code int) string { return statusLines[code] }

// httpDate caches the current time in HTTP format, refreshed once a
// second (nginx's ngx_cached_http_time).
var httpDate atomic.Pointer[cachedDate]

type cachedDate struct {
	sec  int64
	text string
}

// HTTPDate returns the current time as "Mon, 28 Sep 1970 06:00:00 GMT".
func HTTPDate() string {
	now := time.Now()
	if d := httpDate.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &cachedDate{sec: now.Unix(), text: now.UTC().Format(http1Time)}
	httpDate.Store(d)
	return d.text
}

const http1Time = "Mon, 02 Jan 2006 15:04:05 GMT"

// FormatHTTPTime formats a Unix time as an HTTP date.
func FormatHTTPTime(t int64) string { return time.Unix(t, 0).UTC().Format(http1Time) }

// SendHeader runs the header filters and queues the response head
// (ngx_http_send_header). It is sent with the first body bytes or when the
// request ends.
func (r *Request) SendHeader() Status {
	if r.PostAction {
		return OK
	}
	if r.HeaderSent {
		r.Log().Logf(errlog.Alert, r, nil, "header already sent")
		return Error
	}
	if r.ErrStatus != 0 {
		r.Out.Status = r.ErrStatus
		r.Out.StatusLine = ""
	}
	return r.headerFrom(0)
}

// headerFrom runs the header filters from index i on, then the framing
// decision and the header writer, unless a filter holds the head.
func (r *Request) headerFrom(i int) Status {
	r.headerHeld = false
	for _, f := range r.Config.filters.header[i:] {
		if rc := f.f(r); rc != OK {
			return rc
		}
		if r.headerHeld {
			return OK
		}
	}
	r.chunkedHeader()
	return r.writeHeader()
}

// HoldHeader, called by a header filter, stops the response head at that
// filter: SendHeader returns OK, and neither the filters after it nor the
// header writer run. The filter sends the head later with NextHeaderFilter
// — nginx's header filter that returns NGX_OK without calling
// ngx_http_next_header_filter, as the image filter does until it has the
// whole body.
func (r *Request) HoldHeader() { r.headerHeld = true }

// NextHeaderFilter runs the header filters after order, then the framing
// decision and the header writer: a filter that held the head
// (HoldHeader) sends it on (ngx_http_next_header_filter).
func (r *Request) NextHeaderFilter(order int) Status {
	fs := r.Config.filters.header
	i := 0
	for i < len(fs) && fs[i].order <= order {
		i++
	}
	return r.headerFrom(i)
}

// chunkedHeader decides the body framing (ngx_http_chunked_header_filter).
func (r *Request) chunkedHeader() {
	s := r.Out.Status
	if s == 304 || s == 204 || s < 200 || r.Main != r || r.MethodBit == MethodHEAD || r.HTTPVersion == 2000 ||
		(r.MethodBit == MethodCONNECT && s < 300) {
		return
	}
	trailers := len(r.Out.Trailers) > 0
	if r.Out.ContentLengthN == -1 || trailers {
		if r.HTTPVersion >= 1001 && r.Loc.core.ChunkedEncoding.Get() {
			if trailers {
				r.Out.ClearContentLength()
			}
			r.Chunked = true
		} else if r.Out.ContentLengthN == -1 {
			r.Keepalive = false
		}
	}
}

// writeHeader serialises the response head (ngx_http_header_filter).
func (r *Request) writeHeader() Status {
	if r.HeaderSent {
		return OK
	}
	r.HeaderSent = true
	if r.Main != r {
		return OK
	}
	if r.HTTPVersion < 1000 {
		return OK
	}
	if r.MethodBit == MethodHEAD {
		r.HeaderOnly = true
	}
	out := &r.Out
	if out.LastModifiedTime != -1 && out.Status != 200 && out.Status != 206 && out.Status != 304 {
		// the time is dropped and the field unlinked, not deleted: a
		// Last-Modified line the response carries (an upstream's, an
		// add_header's) is still sent, as ngx_http_header_filter leaves
		// it in the list
		out.LastModifiedTime = -1
		out.LastModified = -1
	}
	if r.conn.act.h2 != nil {
		return r.writeHeaderH2()
	}
	if r.Keepalive && r.conn.draining() {
		r.Keepalive = false
	}
	b := r.conn.act.head[:0]
	b = append(b, "HTTP/1.1 "...)
	if out.StatusLine != "" {
		b = append(b, out.StatusLine...)
	} else {
		s := out.Status
		r.bodilessStatus(s)
		if line := statusLines[s]; line != "" {
			b = append(b, line...)
		} else {
			// nginx's "%03ui"
			if s < 100 {
				b = append(b, '0')
			}
			if s < 10 {
				b = append(b, '0')
			}
			b = strconv.AppendInt(b, int64(s), 10)
			b = append(b, ' ')
		}
	}
	b = append(b, "\r\n"...)
	cl := r.Loc.core
	if out.Server < 0 {
		switch cl.ServerTokens.Get() {
		case TokensOff:
			b = append(b, "Server: sluice\r\n"...)
		default:
			b = append(b, "Server: sluice/"+core.Version+"\r\n"...)
		}
	}
	if out.Date < 0 {
		b = append(b, "Date: "...)
		b = append(b, HTTPDate()...)
		b = append(b, "\r\n"...)
	}
	if out.ContentType != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, out.ContentType...)
		if out.ContentTypeLen == len(out.ContentType) && out.Charset != "" {
			b = append(b, "; charset="...)
			b = append(b, out.Charset...)
		}
		b = append(b, "\r\n"...)
	}
	if out.ContentLength < 0 && out.ContentLengthN >= 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, out.ContentLengthN, 10)
		b = append(b, "\r\n"...)
	}
	if out.LastModified < 0 && out.LastModifiedTime != -1 {
		b = append(b, "Last-Modified: "...)
		b = append(b, FormatHTTPTime(out.LastModifiedTime)...)
		b = append(b, "\r\n"...)
	}
	if loc := out.Get(out.Location); loc != "" && loc[0] == '/' && cl.AbsoluteRedirect.Get() {
		out.List[out.Location].Deleted = true
		b = append(b, "Location: "...)
		start := len(b)
		if r.conn.tlsc() != nil {
			b = append(b, "https://"...)
		} else {
			b = append(b, "http://"...)
		}
		b = r.appendRedirectHost(b)
		b = append(b, loc...)
		// the absolute form is what $sent_http_location logs
		r.sentLocation = string(b[start:])
		b = append(b, "\r\n"...)
	}
	if r.Chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case out.Status == 101:
		b = append(b, "Connection: upgrade\r\n"...)
	case r.Keepalive:
		b = append(b, "Connection: keep-alive\r\n"...)
		if kh := cl.KeepaliveHeader.Get(); kh != 0 {
			b = append(b, "Keep-Alive: timeout="...)
			b = strconv.AppendInt(b, kh, 10)
			b = append(b, "\r\n"...)
		}
	default:
		b = append(b, "Connection: close\r\n"...)
	}
	if r.VaryAcceptEncoding {
		b = append(b, "Vary: Accept-Encoding\r\n"...)
	}
	for i := range out.List {
		h := &out.List[i]
		if h.Deleted {
			continue
		}
		b = append(b, h.Key...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	r.conn.act.head = b
	r.HeaderSize = int64(len(b))
	r.conn.act.headPending = true
	if r.HeaderOnly {
		return r.flushHead()
	}
	return OK
}

// bodilessStatus applies what a 204 or 304 response head implies: no
// body, and for 204 no type, length or modification time.
func (r *Request) bodilessStatus(s int) {
	out := &r.Out
	switch s {
	case 204:
		r.HeaderOnly = true
		out.ContentType, out.ContentTypeLen = "", 0
		// unlinked, not deleted (see writeHeader)
		out.LastModifiedTime = -1
		out.LastModified = -1
		out.Delete(out.ContentLength)
		out.ContentLength = -1
		out.ContentLengthN = -1
	case 304:
		r.HeaderOnly = true
	}
}

// appendRedirectHost appends the host[:port] of an absolute redirect.
func (r *Request) appendRedirectHost(b []byte) []byte {
	cl := r.Loc.core
	switch {
	case cl.ServerNameInRedir.Get():
		b = append(b, r.CoreSrv().ServerName...)
	case r.In.Server != "":
		b = append(b, r.In.Server...)
	default:
		b = append(b, r.conn.localHost()...)
	}
	if cl.PortInRedirect.Get() {
		def := 80
		if r.conn.tlsc() != nil {
			def = 443
		}
		if p := r.conn.localPort; p != def && p != 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(p), 10)
		}
	}
	return b
}

// Output runs the body filters over c and writes the result
// (ngx_http_output_filter). It returns OK, or Error when the client
// connection failed.
func (r *Request) Output(c *Chain) Status { return r.outputFrom(0, c) }

// outputFrom runs c through the body filters from index i on, then the
// writer; a subrequest's body leaves at the postpone stage (postpone.go).
func (r *Request) outputFrom(i int, c *Chain) Status {
	if r.conn.failed {
		return Error
	}
	if r != r.Main {
		return r.outputSub(i, c)
	}
	if r.PostAction {
		c.Pieces = c.Pieces[:0]
		return OK
	}
	for _, f := range r.Config.filters.body[i:] {
		if rc := f.f(r, c); rc != OK {
			return rc
		}
	}
	if len(c.Pieces) == 0 && !c.Last && !c.Flush {
		// a filter kept what it was given (gunzip, gzip, waiting for
		// more): nothing to write, and a pending head waits for body
		// bytes as in nginx's write filter, so that a response the
		// filter fails on later can still close without a head
		return OK
	}
	if r.HeaderOnly {
		c.Pieces = c.Pieces[:0]
	}
	if c.Last {
		r.lastSent = true
	}
	if r.Chunked {
		r.chunkBody(c)
	}
	return r.write(c)
}

// chunkBody frames pieces as one chunk, and ends the body on the last
// (ngx_http_chunked_body_filter).
func (r *Request) chunkBody(c *Chain) {
	size := c.Size()
	cc := &r.conn.act.chunked
	cc.Reset()
	if size > 0 {
		r.conn.act.chunkHead = strconv.AppendInt(r.conn.act.chunkHead[:0], size, 16)
		r.conn.act.chunkHead = append(r.conn.act.chunkHead, "\r\n"...)
		cc.Pieces = append(cc.Pieces, Piece{Data: r.conn.act.chunkHead})
		cc.Pieces = append(cc.Pieces, c.Pieces...)
		cc.Pieces = append(cc.Pieces, Piece{Data: crlf})
	}
	if c.Last {
		if len(r.Out.Trailers) == 0 {
			cc.Pieces = append(cc.Pieces, Piece{Data: lastChunk})
		} else {
			t := append(r.conn.act.trailer[:0], "0\r\n"...)
			for _, h := range r.Out.Trailers {
				if h.Deleted {
					continue
				}
				t = append(t, h.Key...)
				t = append(t, ": "...)
				t = append(t, h.Value...)
				t = append(t, "\r\n"...)
			}
			t = append(t, "\r\n"...)
			r.conn.act.trailer = t
			cc.Pieces = append(cc.Pieces, Piece{Data: t})
		}
	}
	c.Pieces = append(c.Pieces[:0], cc.Pieces...)
}

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)

// flushHead writes a queued response head on its own.
func (r *Request) flushHead() Status {
	if !r.conn.act.headPending {
		return OK
	}
	return r.write(&Chain{})
}

// write sends the queued head and the chain's pieces (the write filter),
// honouring send_timeout and limit_rate.
func (r *Request) write(c *Chain) Status {
	cn := r.conn
	if cn.failed {
		return Error
	}
	if cn.act.h2 != nil {
		return r.writeH2(c)
	}
	bufs := cn.act.iov[:0]
	if cn.act.headPending {
		bufs = append(bufs, cn.act.head)
		cn.act.headPending = false
	}
	timeout := r.Loc.core.SendTimeout.Get()
	if !r.limitRateSet || (r.LimitRate > 0 && !r.limitRateAfterSet) {
		r.setLimitRate()
	}
	for i := range c.Pieces {
		p := &c.Pieces[i]
		if p.File == nil {
			if len(p.Data) > 0 {
				bufs = append(bufs, p.Data)
			}
			continue
		}
		if len(bufs) > 0 {
			if !r.writeBufs(bufs, timeout) {
				return Error
			}
			bufs = bufs[:0]
		}
		if !r.writeFile(p, timeout) {
			return Error
		}
	}
	if len(bufs) > 0 && !r.writeBufs(bufs, timeout) {
		return Error
	}
	cn.act.iov = bufs[:0]
	return OK
}

func (r *Request) writeBufs(bufs [][]byte, timeout time.Duration) bool {
	cn := r.conn
	if r.LimitRate > 0 {
		for _, b := range bufs {
			if !r.writeLimited(b, timeout) {
				return false
			}
		}
		return true
	}
	var total int64
	for _, b := range bufs {
		total += int64(len(b))
	}
	cn.setWriteDeadline(timeout)
	var n int64
	var err error
	if cn.tlsc() != nil {
		n, err = cn.writeTLS(bufs)
	} else if len(bufs) == 1 {
		var k int
		k, err = cn.nc.Write(bufs[0])
		n = int64(k)
	} else {
		// a field of the connection, so WriteTo's pointer receiver does not
		// make it escape per call; it shares bufs' array (WriteTo consumes
		// its own slice header only)
		cn.act.nb = bufs
		n, err = cn.act.nb.WriteTo(cn.nc)
	}
	r.BytesSent += n
	if err != nil || n != total {
		r.writeFailed(err)
		return false
	}
	return true
}

// writeLimited writes b at the request's limit_rate, as nginx's write
// filter paces a response: what may go at once is a second's worth of
// bytes for every whole second since the request started, and one more,
// past limit_rate_after; after each write the connection pauses for the
// time the bytes past limit_rate_after are worth (the pause of the last
// write of a response delays nothing: nginx's delayed write event only
// holds the next output).
func (r *Request) writeLimited(b []byte, timeout time.Duration) bool {
	cn := r.conn
	for len(b) > 0 {
		if d := time.Until(r.rateDelay); d > 0 && !r.ratePause(d) {
			return false
		}
		limit := r.LimitRate*(time.Now().Unix()-r.Start.Unix()+1) - (r.BytesSent - r.LimitRateAfter)
		if limit <= 0 {
			r.rateDelay = time.Now().Add(time.Duration(-limit*1000/r.LimitRate+1) * time.Millisecond)
			continue
		}
		chunk := len(b)
		if int64(chunk) > limit {
			chunk = int(limit)
		}
		cn.setWriteDeadline(timeout)
		sent := r.BytesSent
		n, err := cn.nc.Write(b[:chunk])
		r.BytesSent += int64(n)
		if err != nil {
			r.writeFailed(err)
			return false
		}
		b = b[n:]
		paced := max(r.BytesSent-r.LimitRateAfter, 0) - max(sent-r.LimitRateAfter, 0)
		if ms := paced * 1000 / r.LimitRate; ms > 0 {
			r.rateDelay = time.Now().Add(time.Duration(ms) * time.Millisecond)
		}
	}
	return true
}

// ratePause waits d before the next paced write. A client that closes the
// connection or shuts down its side meanwhile ends the response, as
// nginx's ngx_http_test_reading does, the read handler of a request whose
// output is delayed: "client prematurely closed connection" at info, with
// the socket's pending error, and false. The connection's hangup watch is
// used only when nobody else (an upstream exchange) holds it; an exchange
// that holds it ends the pause through AbortOutput.
func (r *Request) ratePause(d time.Duration) bool {
	c := r.conn
	hup := make(chan struct{}, 1)
	wake := func() {
		select {
		case hup <- struct{}{}:
		default:
		}
	}
	c.hupMu.Lock()
	free := c.hupFn == nil
	c.hupMu.Unlock()
	a := c.act
	a.pauseWake.Store(&hup)
	defer a.pauseWake.Store(nil)
	own := false
	if free && r.WatchHangup(wake) {
		own = true
		defer r.UnwatchHangup()
	}
	if a.outAborted.Load() {
		return false
	}
	if !own || !r.HungUp() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-hup:
		}
	}
	if a.outAborted.Load() {
		return false // logged by AbortOutput's caller
	}
	var err error
	if rc := c.rawSocket(); rc != nil {
		var soerr int
		rc.Control(func(fd uintptr) {
			soerr, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		})
		if soerr != 0 {
			err = syscall.Errno(soerr)
		}
	}
	c.failed = true
	r.Keepalive = false
	r.Log().Logf(errlog.Info, r, err, "client prematurely closed connection")
	return false
}

// AbortOutput ends the response's output after the client went away, as
// nginx finalizes a request whose client closed while its output was
// being sent (ngx_http_test_reading); the caller logs the close. A rate
// pause in progress ends at once, a write blocked on a full socket
// returns, and the write that fails is not logged. It may be called from
// another goroutine than the request's.
func (r *Request) AbortOutput() {
	c := r.conn
	if c == nil || c.act == nil || r.IsStream() {
		return
	}
	a := c.act
	a.outAborted.Store(true)
	if w := a.pauseWake.Load(); w != nil {
		select {
		case *w <- struct{}{}:
		default:
		}
	}
	if c.nc != nil {
		c.nc.SetWriteDeadline(time.Now())
	}
}

// setLimitRate evaluates limit_rate and limit_rate_after when the first
// bytes of the response are written (ngx_http_write_filter), unless
// $limit_rate or X-Accel-Limit-Rate set the rate before.
func (r *Request) setLimitRate() {
	core := r.Loc.core
	if !r.limitRateSet {
		r.LimitRate = core.LimitRate.Get().EvalSize(r, 0)
		r.limitRateSet = true
	}
	if r.LimitRate > 0 && !r.limitRateAfterSet {
		r.LimitRateAfter = core.LimitRateAfter.Get().EvalSize(r, 0)
		r.limitRateAfterSet = true
	}
}

func (r *Request) writeFile(p *Piece, timeout time.Duration) bool {
	cn := r.conn
	if _, err := p.File.Seek(p.Off, io.SeekStart); err != nil {
		r.Log().Logf(errlog.Crit, r, err, "lseek() \"%s\" failed", p.File.Name())
		cn.failed = true
		return false
	}
	if r.LimitRate > 0 {
		buf := make([]byte, 32768)
		left := p.N
		for left > 0 {
			n, err := p.File.Read(buf[:min(int64(len(buf)), left)])
			if n > 0 && !r.writeLimited(buf[:n], timeout) {
				return false
			}
			if err != nil {
				if n == 0 {
					r.Log().Logf(errlog.Crit, r, err, "read() \"%s\" failed", p.File.Name())
					cn.failed = true
					return false
				}
			}
			left -= int64(n)
		}
		return true
	}
	cn.setWriteDeadline(timeout)
	var n int64
	var err error
	if cn.tlsc() != nil {
		// no sendfile through TLS: the file is read into a buffer of
		// ssl_buffer_size and written through the TLS writer
		b := getTLSBuf(cn.tls.buffer)
		n, err = io.CopyBuffer(tlsWriter{cn.nc}, io.LimitReader(p.File, p.N), *b)
		putTLSBuf(b)
	} else {
		n, err = io.Copy(cn.nc, io.LimitReader(p.File, p.N))
	}
	r.BytesSent += n
	if err != nil || n != p.N {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		r.writeFailed(err)
		return false
	}
	return true
}

// writeFailed records a failed write to the client, logged as nginx does.
func (r *Request) writeFailed(err error) {
	cn := r.conn
	cn.failed = true
	r.Keepalive = false
	if cn.act != nil && cn.act.outAborted.Load() {
		return // the client's close was logged by AbortOutput's caller
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		cn.timedOut = true
		r.Log().Logf(errlog.Info, r, errTimedOut, "client timed out")
		return
	}
	if err != nil {
		call := "writev()"
		if cn.tlsc() != nil {
			call = "SSL_write()"
		}
		r.Log().Logf(errlog.Info, r, err, "%s failed", call)
	}
}

// PieceReader gives a filter that must see a body's bytes (gzip, gunzip)
// the bytes of each piece, reading file pieces through a buffer taken
// from the pool (internal/buf) on the first file piece and kept until
// Release. The zero value is ready to use.
type PieceReader struct {
	buf []byte
}

// PieceChunk is how much of a file piece PieceReader reads at once
// (nginx's output_buffers default).
const PieceChunk = 32768

// Feed calls each with the bytes of p: a memory piece's at once, a file
// piece's chunk by chunk as ReadFile reads them (each must be done with
// the bytes when it returns). It ends with the first status other than
// OK, from each or from a failed read.
func (pr *PieceReader) Feed(r *Request, p *Piece, each func(b []byte) Status) Status {
	if p.File == nil {
		return each(p.Data)
	}
	if pr.buf == nil {
		pr.buf = buf.Get(PieceChunk)
	}
	return p.ReadFile(r, pr.buf, func(b []byte, _ int64) Status { return each(b) })
}

// Release gives the buffer back to the pool, if one was taken.
func (pr *PieceReader) Release() {
	if pr.buf != nil {
		buf.Put(pr.buf)
		pr.buf = nil
	}
}
