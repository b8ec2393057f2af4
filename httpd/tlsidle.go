package httpd

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/internal/buf"
)

// Idle TLS connections. A TLS connection waiting for its next request is
// parked as a plain one is (park.go), by the TCP socket beneath it, but
// only once a TLS read proved that nothing is waiting inside the TLS
// layer: crypto/tls reads whole records from the socket and may hold
// decrypted bytes, or records not yet decrypted, that epoll would never
// report. So the linger is a TLS read with a short deadline; a read that
// times out (timeouts do not break a tls.Conn) with nothing read leaves at
// most part of a record buffered, whose rest the socket will report.
//
// A wake-up may bring part of a record (a slow client) or a record that
// is no request (a TLS 1.3 KeyUpdate, handled inside tls.Conn.Read): the
// connection then lingers and parks again, for what is left of the wait
// that parked it first, as nginx's ngx_http_keepalive_handler and
// ngx_http_wait_request_handler keep their timer across SSL_read's
// SSL_ERROR_WANT_READ. Its expiry is logged as a plain connection's
// (timedOutIdle): "client timed out" before a first request, nothing
// after one.

// idleWaitTLS waits for the next request's first bytes on a TLS
// connection until end (zero: no end): lingerIdle on the goroutine, then
// parked.
func (c *conn) idleWaitTLS(end time.Time) waitResult {
	short := lingerIdle
	if !end.IsZero() {
		if rem := time.Until(end); rem < short {
			short = rem
		}
	}
	if short > 0 {
		switch c.readTLSFor(short) {
		case readData:
			return waitData
		case readClosed:
			return waitClose
		}
	}
	var rem time.Duration
	if !end.IsZero() {
		if rem = time.Until(end); rem <= 0 {
			c.timedOutIdle()
			return waitClose
		}
	}
	c.tls.idleEnd = end
	if err := c.park(rem); err != nil {
		if err == errReused {
			return waitClose
		}
		// no parking (e.g. out of epoll resources, or draining): wait on
		// the goroutine
		if !c.waitData(rem) {
			return waitClose
		}
		return waitData
	}
	return waitParked
}

// readTLSFor is readFor on a TLS connection: it waits up to d for the
// next request's bytes through the TLS layer and reads them into a
// header buffer (readData). readNothing means the read timed out with
// nothing read, the buffer given back: the connection may be parked.
func (c *conn) readTLSFor(d time.Duration) readResult {
	if !c.setIdle(true) {
		return readClosed
	}
	defer c.setIdle(false)
	if c.in == nil {
		c.in = buf.Get(int(c.addr.def.CoreSrv().ClientHeaderBufferSize.Get()))
	}
	c.pos, c.last = 0, 0
	// as readFor: let the goroutines ready to run go first
	runtime.Gosched()
	n, err := c.readTLSWithin(d)
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) && !c.closing() && c.socketReadable() {
		// readAfterLinger's last look: the linger's timer fired while
		// the request sat unnoticed in the socket
		n, err = c.readTLSWithin(d)
	}
	if c.closing() {
		return readClosed
	}
	if n > 0 {
		// bytes that came with an error (a close_notify after the
		// request) are served; the next read meets the error again
		c.last = n
		return readData
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		buf.Put(c.in)
		c.in = nil
		return readNothing
	}
	c.readEnded(err)
	return readClosed
}

// readTLSWithin is one TLS read into c.in bounded by d. The write
// deadline is the read's too, as nginx bounds what SSL_read writes by the
// read timer: a KeyUpdate asking for ours is answered inside Read.
func (c *conn) readTLSWithin(d time.Duration) (int, error) {
	tc := c.tlsc()
	tc.SetDeadline(time.Now().Add(d))
	n, err := tc.Read(c.in)
	tc.SetDeadline(time.Time{})
	c.wd.Clear()
	return n, err
}

// socketReadable reports whether the socket under the TLS layer has bytes
// (or an end) to read now.
func (c *conn) socketReadable() bool {
	ready := false
	c.tls.raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ready = n > 0 || (err != syscall.EAGAIN && err != syscall.EINTR)
	})
	return ready
}
