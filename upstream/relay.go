package upstream

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/buf"
)

// errBody is a body the protocol's filter rejected (logged by the filter).
var errBody = errors.New("invalid upstream body")

// filterInit prepares body decoding.
func (u *Upstream) filterInit() error {
	if bf, ok := u.Proto.(BodyFilter); ok {
		return bf.InitBody(u)
	}
	return nil
}

// filter decodes raw body bytes into u.Out: the protocol's filter, or the
// default one that counts down Length (nginx's non-buffered and pipe copy
// filters).
func (u *Upstream) filter(raw []byte) error {
	u.Out = u.Out[:0]
	if bf, ok := u.Proto.(BodyFilter); ok {
		err := bf.FilterBody(u, raw)
		if err == nil && u.writer != nil {
			if err = u.sendOutgoing(); err != nil {
				logIOError(u.R, u.conn, err, "writev() failed", "SSL_write() failed")
			}
		}
		return err
	}
	if u.Length == 0 {
		if len(raw) > 0 {
			u.Logf(errlog.Warn, nil, "upstream sent more data than specified in \"Content-Length\" header")
			u.Keepalive = false
		}
		return nil
	}
	if u.Length > 0 && int64(len(raw)) > u.Length {
		u.Logf(errlog.Warn, nil, "upstream sent more data than specified in \"Content-Length\" header")
		raw = raw[:u.Length]
		u.Keepalive = false
	}
	if len(raw) > 0 {
		u.Out = append(u.Out, raw)
	}
	if u.Length > 0 {
		u.Length -= int64(len(raw))
	}
	return nil
}

// bodyComplete reports whether the body is known to be complete.
func (u *Upstream) bodyComplete() bool { return u.Length == 0 }

// relayBody sends the response body in the configured mode.
func (u *Upstream) relayBody() httpd.Status {
	r := u.R
	if err := u.filterInit(); err != nil {
		return u.finalize(int(httpd.Error))
	}
	if r.Body != nil && r.Body.File != nil {
		// nginx closes the request body temp file once the response starts
	}
	if !u.Buffering {
		r.LimitRate = 0
		return u.relayUnbuffered()
	}
	return u.relayBuffered()
}

// preread returns the body bytes that came with the head.
func (u *Upstream) preread() []byte {
	if u.Pos < u.Last {
		return u.Buffer[u.Pos:u.Last]
	}
	return nil
}

// relayUnbuffered relays the body as it arrives through one buffer
// (ngx_http_upstream_process_non_buffered_request).
func (u *Upstream) relayUnbuffered() httpd.Status {
	r := u.R
	c := u.conn
	if u.bodyBuf == nil {
		u.bodyBuf = buf.Get(int(u.Conf.BufferSize.Get()))
	}
	chain := &httpd.Chain{}
	// The log action follows nginx's events. The preread bytes are
	// filtered under the head's action (ngx_http_upstream_send_response)
	// and passed on under "sending to client"
	// (ngx_http_upstream_process_non_buffered_downstream), whose loop
	// reads on while the upstream's read event stays ready: after a read
	// that filled the buffer, or once the close is known. A short read
	// leaves it not ready, and what comes next comes with the next read
	// event, under "reading upstream"
	// (ngx_http_upstream_process_non_buffered_upstream). A filter's log
	// line (gunzip's) and the error that ends the body say which.
	first := false
	send := func(raw []byte) int {
		u.state.ResponseLength += int64(len(raw))
		err := u.filter(raw)
		if err != nil && !errors.Is(err, ErrBodyShort) {
			return int(httpd.Error)
		}
		if first {
			u.setAction("sending to client")
		}
		if u.bodyComplete() {
			u.releaseConn()
		}
		chain.Reset()
		for _, p := range u.Out {
			chain.Append(p)
		}
		chain.Flush = true
		if len(chain.Pieces) > 0 {
			if r.Output(chain) != httpd.OK {
				return httpd.StatusClientClosedRequest
			}
		}
		if err != nil {
			return 502
		}
		return 0
	}
	// ready is nginx's ready flag of the upstream's read event
	ready := false
	if pre := u.preread(); len(pre) > 0 {
		first, ready = true, u.headReadFull
		if rc := send(pre); rc != 0 {
			return u.finalize(rc)
		}
		u.readEventEnds(ready)
	} else {
		u.readingUpstream()
		if r.Output(&httpd.Chain{Flush: true}) != httpd.OK {
			return u.finalize(httpd.StatusClientClosedRequest)
		}
	}
	timeout := u.Conf.ReadTimeout.Get()
	for !u.bodyComplete() {
		c.SetReadTimeout(timeout)
		n, waited, err := c.readOrWait(u.bodyBuf)
		if (first || u.writer != nil) && (waited || !ready && n > 0) {
			// what ended the wait, or bytes nginx reads at its next read
			// event: the upstream's read event (a client that leaves
			// during the wait meets the action before it)
			first = false
			u.readingUpstream()
		}
		ready = n == len(u.bodyBuf)
		if n > 0 {
			u.state.BytesReceived += int64(n)
			if rc := send(u.bodyBuf[:n]); rc != 0 {
				return u.finalize(rc)
			}
			u.readEventEnds(ready)
			continue
		}
		if rc := u.readFailed(err, "recv()"); rc >= 0 {
			return u.finalize(rc)
		}
	}
	return u.finalize(0)
}

// readingUpstream sets the action of a read the upstream's read event
// started (ngx_http_upstream_process_non_buffered_upstream).
func (u *Upstream) readingUpstream() { u.setAction("reading upstream") }

// readEventEnds follows the end of nginx's upstream read event (the
// read did not fill the buffer: ready is false) for a protocol that
// writes to the upstream while reading its response (gRPC, nginx's
// preserve_output): epoll reports the socket writable with each read
// event, and the upstream's write handler, which runs after the read
// handler, sets its action (ngx_http_upstream_send_request).
func (u *Upstream) readEventEnds(ready bool) {
	if u.writer != nil && !ready {
		u.setAction("sending request to upstream")
	}
}

// readFailed handles an upstream read error while reading the body; it
// returns the finalize code, or -1 when the body ended normally
// (close-delimited). call names the failed call in the log as nginx names
// it: recv() unbuffered, readv() in the buffered pipe.
func (u *Upstream) readFailed(err error, call string) int {
	if perr := u.pumpError(); perr != nil {
		// the streamed body failed and interrupted the read
		if _, st := u.pumpFailure(perr); st != 0 {
			return st
		}
		return 502
	}
	if u.clientAborted() || u.isInterrupted() {
		return httpd.StatusClientClosedRequest
	}
	switch {
	case isTimeout(err):
		u.Logf(errlog.Error, errTimedOut, "upstream timed out")
		return 504
	case err == nil || errors.Is(err, io.EOF):
		if u.Length == -1 {
			// a body whose end is the close (a protocol filter that keeps
			// Length -1 says the same, as nginx's u->length == -1)
			u.Length = 0
			u.Keepalive = false
			u.closeEnded = true
			return 0
		}
		u.Logf(errlog.Error, nil, "upstream prematurely closed connection")
		return 502
	default:
		u.Logf(errlog.Error, syscallErr(err), "%s failed", call)
		return 502
	}
}

// tunnel relays both ways after 101 Switching Protocols
// (ngx_http_upstream_upgrade): each direction bounded by the read and
// send timeouts, until either side closes.
func (u *Upstream) tunnel() httpd.Status {
	r := u.R
	u.setAction("proxying upgraded connection")
	// the 101 head queued by SendHeader goes out before any relayed byte
	if r.Output(&httpd.Chain{Flush: true}) != httpd.OK {
		return u.finalize(httpd.StatusClientClosedRequest)
	}
	client := r.Conn()
	up := u.conn
	readTimeout := u.Conf.ReadTimeout.Get()
	sendTimeout := u.Conf.SendTimeout.Get()
	clientSendTimeout := r.CoreLoc().SendTimeout.Get()
	// what the upstream sent after its head, then what the client sent
	// after its request head, go first
	var toClient atomic.Int64
	if pre := u.preread(); len(pre) > 0 {
		if err := writeAll(client, pre, clientSendTimeout); err != nil {
			return u.finalize(httpd.StatusClientClosedRequest)
		}
		toClient.Add(int64(len(pre)))
	}
	if pre := r.TakeBuffered(); len(pre) > 0 {
		if err := writeAll(up, pre, sendTimeout); err != nil {
			u.Logf(errlog.Error, syscallErr(err), "send() failed")
			return u.finalize(502)
		}
	}
	done := make(chan error, 2)
	// stopped (under mu) ends the tunnel: a direction arming its read
	// deadline after the other ended must not wait out a whole timeout
	// (the deadline set to wake it would be overwritten)
	var mu sync.Mutex
	stopped := false
	pump := func(dst, src net.Conn, rt, wt time.Duration, count *atomic.Int64) {
		b := buf.Get(int(u.Conf.BufferSize.Get()))
		defer buf.Put(b)
		for {
			mu.Lock()
			if stopped {
				mu.Unlock()
				done <- os.ErrDeadlineExceeded
				return
			}
			if rt > 0 {
				src.SetReadDeadline(time.Now().Add(rt))
			}
			mu.Unlock()
			n, err := src.Read(b)
			if n > 0 {
				mu.Lock()
				if !stopped && wt > 0 {
					dst.SetWriteDeadline(time.Now().Add(wt))
				}
				mu.Unlock()
				if werr := writeAll(dst, b[:n], 0); werr != nil {
					done <- werr
					return
				}
				if count != nil {
					count.Add(int64(n))
				}
			}
			if err != nil {
				done <- err
				return
			}
		}
	}
	go pump(up, client, readTimeout, sendTimeout, nil)
	go pump(client, up, readTimeout, clientSendTimeout, &toClient)
	err := <-done
	if isTimeout(err) {
		u.Logf(errlog.Error, errTimedOut, "upstream timed out")
	}
	// wake the other direction
	mu.Lock()
	stopped = true
	up.SetDeadline(time.Now())
	client.SetDeadline(time.Now())
	mu.Unlock()
	<-done
	// relayed bytes count in $bytes_sent and $body_bytes_sent, as nginx's
	// c->sent does
	r.BytesSent += toClient.Load()
	client.SetDeadline(time.Time{})
	r.Keepalive = false
	u.Keepalive = false
	u.upgraded = true
	u.finalize(0)
	return httpd.Error
}

func writeAll(c net.Conn, b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		if timeout > 0 {
			c.SetWriteDeadline(time.Now().Add(timeout))
		}
		n, err := c.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
