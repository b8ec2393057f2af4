package upstream

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"github.com/sluicehq/sluice/httpd"
)

// Sending a request and waiting for its response in one step.
//
// nginx reads from an upstream only when the event loop says the response
// has arrived. A Go program that writes the request and then reads tries a
// read first, which finds nothing (EAGAIN) at once, and only then waits:
// one wasted system call per request. sendWait instead starts the wait for
// readability first and writes the request from inside it, with one
// non-blocking writev; the response cannot arrive before the wait began,
// so it cannot be missed, and the read that follows finds it.

// maxWaitPieces is how many request pieces sendWait writes in one vector;
// a request with more goes the ordinary way.
const maxWaitPieces = 8

type sendWaitState struct {
	fn    func(fd uintptr) bool
	iov   [maxWaitPieces]syscall.Iovec
	niov  int
	total int
	// step: 0 before the write, 1 written and waiting, 2 the write was
	// short or failed (n bytes went out, err why)
	step uint8
	n    int
	err  error
}

// sendWait writes the request's memory pieces and waits, within the read
// deadline already set, until the connection is readable. done reports
// that the whole request went out (err is then why the wait ended early:
// the read deadline, a close); otherwise n bytes went out and the caller
// writes the rest (err is the write's failure, if any). ok is false when
// the request does not qualify (a file piece, too many pieces, no
// descriptor): nothing was done.
func (c *Conn) sendWait(pieces []httpd.Piece) (n int, done, ok bool, err error) {
	if _, ready := c.rawReady(); !ready {
		return 0, false, false, nil
	}
	sw := &c.sw
	sw.niov, sw.total = 0, 0
	for i := range pieces {
		d := pieces[i].Data
		if pieces[i].File != nil || sw.niov == maxWaitPieces {
			sw.clear()
			return 0, false, false, nil
		}
		if len(d) == 0 {
			continue
		}
		sw.iov[sw.niov] = syscall.Iovec{Base: &d[0]}
		sw.iov[sw.niov].SetLen(len(d))
		sw.niov++
		sw.total += len(d)
	}
	if sw.total == 0 {
		sw.clear()
		return 0, false, false, nil
	}
	sw.step, sw.n, sw.err = 0, 0, nil
	werr := c.raw.Read(sw.fn)
	n, step, err := sw.n, sw.step, sw.err
	sw.clear()
	c.sent += int64(n)
	switch step {
	case 1:
		return n, true, true, werr
	case 2:
		return n, false, true, err
	}
	// the wait did not start (a deadline already passed, a close): the
	// ordinary write finds out why
	return 0, false, true, nil
}

// sendWaitStep is the raw read callback: the first call writes, and asks
// to wait when all went out; a later call means readable.
func (c *Conn) sendWaitStep(fd uintptr) bool {
	sw := &c.sw
	if sw.step != 0 {
		return true
	}
	for {
		r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&sw.iov[0])), uintptr(sw.niov))
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			sw.step = 2
		case e != 0:
			sw.step, sw.err = 2, e
		case int(r) < sw.total:
			sw.step, sw.n = 2, int(r)
		default:
			sw.step, sw.n = 1, int(r)
			return false
		}
		return true
	}
}

// clear drops the vector's references to the request's memory.
func (sw *sendWaitState) clear() {
	for i := range sw.niov {
		sw.iov[i] = syscall.Iovec{}
	}
	sw.niov = 0
}

// readWaitState is readOrWait's: the step bound once, and the read's
// buffer and result.
type readWaitState struct {
	fn     func(fd uintptr) bool
	b      []byte
	n      int
	err    error
	waited bool
}

// readOrWait reads into b as Read does; waited says it had to wait for
// the bytes (or the end, or the timeout). nginx's non-buffered loop goes
// on reading while the upstream has bytes ready, under the log action of
// the event that started it; the action changes only with the next read
// event, which ends such a wait. A connection without a descriptor of its
// own (TLS, whose layer may hold decrypted bytes) counts as waiting.
func (c *Conn) readOrWait(b []byte) (n int, waited bool, err error) {
	if _, ok := c.rawReady(); !ok || c.tcp != nil {
		n, err = c.Conn.Read(b)
		return n, true, err
	}
	rw := &c.rw
	rw.b, rw.waited = b, false
	err = c.raw.Read(rw.fn)
	n, waited = rw.n, rw.waited
	rerr := rw.err
	rw.b = nil
	switch {
	case err != nil:
		return 0, waited, err
	case rerr != nil:
		return 0, waited, os.NewSyscallError("read", rerr)
	case n == 0 && len(b) > 0:
		return 0, waited, io.EOF
	}
	return n, waited, nil
}

// readStep is readOrWait's step on the descriptor: one read, and false
// (wait) when there is nothing to read yet.
func (c *Conn) readStep(fd uintptr) bool {
	rw := &c.rw
	rw.n, rw.err = syscall.Read(int(fd), rw.b)
	if rw.err == syscall.EAGAIN {
		rw.waited = true
		return false
	}
	return rw.err != syscall.EINTR
}
