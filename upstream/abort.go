package upstream

import (
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
)

// clientWatch notices a client that closes its connection, or shuts down
// its side, while the upstream works (ngx_http_upstream_check_broken_connection
// with EPOLLRDHUP, as nginx runs on Linux): the client connection reports
// hangups (httpd's WatchHangup), and a hangup is logged with the socket's
// pending error and ends the exchange with 499. A hangup reported
// before the exchange began (a client that sent its request and shut down
// at once) is acted on once the upstream connection is made, as nginx's
// first write event does. With proxy_ignore_client_abort nothing is
// watched, as in nginx. Watches are pooled and cost nothing until a
// hangup is reported.
type clientWatch struct {
	u  *Upstream
	rc syscall.RawConn
	// gone says the client is gone; pending that a hangup came before the
	// first attempt did (reported before the exchange, or seen by check
	// before the attempt set its action): acted on once connected
	gone    atomic.Bool
	pending atomic.Bool
	// mu serialises the check between the hangup callback and attempt
	mu sync.Mutex
	// the socket's pending error, read by soError
	soerr   int
	soError func(fd uintptr)
	// onHangup is w.check, bound once
	onHangup func()
}

var watchPool = sync.Pool{New: func() any {
	w := &clientWatch{}
	w.onHangup = w.check
	w.soError = func(fd uintptr) {
		w.soerr, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	}
	return w
}}

// watchClient starts watching when the request has no body left to read
// (a streamed body owns the client's read side).
func (u *Upstream) watchClient() *clientWatch {
	r := u.R
	if u.RequestBodyNoBuffering || u.Conf.IgnoreClientAbort.Get() || r.PostAction || r.Background() {
		// a post_action runs whether the client is there or not, a
		// background subrequest once the response is out
		return nil
	}
	if r.IsSubrequest() && r.HangupWatched() {
		// a subrequest leaves the client side to the upstream of a request
		// of its tree that watches it already (see subrequest.go)
		return nil
	}
	rc := r.RawConn()
	if rc == nil && !r.IsStream() {
		return nil
	}
	w := watchPool.Get().(*clientWatch)
	w.u, w.rc = u, rc
	w.gone.Store(false)
	w.pending.Store(false)
	if !r.WatchHangup(w.onHangup) {
		w.u, w.rc = nil, nil
		watchPool.Put(w)
		return nil
	}
	if r.HungUp() {
		w.pending.Store(true)
	}
	return w
}

// connected is called once an attempt has its upstream connection: a
// hangup reported before the exchange is acted on now.
func (w *clientWatch) connected() {
	if w != nil && w.pending.Swap(false) {
		w.check()
	}
}

// check logs a reported hangup with the socket's pending error and ends
// the exchange (the client is gone). It runs on the park set's goroutine,
// or on the request's for an early hangup.
func (w *clientWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gone.Load() {
		return
	}
	u := w.u
	var err error
	if w.rc != nil {
		w.soerr = 0
		w.rc.Control(w.soError)
		if w.soerr != 0 {
			err = syscall.Errno(w.soerr)
		}
	}
	// the request's action and peer are read under u.mu (see setAction,
	// setPeer); nginx's upstream connection exists from the connect on
	u.mu.Lock()
	action := u.action
	if action == "" {
		// the first attempt has not begun: acted on once connected (the
		// attempt's setAction orders this store before its read)
		w.pending.Store(true)
		u.mu.Unlock()
		return
	}
	connected := u.conn != nil || action == actionConnecting
	done := u.upstreamDone
	u.mu.Unlock()
	if w.rc == nil {
		// an HTTP/2 stream reset or ended: nginx finalizes with 499
		// without a line (the fake connection's error)
		w.gone.Store(true)
		u.interrupt()
		return
	}
	if done {
		// nginx finalized the upstream request once the body was read;
		// the rest of the output meets the close in ngx_http_test_reading
		u.R.Log().Logf(errlog.Info, u.R.WithAction("sending to client"), err, "client prematurely closed connection")
		w.gone.Store(true)
		u.R.AbortOutput()
		return
	}
	msg := "epoll_wait() reported that client prematurely closed connection"
	if connected {
		msg += ", so upstream connection is closed too"
	}
	u.R.Log().Logf(errlog.Info, u.R.WithAction(action), err, "%s", msg)
	w.gone.Store(true)
	u.interrupt()
}

// end stops the watch; the watch's verdict stays readable through
// u.watchGone, and the watch goes back to the pool.
func (w *clientWatch) end() {
	if w == nil {
		return
	}
	u := w.u
	// after this no check runs
	u.R.UnwatchHangup()
	u.watchGone = w.gone.Load()
	u.watch = nil
	w.u, w.rc = nil, nil
	watchPool.Put(w)
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
		u.conn.stop()
	}
}

func (u *Upstream) isInterrupted() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.interrupted
}

// Actions the client watch tells apart.
const (
	actionConnecting = "connecting to upstream"
	actionSending    = "sending request to upstream"
	actionReadHeader = "reading response header from upstream"
)

// setAction sets the request's action ("while ..." in log lines) and
// publishes it for the client watch.
func (u *Upstream) setAction(a string) {
	u.mu.Lock()
	u.action = a
	u.mu.Unlock()
	u.R.SetAction(a)
}

// publishAction publishes an action for the client watch only: nginx's
// action stays "sending request to upstream" until the upstream's first
// bytes are read, while sluice's own log lines of the wait (a read
// timeout) already say "reading response header from upstream".
func (u *Upstream) publishAction(a string) {
	u.mu.Lock()
	u.action = a
	u.mu.Unlock()
}

// setPeer records the peer of the current attempt.
func (u *Upstream) setPeer(p *Peer) {
	u.mu.Lock()
	u.Peer = p
	u.peerFreed = false
	u.mu.Unlock()
}
