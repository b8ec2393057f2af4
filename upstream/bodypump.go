package upstream

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// Streaming the request body while the response is read.
//
// nginx sends a streamed request body (request_body_no_buffering) as the
// client's bytes arrive, and reads the upstream whenever it has something
// to say: a response that comes before the body is complete is passed on
// at once, and for gRPC (preserve_output) the body keeps going while the
// response does, which is what a bidirectional stream needs. Here the body
// goes out on a goroutine of its own, the pump, which runs the protocol's
// SendBody, while the request's goroutine reads the response as usual.
//
// The pump only reads the client's body and writes to the upstream (under
// wmu, with the writes of the request's goroutine, see Writer). It is
// stopped and joined when the exchange ends (haltPump, from next, finalize
// or the buffered pipe's finish, whichever comes first; then stopPump on
// the request's goroutine takes the body back): a body still being read is
// interrupted and the
// stream abandoned, which closes the client connection after the response
// (nginx's r->reading_body at finalize: no keepalive, lingering close); an
// upstream connection whose request was not all sent is not kept alive.
// When the pump fails first (the client's body failed, or the write to the
// upstream), it interrupts the exchange's reads, and the request's
// goroutine ends the exchange as nginx does for that failure.

// bodyPump is the state of one streamed body's pump.
type bodyPump struct {
	done chan struct{}
	// wake is signalled by WakeSender and by haltPump (capacity 1)
	wake     chan struct{}
	stopping atomic.Bool
	// halt makes haltPump's work happen once, whoever calls it
	halt sync.Once
	// finished is when the whole body went out (Unix nanoseconds), 0
	// until then
	finished atomic.Int64
	// failed is set, before the exchange's reads are interrupted, when
	// SendBody failed on its own; err, written before it, says why
	failed atomic.Bool
	err    error
}

// upstreamWriteError is the pump's failure to write to the upstream, as
// opposed to the client's body failing.
type upstreamWriteError struct{ err error }

func (e *upstreamWriteError) Error() string { return e.err.Error() }
func (e *upstreamWriteError) Unwrap() error { return e.err }

// startPump runs sb.SendBody on a goroutine of its own.
func (u *Upstream) startPump(sb BodySender) {
	p := &bodyPump{done: make(chan struct{}), wake: make(chan struct{}, 1)}
	u.pump = p
	// the client's failures log as nginx's do at that point
	u.R.ReadBodyElsewhere(actionSending)
	go u.runPump(p, sb)
}

func (u *Upstream) runPump(p *bodyPump, sb BodySender) {
	defer close(p.done)
	defer func() {
		if v := recover(); v != nil {
			u.R.Log().Logf(errlog.Alert, u.R.WithAction(actionSending), nil, "upstream module panic: %v", v)
			p.err = errPumpPanic
			p.failed.Store(true)
			if c := u.currentConn(); c != nil {
				c.stop()
			}
		}
	}()
	err := sb.SendBody(u)
	if err == nil {
		p.finished.Store(time.Now().UnixNano())
		return
	}
	if p.stopping.Load() {
		// stopped by the exchange's end: not a failure of its own
		return
	}
	p.err = err
	p.failed.Store(true)
	// the exchange cannot go on: wake its reads
	if c := u.currentConn(); c != nil {
		c.stop()
	}
}

var errPumpPanic = errors.New("request body pump panicked")

// haltPump ends the pump, if one runs, and waits for it; afterwards
// u.sentAll says whether the whole body went out. It may be called on
// another goroutine than the request's (the buffered pipe's reader, before
// it releases the connection), and more than once.
func (u *Upstream) haltPump() {
	p := u.pump
	if p == nil {
		return
	}
	p.halt.Do(func() {
		p.stopping.Store(true)
		stopped := false
		if p.finished.Load() == 0 {
			u.R.InterruptBody()
			// a write blocked on the upstream: the request is
			// incomplete there, the connection will not be reused
			if c := u.currentConn(); c != nil {
				c.stop()
				stopped = true
			}
		}
		select {
		case p.wake <- struct{}{}:
		default:
		}
		<-p.done
		u.sentAll = p.finished.Load() != 0 && !stopped
	})
}

// stopPump is haltPump on the request's goroutine, which then takes back
// the reading of the body (httpd's ResumeBody applies what the pump's
// reads did to the request).
func (u *Upstream) stopPump() {
	if u.pump == nil {
		return
	}
	u.haltPump()
	u.R.ResumeBody()
}

// pumpError is the pump's own failure, nil if it has none (yet); it may be
// called on another goroutine than the request's.
func (u *Upstream) pumpError() error {
	if p := u.pump; p != nil && p.failed.Load() {
		return p.err
	}
	return nil
}

// pumpBusy reports whether a pump is still sending the body: until it has,
// the wait for the response head has no read timeout (nginx arms
// read_timeout once the request is sent).
func (u *Upstream) pumpBusy() bool {
	return u.pump != nil && u.pump.finished.Load() == 0 && !u.pump.failed.Load()
}

// pumpFinished is when the pump sent the whole body, zero if it has not
// (or there is no pump).
func (u *Upstream) pumpFinished() time.Time {
	if u.pump == nil {
		return time.Time{}
	}
	if t := u.pump.finished.Load(); t != 0 {
		return time.Unix(0, t)
	}
	return time.Time{}
}

// pumpFailure maps the pump's failure err to how the exchange ends: ft,
// an attempt failure (the write to the upstream), or st, the status to
// finalize with (the client's body failed: 408, 400, 413), as
// ngx_http_upstream_send_request does.
func (u *Upstream) pumpFailure(err error) (ft uint32, st int) {
	var we *upstreamWriteError
	if errors.As(err, &we) {
		r := u.R
		r.SetAction(actionSending)
		if isTimeout(we.err) {
			return FtTimeout, 0
		}
		logIOError(r, u.currentConn(), we.err, "writev() failed", "SSL_write() failed")
		return FtError, 0
	}
	if err == errPumpPanic {
		return 0, 500
	}
	return 0, int(httpd.BodyError(err))
}

// WaitSendable waits, in a BodySender's SendBody, until WakeSender is
// called (the peer opened its flow-control window) or the exchange ends;
// it reports false in the latter case, when SendBody should return.
func (u *Upstream) WaitSendable() bool {
	p := u.pump
	if p == nil {
		return false
	}
	<-p.wake
	return !p.stopping.Load()
}

// WakeSender wakes a SendBody waiting in WaitSendable; it is called from
// the protocol's response side (ProcessHeader, FilterBody) when the peer
// allows more of the body.
func (u *Upstream) WakeSender() {
	if p := u.pump; p != nil {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}
