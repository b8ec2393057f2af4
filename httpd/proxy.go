package httpd

// Additive hooks for the proxy module (modules/proxy): streaming a request
// body to an upstream without buffering it, and the request's "valid
// location" state. Run-time name resolution with the configured resolver
// is in resolver.go. Nothing here changes existing behaviour.

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// ValidLocation reports whether the URI still matches the location it was
// routed to (nginx's r->valid_location): false once a rewrite changed it
// inside the location ("rewrite ... break"). Modules that replace the
// location's prefix of the URI (proxy_pass with a URI part) only do so
// while it is true.
func (r *Request) ValidLocation() bool { return r.validLocation }

// BodyStream reads a request body piece by piece, for modules that pass
// the body on as it arrives instead of buffering it first (nginx's
// request_body_no_buffering, proxy_request_buffering off).
type BodyStream struct {
	r    *Request
	src  *bodySource
	tmp  []byte
	pre  []byte // read before the stream started
	done bool
	// Size is the number of decoded body bytes read so far.
	Size int64
}

// StreamBody starts reading the request body without buffering it,
// answering "Expect: 100-continue" first. As nginx does, it first takes
// what the client already sent (up to client_body_buffer_size) without
// waiting: when that is the whole body, the body is stored in r.Body as
// ReadBody would have stored it and the stream is nil (the module then
// proceeds as with a buffered body). A nil stream also means the request
// has no body, or it was read or discarded already. A status other than OK
// means the request must end with it. Whatever the module does not read
// from the stream is drained after the response, as a discarded body is.
func (r *Request) StreamBody(bufSize int) (*BodyStream, Status) {
	if r.Body != nil || r.DiscardBody || r.bodyDiscarded || r.discard != nil {
		return nil, OK
	}
	// nginx answers Expect before it knows whether a body follows
	if st := r.testExpect(); st != OK {
		return nil, st
	}
	if r.In.ContentLengthN < 0 && !r.In.Chunked || r.In.ContentLengthN == 0 && !r.h2BodyOpen() {
		// (an HTTP/2 body of length 0 ends with its stream, which may
		// come later)
		return nil, OK
	}
	if bufSize <= 0 {
		bufSize = 16384
	}
	s := &BodyStream{r: r, src: r.newBodySource(), tmp: make([]byte, bufSize)}
	limit := r.Loc.core.ClientBodyBufferSize.Get()
	var pre []byte
	for int64(len(pre)) < limit {
		b, err := s.next(false)
		if err == io.EOF {
			// the whole body was here: as a buffered body
			r.Body = r.newBody()
			r.Body.Data, r.Body.Size, r.Body.Complete = pre, int64(len(pre)), true
			if r.In.Chunked {
				r.In.ContentLengthN = r.Body.Size
			}
			if r.Loc.core.ClientBodyInFileOnly.Get() != BodyFileOff {
				if st := r.bodyToFile(); st != OK {
					return nil, st
				}
			}
			return nil, OK
		}
		if err != nil {
			return nil, bodyError(err)
		}
		if b == nil {
			break
		}
		pre = append(pre, b...)
	}
	// nothing else may start reading the body meanwhile
	r.discard = s.src
	s.pre = pre
	s.Size = int64(len(pre))
	return s, OK
}

// h2BodyOpen reports whether the request came over HTTP/2 and its stream
// is still open for the body.
func (r *Request) h2BodyOpen() bool {
	st, ok := r.conn.nc.(*h2stream)
	if !ok {
		return false
	}
	st.h.mu.Lock()
	defer st.h.mu.Unlock()
	return !st.inEnd && !st.rst
}

// errNothingYet is next's "no bytes without waiting".
var errNothingYet = errors.New("nothing received yet")

// next returns the next decoded body bytes, io.EOF at the end of the
// body, or (nil, nil) when wait is false and nothing more has arrived.
// Bytes already received are decoded first; the socket is read no further
// than the body can still need (a chunked body's minimal rest), so that a
// pipelined request after the body stays unread.
func (s *BodyStream) next(wait bool) ([]byte, error) {
	src, r := s.src, s.r
	c := r.conn
	for {
		if src.done {
			return nil, io.EOF
		}
		if c.pos < c.last || len(src.raw) > 0 || src.rest == 0 {
			// a past deadline makes read stop where it would wait
			src.deadline, src.quiet = time.Now(), true
			b, err := src.read(s.tmp)
			src.deadline, src.quiet = time.Time{}, false
			c.nc.SetReadDeadline(time.Time{})
			switch {
			case err == nil:
				return b, nil
			case err == io.EOF:
				return nil, io.EOF
			case !errors.Is(err, os.ErrDeadlineExceeded):
				return nil, s.fail(err)
			}
			c.timedOut = false
		}
		buf := s.tmp
		if src.rest >= 0 {
			if int64(len(buf)) > src.rest {
				buf = buf[:src.rest]
			}
		} else if c.last < len(c.in) {
			// chunked: read into the connection's buffer after what it
			// holds, as much as is there (nginx reads up to
			// large_client_header_buffers at a time); bytes after the
			// body stay there for the pipelined request that follows
			buf = c.in[c.last:]
		} else {
			// no room: read no more than the body can still need
			need := src.chunked.Length
			if need <= 0 {
				need = 5
			}
			if int64(len(buf)) > need {
				buf = buf[:need]
			}
		}
		var n int
		var err error
		if wait && src.rest == 0 {
			// an HTTP/2 body at its length: its stream's end
			b, err := src.read(s.tmp)
			if err != nil && err != io.EOF {
				return nil, s.fail(err)
			}
			return b, err
		}
		if wait {
			n, err = src.recv(buf)
			if err != nil {
				return nil, s.fail(err)
			}
		} else {
			n, err = recvNow(c.nc, buf)
			if err != nil && r.bodyStop.Load() {
				// InterruptBody's deadline, not the client's failure
				return nil, s.fail(errBodyInterrupted)
			}
			if he, ok := err.(*h2BodyError); ok {
				r.bodyLogf(errlog.Info, nil, "%s", he.Text)
				return nil, s.fail(errBodyInvalid)
			}
			if err != nil {
				r.bodyEffect(bodyFailed)
				if err == io.EOF {
					r.bodyLogf(errlog.Info, nil, "client prematurely closed connection")
					err = errClientClosed
				} else {
					r.bodyLogf(errlog.Info, err, "%s failed", r.conn.readCall())
				}
				return nil, s.fail(err)
			}
			if n == 0 {
				return nil, nil
			}
		}
		if src.rest >= 0 {
			src.rest -= int64(n)
			src.total += int64(n)
			src.count(int64(n))
			return buf[:n], nil
		}
		if len(buf) > 0 && len(c.in) > c.last && &buf[0] == &c.in[c.last] {
			// counted when read takes them from the connection buffer
			c.last += n
			continue
		}
		src.count(int64(n))
		src.raw, src.rawConn = buf[:n], false
		src.chunked.Pos = 0
	}
}

// fail ends the stream after a client error.
func (s *BodyStream) fail(err error) error {
	s.abandon()
	return err
}

// abandon ends the stream before the end of the body: as nginx does when
// a request ends while its body is still being read, the connection is
// not kept alive and closes with a lingering close (which drains what the
// client still sends); nothing else tries to read the body.
func (s *BodyStream) abandon() {
	s.done = true
	s.r.bodyEffect(bodyAbandoned)
}

// Read returns the next decoded body bytes (valid until the next call),
// waiting for them within client_body_timeout, or io.EOF once the body is
// complete. Any other error means the client failed (timeout, reset,
// invalid chunked body, body too large; BodyError maps it to nginx's
// status); the connection is then not kept alive.
func (s *BodyStream) Read() ([]byte, error) {
	if len(s.pre) > 0 {
		b := s.pre
		s.pre = nil
		return b, nil
	}
	if s.done {
		return nil, io.EOF
	}
	b, err := s.next(true)
	if err == io.EOF {
		s.done = true
		s.r.bodyEffect(bodyComplete)
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	s.Size += int64(len(b))
	return b, nil
}

// AppendReady appends to dst the decoded body bytes that can be had
// without waiting, so that a module can pass on in one piece all that
// arrived together, as nginx does; last reports that the body ended
// (io.EOF of Read). An error is the client's, as with Read.
func (s *BodyStream) AppendReady(dst []byte) (out []byte, last bool, err error) {
	for !s.done {
		b, err := s.next(false)
		if err == io.EOF {
			s.done = true
			s.r.bodyEffect(bodyComplete)
			break
		}
		if err != nil {
			return dst, false, err
		}
		if b == nil {
			return dst, false, nil
		}
		s.Size += int64(len(b))
		dst = append(dst, b...)
	}
	return dst, true, nil
}

// TakePreread returns the body bytes read before the stream started (nil
// when none); Read does not return them again. Modules send them with the
// request head, as nginx does.
func (s *BodyStream) TakePreread() []byte {
	b := s.pre
	s.pre = nil
	return b
}

// Complete reports whether the whole body was read.
func (s *BodyStream) Complete() bool { return s.done && s.r.bodyDiscarded }

// Stop ends the module's reading. When the body was not read to its end,
// the connection closes after the response (lingering), as nginx does.
func (s *BodyStream) Stop() {
	if s.done {
		return
	}
	s.abandon()
}

// ReadBodyElsewhere announces that the request's BodyStream is read on
// another goroutine than the request's from now on, until ResumeBody: the
// reads' log lines name action (nginx's "sending request to upstream"),
// and what a read changes on the request (no keepalive after a failure,
// $request_length) is applied by ResumeBody.
func (r *Request) ReadBodyElsewhere(action string) {
	r.bodyAsync = true
	r.bodyLog = ActionLog{R: r, Action: action}
}

// InterruptBody makes a BodyStream read that waits, on another goroutine
// than the request's, return at once, and every read after it until
// ResumeBody: the exchange the body was streamed to ended first (nginx
// then stops reading it too). A read so ended abandons the stream, as
// Stop does, and logs nothing.
func (r *Request) InterruptBody() {
	r.bodyStop.Store(true)
	nc := r.conn.nc
	nc.SetReadDeadline(time.Now())
	if st, ok := nc.(*h2stream); ok {
		st.wakeReader()
	}
}

// ResumeBody undoes InterruptBody, once the goroutine that read the body
// is done with it: the connection's read deadline is cleared.
func (r *Request) ResumeBody() {
	if r.bodyStop.Swap(false) {
		r.conn.nc.SetReadDeadline(time.Time{})
	}
	if !r.bodyAsync {
		return
	}
	r.bodyAsync = false
	later := r.bodyLater
	r.bodyLater = bodyEffects{}
	r.RequestLength += later.length
	for e := bodyEffect(1); e <= bodyComplete; e <<= 1 {
		if later.set&e != 0 {
			r.applyBodyEffect(e)
		}
	}
}

// bodyEffect is a change a body read makes on the request or connection.
type bodyEffect uint8

const (
	bodyTimedOut    bodyEffect = 1 << iota // the client timed out
	bodyFailed                             // the client's connection failed
	bodyLinger                             // close with a lingering close
	bodyNoKeepalive                        // do not keep the connection alive
	bodyAbandoned                          // the body will not be read to its end
	bodyComplete                           // the body was read to its end
)

// bodyEffects are what reads on another goroutine left for ResumeBody.
type bodyEffects struct {
	set    bodyEffect
	length int64
}

// bodyEffect makes e now, or at ResumeBody while the body is read on
// another goroutine.
func (r *Request) bodyEffect(e bodyEffect) {
	if r.bodyAsync {
		r.bodyLater.set |= e
		return
	}
	r.applyBodyEffect(e)
}

func (r *Request) applyBodyEffect(e bodyEffect) {
	switch e {
	case bodyTimedOut:
		r.conn.timedOut = true
	case bodyFailed:
		r.conn.failed = true
	case bodyLinger:
		r.LingeringClose = true
	case bodyNoKeepalive:
		r.Keepalive = false
	case bodyComplete:
		r.bodyDiscarded = true
	case bodyAbandoned:
		// as nginx does when a request ends while its body is still
		// being read: no keepalive, a lingering close (which drains what
		// the client still sends); nothing else tries to read the body
		r.Keepalive = false
		r.LingeringClose = true
		r.discard = nil
		if r.Body == nil {
			r.Body = r.newBody()
		}
	}
}

// bodyLogf logs for a body read, in the context ReadBodyElsewhere set
// while the body is read on another goroutine.
func (r *Request) bodyLogf(lv errlog.Level, err error, format string, args ...any) {
	if r.bodyAsync {
		r.Log().Logf(lv, &r.bodyLog, err, format, args...)
		return
	}
	r.logf(lv, err, format, args...)
}

// BodyError maps a BodyStream read error to the status nginx finalizes a
// request with when reading its body fails (413, 400, 408...).
func BodyError(err error) Status { return bodyError(err) }

// recvNow reads what the socket holds without waiting: 0 bytes and no
// error when nothing is there, io.EOF when the peer closed.
func recvNow(nc net.Conn, b []byte) (int, error) {
	if tc, ok := nc.(*tls.Conn); ok {
		return tlsRecvNow(tc, b)
	}
	if st, ok := nc.(*h2stream); ok {
		return st.RecvNow(b)
	}
	sc, ok := nc.(syscall.Conn)
	if !ok || len(b) == 0 {
		return 0, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), b, syscall.MSG_DONTWAIT)
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK || rerr == syscall.EINTR:
		return 0, nil
	case rerr != nil:
		return 0, rerr
	case n <= 0:
		return 0, io.EOF
	}
	return n, nil
}
