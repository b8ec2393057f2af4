package upstream

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/sluicehq/sluice/internal/deadline"
)

// Pool caches idle upstream connections per peer address (nginx's
// ngx_http_upstream_keepalive_module): at most Max idle connections per
// worker, each reused for at most Requests requests and Time in all, closed
// after Timeout idle. While other exchanges of its group are in flight,
// connections beyond Max are closed, least recently used first,
// overflowGrace later rather than at once (see there).
type Pool struct {
	// Max is the number of idle connections kept ("keepalive N").
	Max int
	// Requests, Time and Timeout are keepalive_requests (default 1000),
	// keepalive_time (1h) and keepalive_timeout (60s).
	Requests int
	Time     time.Duration
	Timeout  time.Duration
	// Busy, when set, returns how many exchanges of the pool's group are
	// in flight: the pool goes over Max only while others are (see
	// overflowGrace).
	Busy func() int64

	mu   sync.Mutex
	idle []idleConn // most recently used last
	// trimmer closes the connections beyond Max a grace (overflowGrace)
	// after the pool went over Max; armed: it is pending.
	trimmer *time.Timer
	armed   bool
	grace   time.Duration
	// peekUntil (Unix nanoseconds): until then every reuse is peeked at,
	// since a reused connection turned out closed (peekAll).
	peekUntil atomic.Int64
}

// Peeking at an idle connection before reuse costs a system call per
// request. nginx needs none: its event loop sees a peer's close of an idle
// connection and drops it. A connection that was idle only briefly is
// reused without a peek, unless the request could not be retried should
// the connection turn out closed; one that was closed after all fails its
// attempt, which is retried without counting as a try (as nginx retries a
// cached connection's failure), and from then on the pool peeks at every
// reuse for a while.
const (
	// peekAfter is the idle time from which a connection is always peeked
	// at: peers close idle connections after seconds (keepalive_timeout).
	peekAfter = 100 * time.Millisecond
	// peekAllFor is how long the pool peeks at every reuse after a reused
	// connection turned out closed.
	peekAllFor = time.Minute
)

type idleConn struct {
	network, address string
	// tls: the connection is a TLS one; only exchanges over TLS reuse it
	tls   bool
	conn  *Conn
	since time.Time
}

// Conn is an upstream connection with the counters keepalive needs.
type Conn struct {
	net.Conn
	// Requests is how many requests the connection carried.
	Requests int
	// Start is when it was established.
	Start time.Time
	// Cached is set when the connection came from the pool.
	Cached bool

	// tcp is the socket under a TLS connection (Conn is then a
	// *tls.Conn), nil for a plain one. A TLS connection takes the
	// generic net.Conn paths: raw stays nil, so sendWait does not write
	// to the socket past TLS, and alive peeks at tcp.
	tcp net.Conn

	sent int64
	// data is what a Writer protocol keeps with the connection
	// (Upstream.ConnData)
	data any
	// stopped is set by stop: from then on every deadline is now
	stopped atomic.Bool
	// rd and wd record the deadlines SetReadTimeout and SetWriteTimeout
	// armed (lazily, see package deadline). The exact setters leave them
	// alone: only the upgrade relay uses those, on a connection that is
	// never pooled.
	rd, wd deadline.Lazy
	// raw, peek and the fields after them serve alive and sendWait
	// without allocating.
	raw     syscall.RawConn
	peek    func(fd uintptr) bool
	peekBuf [1]byte
	peekOK  bool
	sw      sendWaitState
	rw      readWaitState
}

// stop interrupts whatever the exchange does on the connection: its
// deadlines are now, and stay so whatever timeout the exchange sets after
// (a client abort reported on another goroutine must not be undone by the
// read timeout the exchange sets next).
func (c *Conn) stop() {
	c.stopped.Store(true)
	c.Conn.SetDeadline(time.Now())
}

// SetDeadline sets the connection's deadlines (now, once stopped).
func (c *Conn) SetDeadline(t time.Time) error { return c.keepStopped(c.Conn.SetDeadline(t)) }

// SetReadDeadline sets the read deadline (now, once stopped).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.keepStopped(c.Conn.SetReadDeadline(t)) }

// SetWriteDeadline sets the write deadline (now, once stopped).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.keepStopped(c.Conn.SetWriteDeadline(t)) }

// SetReadTimeout arms the read deadline for a timeout d from now (none
// when d <= 0), leaving one armed within nginx's lazy timer slack of it.
func (c *Conn) SetReadTimeout(d time.Duration) { c.setTimeout(&c.rd, d, true) }

// SetWriteTimeout arms the write deadline as SetReadTimeout arms the read
// one.
func (c *Conn) SetWriteTimeout(d time.Duration) { c.setTimeout(&c.wd, d, false) }

// setTimeout arms the read or write deadline that l records.
func (c *Conn) setTimeout(l *deadline.Lazy, d time.Duration, read bool) {
	var t time.Time
	if d <= 0 {
		if !l.Clear() {
			return
		}
	} else {
		var ok bool
		if t, ok = l.Arm(time.Now(), d); !ok {
			return
		}
	}
	if read {
		c.SetReadDeadline(t)
	} else {
		c.SetWriteDeadline(t)
	}
}

// keepStopped follows a deadline change: a stopped connection's deadlines
// go back to now (stop's store precedes its deadline change, the setter's
// change precedes this load: whichever comes last, now wins).
func (c *Conn) keepStopped(err error) error {
	if c.stopped.Load() {
		return c.Conn.SetDeadline(time.Now())
	}
	return err
}

// NewPool returns a pool keeping max idle connections, with nginx's
// defaults for the other limits.
func NewPool(max int) *Pool {
	return &Pool{Max: max, Requests: 1000, Time: time.Hour, Timeout: 60 * time.Second, grace: overflowGrace}
}

// Get returns an idle connection to the peer, or nil; overTLS asks for a
// TLS connection (Put keeps plain and TLS connections apart). A connection
// that the peer closed while idle is discarded: it is peeked at when it was
// idle for peekAfter or more, when must is set (a request that cannot be
// retried), or while the pool peeks at every reuse (peekAll).
func (p *Pool) Get(peer *Peer, must, overTLS bool) *Conn {
	if p == nil {
		return nil
	}
	now := time.Now()
	for {
		ic, ok := p.take(peer, overTLS)
		if !ok {
			return nil
		}
		idle := now.Sub(ic.since)
		if idle >= p.Timeout {
			ic.conn.abort()
			continue
		}
		// the last exchange's read deadline stays armed while idle (one
		// timer change less per request); one that passed would fail the
		// peek, and the exchange's own read at once
		if ic.conn.rd.Passed(now) {
			ic.conn.SetReadTimeout(0)
		}
		// the peek and the close are system calls: not under the lock
		if (must || idle >= peekAfter || now.UnixNano() < p.peekUntil.Load()) && !alive(ic.conn) {
			ic.conn.abort()
			p.peekAll(now)
			continue
		}
		ic.conn.Cached = true
		ic.conn.sent = 0 // $upstream_bytes_sent counts this request's bytes
		return ic.conn
	}
}

// peekAll makes the pool peek at every reuse for peekAllFor: its peer
// closes idle connections.
func (p *Pool) peekAll(now time.Time) {
	if p == nil {
		return
	}
	p.peekUntil.Store(now.Add(peekAllFor).UnixNano())
}

// take removes the most recently used idle connection to the peer.
func (p *Pool) take(peer *Peer, overTLS bool) (idleConn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.idle) - 1; i >= 0; i-- {
		ic := p.idle[i]
		if ic.address == peer.Address && ic.network == peer.Network && ic.tls == overTLS {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return ic, true
		}
	}
	return idleConn{}, false
}

// overflowGrace is how long a busy pool may hold more than Max idle
// connections (up to twice as many) before it closes the least recently
// used ones. nginx closes the least recently used at once when a
// connection comes back to a full pool, and so does a pool whose group has
// no other exchange in flight. Under a load of many concurrent requests,
// the number of exchanges in flight swings by more than Max from one turn
// of the scheduler to the next: a connection closed at once was then often
// needed again within milliseconds, and dialed anew. At 1,000
// client connections with keepalive 64 this grace halved the new upstream
// connections (0.23 to 0.12 per request) and raised req/s by 4-18%
// (medians of two series of interleaved runs; docs/performance.md and
// docs/compat.md).
const overflowGrace = 10 * time.Millisecond

// Put offers a connection that just completed a response for reuse; it is
// closed instead when the limits say so. A full pool closes its least
// recently used connection at once, as nginx does, unless other exchanges
// of its group are in flight: then it closes those beyond Max
// overflowGrace later, or at once beyond twice Max.
func (p *Pool) Put(peer *Peer, c *Conn) {
	if p == nil || p.Max <= 0 {
		c.Close()
		return
	}
	if c.Requests >= p.Requests || time.Since(c.Start) >= p.Time {
		c.Close()
		return
	}
	var oldest *Conn
	p.mu.Lock()
	if len(p.idle) >= 2*p.Max || len(p.idle) >= p.Max && !p.busy() {
		oldest = p.idle[0].conn
		p.idle = append(p.idle[:0], p.idle[1:]...)
	}
	p.idle = append(p.idle, idleConn{network: peer.Network, address: peer.Address, tls: c.tcp != nil, conn: c, since: time.Now()})
	if len(p.idle) > p.Max && !p.armed {
		p.armed = true
		if p.trimmer == nil {
			p.trimmer = time.AfterFunc(p.grace, p.trim)
		} else {
			p.trimmer.Reset(p.grace)
		}
	}
	p.mu.Unlock()
	if oldest != nil {
		oldest.abort()
	}
}

// busy reports whether exchanges other than the one giving its connection
// back may be in flight (that one may or may not be done already).
func (p *Pool) busy() bool { return p.Busy != nil && p.Busy() >= 2 }

// trim closes the least recently used connections beyond Max.
func (p *Pool) trim() {
	p.mu.Lock()
	p.armed = false
	var extra []*Conn
	if n := len(p.idle) - p.Max; n > 0 {
		extra = make([]*Conn, n)
		for i, ic := range p.idle[:n] {
			extra[i] = ic.conn
		}
		p.idle = append(p.idle[:0], p.idle[n:]...)
	}
	p.mu.Unlock()
	// the system calls outside the lock
	for _, c := range extra {
		c.abort()
	}
}

// Close closes every idle connection (when the configuration retires).
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trimmer != nil {
		p.trimmer.Stop()
		p.armed = false
	}
	for _, ic := range p.idle {
		ic.conn.abort()
	}
	p.idle = nil
}

// Idle returns the number of idle connections held.
func (p *Pool) Idle() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// alive peeks at an idle connection without consuming data: a closed or
// reset connection, or one with unexpected data, is not reusable (nginx
// closes a cached connection on any read event).
func alive(c *Conn) bool {
	if c.tcp != nil {
		return aliveTLS(c)
	}
	if sock, ok := c.rawReady(); !ok {
		return !sock // a connection that is not a socket cannot be peeked at
	}
	c.peekOK = false
	if c.raw.Read(c.peek) != nil {
		return false
	}
	return c.peekOK
}

// rawReady sets up, once, the connection's descriptor access and the
// functions alive and sendWait run on it (binding them allocates). ok is
// false when there is none: sock then tells whether the connection is a
// socket whose access failed, or no socket at all.
func (c *Conn) rawReady() (sock, ok bool) {
	if c.raw != nil {
		return true, true
	}
	sc, isSock := c.Conn.(syscall.Conn)
	if !isSock {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true, false
	}
	c.raw = rc
	c.peek = func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		c.peekOK = n < 0 || err == syscall.EAGAIN
		return true
	}
	c.sw.fn = c.sendWaitStep
	c.rw.fn = c.readStep
	return true, true
}

// aliveTLS peeks at the socket under an idle TLS connection: nothing to
// read means it is open. Anything there (the peer's close_notify alert,
// its FIN, a reset, unexpected data) makes it unusable, as for a plain
// connection; a TLS record cannot be looked into without consuming it.
func aliveTLS(c *Conn) bool {
	sc, ok := c.tcp.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	open := false
	if rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && err == syscall.EAGAIN
		return true
	}) != nil {
		return false
	}
	return open
}

// abort closes the connection after a failed attempt, or an idle one the
// pool drops: a TLS connection without its close_notify alert (nginx's
// no_send_shutdown in ngx_http_upstream_next and
// ngx_http_upstream_keepalive_close).
func (c *Conn) abort() {
	if c.tcp != nil {
		c.tcp.Close()
		return
	}
	c.Close()
}

// shutdown closes the connection when its exchange ends: a TLS
// connection with its close_notify alert, as ngx_ssl_shutdown sends it
// from ngx_http_upstream_finalize_request, unless output still waits in
// the socket (nginx's c->buffered): the alert would queue behind it, and
// tls.Conn.Close could block up to 5 seconds for it.
func (c *Conn) shutdown() {
	if c.tcp != nil && !sendQueueEmpty(c.tcp) {
		c.tcp.Close()
		return
	}
	c.Close()
}

// sendQueueEmpty reports whether the socket has sent everything written
// to it (TIOCOUTQ is 0).
func sendQueueEmpty(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	queued := -1
	rc.Control(func(fd uintptr) {
		var n int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n))); e == 0 {
			queued = int(n)
		}
	})
	return queued == 0
}
