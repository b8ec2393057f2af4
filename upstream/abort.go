package upstream

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// clientWatch notices a client that closes its connection while the
// upstream works (ngx_http_upstream_check_broken_connection): it waits for
// the client socket to become readable and peeks, without consuming; EOF
// or an error means the client is gone. Data (a pipelined request) ends the
// watch quietly.
type clientWatch struct {
	u      *Upstream
	stop   atomic.Bool
	gone   atomic.Bool
	logged atomic.Bool
	wg     sync.WaitGroup
}

// watchClient starts watching when the request has no body left to read
// (a streamed body owns the client's read side).
func (u *Upstream) watchClient() *clientWatch {
	r := u.R
	if u.RequestBodyNoBuffering || r.Conn() == nil || r.IsSubrequest() {
		// a subrequest leaves the client side to its main request (see
		// subrequest.go)
		return nil
	}
	sc, ok := r.Conn().(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &clientWatch{u: u}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var b [1]byte
		var eof bool
		var perr error
		err := rc.Read(func(fd uintptr) bool {
			if w.stop.Load() {
				return true
			}
			n, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if e == syscall.EAGAIN {
				return false
			}
			eof = n == 0 && e == nil
			perr = e
			return true
		})
		if err != nil || w.stop.Load() || !(eof || perr != nil) {
			return
		}
		// the request's action and peer are read under u.mu (see
		// setAction, setPeer)
		u.R.Log().Logf(errlog.Info, u.R.WithAction(u.currentAction()), perr, "client prematurely closed connection")
		w.logged.Store(true)
		w.gone.Store(true)
		if !u.Conf.IgnoreClientAbort.Get() {
			u.interrupt()
		}
	}()
	return w
}

// end stops the watch and waits for it, leaving the client connection's
// read side as it was.
func (w *clientWatch) end() {
	if w == nil {
		return
	}
	w.stop.Store(true)
	c := w.u.R.Conn()
	c.SetReadDeadline(time.Now())
	w.wg.Wait()
	c.SetReadDeadline(time.Time{})
}

// aborted reports whether the client went away and the exchange was
// interrupted for it.
func (w *clientWatch) aborted() bool {
	return w != nil && w.gone.Load() && !w.u.Conf.IgnoreClientAbort.Get()
}

// interrupt wakes whatever the exchange is blocked on with the upstream.
func (u *Upstream) interrupt() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.interrupted = true
	if u.conn != nil {
		u.conn.SetDeadline(time.Now())
	}
}

func (u *Upstream) isInterrupted() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.interrupted
}

// setAction sets the request's action ("while ..." in log lines) and
// publishes it for the client watch.
func (u *Upstream) setAction(a string) {
	u.mu.Lock()
	u.action = a
	u.mu.Unlock()
	u.R.SetAction(a)
}

func (u *Upstream) currentAction() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.action
}

// setPeer records the peer of the current attempt.
func (u *Upstream) setPeer(p *Peer) {
	u.mu.Lock()
	u.Peer = p
	u.peerFreed = false
	u.mu.Unlock()
}
