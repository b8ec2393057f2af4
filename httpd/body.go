package httpd

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/internal/tempfile"
)

// RequestBody is a request body read by ReadBody: in memory when it fits
// client_body_buffer_size, else in a temp file (ngx_http_request_body_t).
type RequestBody struct {
	// Data holds the body when it is in memory.
	Data []byte
	// File holds the body when it spilled to disk (or
	// client_body_in_file_only is on).
	File *os.File
	// Size is the body length.
	Size int64
	// Complete is set once the whole body was read.
	Complete bool
	// keep: the file stays after the request (client_body_in_file_only
	// on); unlinked: it was removed as soon as it was made
	keep, unlinked bool
}

// newBody returns the connection's request body object, emptied; its
// memory is reused from one request to the next.
func (r *Request) newBody() *RequestBody {
	if a := r.conn.act; a != nil {
		data := a.body.Data[:0]
		if cap(data) > maxKeptBody {
			data = nil
		}
		a.body = RequestBody{Data: data}
		return &a.body
	}
	return &RequestBody{}
}

// maxKeptBody bounds the body memory a connection keeps for its next
// requests.
const maxKeptBody = 64 << 10

// release closes and removes the temp file, unless the body was made
// persistent (client_body_in_file_only on).
func (b *RequestBody) release() {
	if b.File != nil {
		name := b.File.Name()
		b.File.Close()
		if !b.keep && !b.unlinked {
			os.Remove(name)
		}
		b.File = nil
	}
}

// bodyString is $request_body: the body when it is in memory. A request
// without a body (no Content-Length or 0, not chunked) has none: nginx's
// request_body->bufs stays NULL then, and the variable is not found.
func (r *Request) bodyString() (string, bool) {
	if r.Body == nil || r.Body.File != nil || !r.Body.Complete {
		return "", false
	}
	if len(r.Body.Data) == 0 && r.In.ContentLengthN <= 0 && !r.In.Chunked {
		return "", false
	}
	return bytesconv.String(r.Body.Data), true
}

// testExpect answers "Expect: 100-continue" (ngx_http_test_expect).
func (r *Request) testExpect() Status {
	if r.ExpectTested || r.In.Expect < 0 || r.HTTPVersion < 1001 || r.HTTPVersion == 2000 {
		return OK
	}
	r.ExpectTested = true
	if !ascii.EqualFold(r.In.Get(r.In.Expect), "100-continue") {
		return OK
	}
	r.conn.setWriteDeadline(r.Loc.core.SendTimeout.Get())
	n, err := r.conn.nc.Write(continueLine)
	if err != nil {
		r.conn.failed = true
		return Error
	}
	// counted as sent on the connection, so in $bytes_sent and, as nginx
	// has it, in $body_bytes_sent too
	r.BytesSent += int64(n)
	return OK
}

var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// bodySource yields the decoded request body: first the bytes already in
// the header buffer, then reads from the socket, under client_body_timeout.
type bodySource struct {
	r       *Request
	rest    int64 // Content-Length bytes left, -1 for chunked
	chunked http1.Chunked
	raw     []byte // undecoded bytes (chunked)
	// rawConn: raw is the tail of the connection buffer (c.in), not a
	// read into the caller's buffer.
	rawConn bool
	// err is the sticky failure of an invalid chunked body (logged once).
	err error
	// noCount: the bytes are being discarded and, as in nginx, do not
	// count in $request_length.
	noCount bool
	done    bool
	total   int64
	// quiet suppresses timeout logging (discarding after the response).
	quiet bool
	// deadline, when set, replaces client_body_timeout for reads.
	deadline time.Time
	// endOnly: recv waits for the end of an HTTP/2 stream (h2End)
	endOnly bool
}

func (r *Request) newBodySource() *bodySource {
	s := &bodySource{r: r, rest: r.In.ContentLengthN}
	if r.In.Chunked {
		s.rest = -1
	}
	return s
}

var (
	errBodyTooLarge = errors.New("body too large")
	errBodyInvalid  = errors.New("invalid chunked body")
)

// read returns the next decoded body bytes (valid until the next call), or
// io.EOF at the end of the body.
func (s *bodySource) read(tmp []byte) ([]byte, error) {
	r, c := s.r, s.r.conn
	if s.done {
		return nil, io.EOF
	}
	if s.rest >= 0 {
		if s.rest == 0 {
			if st, ok := c.nc.(*h2stream); ok {
				if err := s.h2End(st); err != nil {
					return nil, err
				}
			}
			s.done = true
			return nil, io.EOF
		}
		if c.pos < c.last {
			n := int64(c.last - c.pos)
			if n > s.rest {
				n = s.rest
			}
			b := c.in[c.pos : c.pos+int(n)]
			c.pos += int(n)
			s.rest -= n
			s.total += n
			s.count(n)
			return b, nil
		}
		want := int64(len(tmp))
		if want > s.rest {
			want = s.rest
		}
		n, err := s.recv(tmp[:want])
		if err != nil {
			return nil, err
		}
		s.rest -= int64(n)
		s.total += int64(n)
		s.count(int64(n))
		return tmp[:n], nil
	}
	if s.err != nil {
		return nil, s.err
	}
	for {
		if len(s.raw) == 0 {
			if c.pos < c.last {
				s.raw, s.rawConn = c.in[c.pos:c.last], true
				s.count(int64(c.last - c.pos))
				c.pos = c.last
			} else {
				// never read past the end of the body: what follows is
				// the next pipelined request (nginx reads at most the
				// chunked parser's minimum, ctx->length)
				want := s.chunked.Length
				if want <= 0 {
					want = int64(len("0\r\n\r\n"))
				}
				if want > int64(len(tmp)) {
					want = int64(len(tmp))
				}
				n, err := s.recv(tmp[:want])
				if err != nil {
					return nil, err
				}
				s.count(int64(n))
				s.raw, s.rawConn = tmp[:n], false
			}
			s.chunked.Pos = 0
		}
		switch s.chunked.Parse(s.raw) {
		case http1.OK:
			data := s.raw[s.chunked.DataStart:s.chunked.DataEnd]
			if max := r.Loc.core.ClientMaxBodySize.Get(); max != 0 && s.total+int64(len(data)) > max {
				if _, h2 := c.nc.(*h2stream); h2 {
					// nginx's HTTP/2 words it with the bytes received
					r.bodyLogf(errlog.Error, nil, "client intended to send too large chunked body: %d bytes", s.total+int64(len(data)))
				} else {
					r.bodyLogf(errlog.Error, nil, "client intended to send too large chunked body: %d+%d bytes", s.total, len(data))
				}
				r.bodyEffect(bodyLinger)
				return nil, errBodyTooLarge
			}
			s.total += int64(len(data))
			if len(data) > 0 {
				return data, nil
			}
		case http1.Done:
			s.done = true
			if rest := len(s.raw) - s.chunked.Pos; rest > 0 {
				if s.rawConn {
					// bytes after the body belong to the next request
					c.pos = c.last - rest
					s.count(-int64(rest))
				} else {
					// cannot happen (reads stop at the body's end); never
					// guess where the next request starts
					r.bodyEffect(bodyNoKeepalive)
				}
			}
			return nil, io.EOF
		case http1.NeedMore:
			s.raw = nil
		default:
			r.bodyLogf(errlog.Error, nil, "client sent invalid chunked body")
			s.err = errBodyInvalid
			return nil, errBodyInvalid
		}
	}
}

// count adds n body bytes received to $request_length.
func (s *bodySource) count(n int64) {
	switch {
	case s.noCount:
	case s.r.bodyAsync:
		s.r.bodyLater.length += n
	default:
		s.r.RequestLength += n
	}
}

var errClientClosed = errors.New("client closed")

// errBodyInterrupted ends a streamed body's read that InterruptBody
// stopped: the exchange it fed ended first.
var errBodyInterrupted = errors.New("body reading interrupted")

func (s *bodySource) recv(b []byte) (int, error) {
	r, c := s.r, s.r.conn
	if !s.deadline.IsZero() {
		c.nc.SetReadDeadline(s.deadline)
	} else if d := r.Loc.core.ClientBodyTimeout.Get(); d > 0 {
		c.nc.SetReadDeadline(time.Now().Add(d))
	}
	// checked after the deadline is set: InterruptBody sets the flag
	// before it moves the deadline
	if r.bodyStop.Load() {
		return 0, errBodyInterrupted
	}
	n, err := c.nc.Read(b)
	if n > 0 {
		return n, nil
	}
	if r.bodyStop.Load() {
		return 0, errBodyInterrupted
	}
	if s.endOnly && err == io.EOF {
		return 0, io.EOF
	}
	if he, ok := err.(*h2BodyError); ok {
		r.bodyLogf(errlog.Info, nil, "%s", he.Text)
		return 0, errBodyInvalid
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if !s.quiet && !r.DiscardBody {
			// nginx logs nothing for client_body_timeout
			r.bodyEffect(bodyTimedOut)
		}
		return 0, err
	}
	r.bodyEffect(bodyFailed)
	if err == nil || errors.Is(err, io.EOF) {
		r.bodyLogf(errlog.Info, nil, "client prematurely closed connection")
		return 0, errClientClosed
	}
	r.bodyLogf(errlog.Info, err, "%s failed", r.conn.readCall())
	return 0, err
}

// h2End waits, once an HTTP/2 body has its declared length, for the end
// of its stream: nginx ends such a body with END_STREAM only, and data
// past the length is "client intended to send body data larger than
// declared" (400), which the stream reports.
func (s *bodySource) h2End(st *h2stream) error {
	var one [1]byte
	s.endOnly = true
	n, err := s.recv(one[:])
	s.endOnly = false
	switch {
	case err == io.EOF:
		return nil
	case n > 0:
		// cannot happen: the stream holds no data past the length
		return errBodyInvalid
	}
	return err
}

// bodyError maps a body read failure to the status nginx finalizes with.
func bodyError(err error) Status {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return 413
	case errors.Is(err, errBodyInvalid):
		return 400
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 408
	}
	return 400
}

// ReadBody reads the whole request body into r.Body
// (ngx_http_read_client_request_body): in memory up to
// client_body_buffer_size, else into a temp file under
// client_body_temp_path. It returns OK, or the status to finalize with.
func (r *Request) ReadBody() Status {
	if r.Body != nil || r.DiscardBody {
		return OK
	}
	r.Body = r.newBody()
	// nginx answers Expect before it knows whether a body follows
	if st := r.testExpect(); st != OK {
		return st
	}
	if r.In.ContentLengthN <= 0 && !r.In.Chunked {
		r.Body.Complete = true
		// nginx writes a file for "Content-Length: 0", none without a body
		if r.In.ContentLengthN == 0 && (r.BodyInFileOnly || r.Loc.core.ClientBodyInFileOnly.Get() != BodyFileOff) {
			if st := r.bodyToFile(); st != OK {
				return st
			}
		}
		return OK
	}
	cl := r.Loc.core
	src := r.newBodySource()
	limit := cl.ClientBodyBufferSize.Get()
	inFile := r.BodyInFileOnly || cl.ClientBodyInFileOnly.Get() != BodyFileOff
	if inFile {
		if st := r.bodyToFile(); st != OK {
			return st
		}
	}
	tmp := make([]byte, 16384)
	for {
		b, err := src.read(tmp)
		if err == io.EOF {
			break
		}
		if err != nil {
			return bodyError(err)
		}
		if r.Body.File == nil && int64(len(r.Body.Data)+len(b)) > limit {
			if st := r.bodyToFile(); st != OK {
				return st
			}
		}
		if r.Body.File != nil {
			if _, err := r.Body.File.Write(b); err != nil {
				r.logf(errlog.Crit, err, "write() \"%s\" failed", r.Body.File.Name())
				return 500
			}
		} else {
			r.Body.Data = append(r.Body.Data, b...)
		}
		r.Body.Size += int64(len(b))
	}
	r.Body.Complete = true
	r.bodyDiscarded = true
	if r.In.Chunked {
		r.In.ContentLengthN = r.Body.Size
		if r.conn.act.h2 != nil {
			r.h2BodyLength()
		}
	}
	return OK
}

// bodyToFile moves the body read so far into a new temp file.
func (r *Request) bodyToFile() Status {
	cl := r.Loc.core
	dir := cl.ClientBodyTempPath.Get()
	f, err := tempfile.Create(dir, nil)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			r.logf(errlog.Crit, pe.Err, "open() \"%s\" failed", pe.Path)
		}
		return 500
	}
	lv := errlog.Warn
	if cl.ClientBodyInFileOnly.Get() != BodyFileOff {
		lv = errlog.Notice
		r.Body.keep = cl.ClientBodyInFileOnly.Get() == BodyFileOn
	} else if !r.BodyInFileOnly {
		// a temp file that need not persist is unlinked as soon as it is
		// open, as nginx's ngx_open_tempfile does: only the descriptor
		// holds it, and nothing is left behind whatever ends the request
		// (dav's PUT, like client_body_in_file_only, wants it by name)
		os.Remove(f.Name())
		r.Body.unlinked = true
	}
	if !r.BodyInFileOnly {
		r.logf(lv, nil, "a client request body is buffered to a temporary file %s", f.Name())
	}
	if len(r.Body.Data) > 0 {
		if _, err := f.Write(r.Body.Data); err != nil {
			r.logf(errlog.Crit, err, "write() \"%s\" failed", f.Name())
			f.Close()
			if !r.Body.unlinked {
				os.Remove(f.Name())
			}
			return 500
		}
		r.Body.Data = nil
	}
	r.Body.File = f
	return OK
}

// DiscardRequestBody drops the request body so the connection can serve
// the next request (ngx_http_discard_request_body). It never waits: what
// has arrived is dropped now, the rest after the response (see
// finishDiscard). It returns OK, or Error when the body cannot be
// discarded (the connection then closes).
func (r *Request) DiscardRequestBody() Status {
	if r.Main != r || r.DiscardBody || r.Body != nil || r.bodyDiscarded {
		return OK
	}
	if st := r.testExpect(); st != OK {
		return Error
	}
	if r.In.ContentLengthN <= 0 && !r.In.Chunked {
		r.bodyDiscarded = true
		return OK
	}
	r.DiscardBody = true
	r.discard = r.newBodySource()
	r.discard.noCount = true
	if st := r.discardAvailable(); st != OK {
		return st
	}
	return OK
}

// discardAvailable drops the body bytes already received, without waiting.
func (r *Request) discardAvailable() Status {
	src, c := r.discard, r.conn
	var tmp [4096]byte
	src.deadline = time.Now() // only what the socket already holds
	defer func() { src.deadline = time.Time{} }()
	for {
		_, err := src.read(tmp[:])
		c.nc.SetReadDeadline(time.Time{})
		switch {
		case err == io.EOF:
			r.bodyDiscarded = true
			r.In.ContentLengthN = 0
			return OK
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.timedOut, c.failed = false, false
			return OK
		case errors.Is(err, errBodyTooLarge):
			continue
		case errors.Is(err, errBodyInvalid):
			return bodyError(err)
		case err != nil:
			return Error
		}
	}
}

// finishDiscard reads and drops the rest of a body being discarded, each
// read bounded by lingering_timeout and the whole by lingering_time
// (ngx_http_discarded_request_body_handler). false means the connection
// must close.
func (r *Request) finishDiscard() bool {
	if r.bodyDiscarded {
		return true
	}
	if r.discard == nil {
		if r.DiscardRequestBody() != OK {
			return false
		}
		if r.bodyDiscarded {
			return true
		}
	}
	cl, c := r.Loc.core, r.conn
	end := time.Now().Add(cl.LingeringTime.Get())
	var tmp [4096]byte
	for time.Now().Before(end) {
		d := cl.LingeringTimeout.Get()
		if rem := time.Until(end); rem < d {
			d = rem
		}
		r.discard.deadline = time.Now().Add(d)
		r.discard.quiet = true
		_, err := r.discard.read(tmp[:])
		switch {
		case err == io.EOF:
			c.nc.SetReadDeadline(time.Time{})
			r.bodyDiscarded = true
			r.In.ContentLengthN = 0
			return true
		case errors.Is(err, errBodyTooLarge):
			continue
		case err != nil:
			c.timedOut = false
			return false
		}
	}
	return false
}
