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
// watch quietly. Watches are pooled: the goroutine's function, the peek
// callback and the timer are made once per watch, so starting one
// allocates nothing. The watching goroutine starts only when the exchange
// outlasts watchDelay: most answers come sooner, and cost no goroutine,
// peek or deadline changes.
type clientWatch struct {
	u      *Upstream
	rc     syscall.RawConn
	stop   atomic.Bool
	gone   atomic.Bool
	logged atomic.Bool
	wg     sync.WaitGroup
	// mu orders the timer's start against end: started says the
	// goroutine runs, ended that it must not start any more
	mu      sync.Mutex
	started bool
	ended   bool
	timer   *time.Timer
	begin   func()
	// the peek's result, written by the watching goroutine only
	b    [1]byte
	eof  bool
	perr error
	// peek and run are w.peekFD and w.watch, bound once
	peek func(fd uintptr) bool
	run  func()
}

// watchDelay is how long an exchange runs before its client is watched.
const watchDelay = 20 * time.Millisecond

var watchPool = sync.Pool{New: func() any {
	w := &clientWatch{}
	w.peek = w.peekFD
	w.run = w.watch
	w.begin = w.startWatching
	return w
}}

// startWatching starts the watching goroutine unless the watch ended.
func (w *clientWatch) startWatching() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	w.started = true
	w.wg.Add(1)
	go w.run()
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
	rc := r.RawConn()
	if rc == nil {
		return nil
	}
	w := watchPool.Get().(*clientWatch)
	w.u, w.rc = u, rc
	w.stop.Store(false)
	w.gone.Store(false)
	w.logged.Store(false)
	w.eof, w.perr = false, nil
	w.started, w.ended = false, false
	if w.timer == nil {
		w.timer = time.AfterFunc(watchDelay, w.begin)
	} else {
		w.timer.Reset(watchDelay)
	}
	return w
}

// peekFD looks at the client socket without consuming: false (wait for
// readiness) while there is nothing to read.
func (w *clientWatch) peekFD(fd uintptr) bool {
	if w.stop.Load() {
		return true
	}
	n, _, e := syscall.Recvfrom(int(fd), w.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if e == syscall.EAGAIN {
		return false
	}
	w.eof = n == 0 && e == nil
	w.perr = e
	return true
}

// watch is the watching goroutine.
func (w *clientWatch) watch() {
	defer w.wg.Done()
	u := w.u
	err := w.rc.Read(w.peek)
	if err != nil || w.stop.Load() || !(w.eof || w.perr != nil) {
		return
	}
	// the request's action and peer are read under u.mu (see setAction,
	// setPeer)
	u.R.Log().Logf(errlog.Info, u.R.WithAction(u.currentAction()), w.perr, "client prematurely closed connection")
	w.logged.Store(true)
	w.gone.Store(true)
	if !u.Conf.IgnoreClientAbort.Get() {
		u.interrupt()
	}
}

// end stops the watch and waits for it, leaving the client connection's
// read side as it was. The watch's verdict stays readable through
// u.watchGone; the watch itself goes back to the pool.
func (w *clientWatch) end() {
	if w == nil {
		return
	}
	w.stop.Store(true)
	u := w.u
	stopped := w.timer.Stop()
	w.mu.Lock()
	w.ended = true
	started := w.started
	w.mu.Unlock()
	// a timer that fired without starting the goroutine yet has its
	// callback still to run: that callback holds w, which then cannot go
	// back to the pool (it would see the next exchange's state)
	pending := !stopped && !started
	if started {
		c := u.R.Conn()
		c.SetReadDeadline(time.Now())
		w.wg.Wait()
		c.SetReadDeadline(time.Time{})
	}
	u.watchGone = w.gone.Load()
	u.watch = nil
	w.u, w.rc, w.perr = nil, nil, nil
	if !pending {
		watchPool.Put(w)
	}
}

// clientAborted reports whether the client went away and the exchange was
// interrupted for it.
func (u *Upstream) clientAborted() bool {
	gone := u.watchGone
	if w := u.watch; w != nil {
		gone = w.gone.Load()
	}
	return gone && !u.Conf.IgnoreClientAbort.Get()
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
