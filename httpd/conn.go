package httpd

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/buf"
	"github.com/sluicehq/sluice/internal/deadline"
	"github.com/sluicehq/sluice/proxyproto"
)

var connSerial atomic.Uint64

// errTimedOut renders as nginx's "(110: Connection timed out)".
var errTimedOut = syscall.ETIMEDOUT

// conn is one client connection and its goroutine.
type conn struct {
	cf   *Config
	addr *addrConf
	// nc is what requests are read from and responses written to: the
	// socket, or the TLS connection over it once the handshake is done
	// (changed under mu); socket returns the socket.
	nc net.Conn
	// raw is the socket for raw reads, nil once a TLS handshake started
	// (the bytes then belong to TLS); rawSocket returns the socket's
	// always (parking, hangup reports)
	raw    syscall.RawConn
	number uint64
	start  time.Time
	// slot is the connection's place among worker_connections, released
	// by finish; reusable while the connection is parked
	slot *core.Slot
	// wd records the write deadline armed (send_timeout), which is set
	// lazily: only through setWriteDeadline, or forgotten (Request.Conn).
	wd deadline.Lazy
	// ctx (made on first need, under mu) is cancelled when the connection
	// is aborted or finished (Request.Context); aborted (below) records an
	// abort that came first.
	ctx    context.Context
	cancel context.CancelFunc

	requests   int
	remoteAddr string
	remotePort string
	real       *realAddr // set by SetClientAddr (realip)
	// pp is what the PROXY protocol header said (nil: none, or no
	// addresses); ppPending that the address reads one and it has not
	// been read yet
	pp        *proxyproto.Header
	ppPending bool
	// sslPending: the address is "listen ... ssl" and the handshake (or
	// the plain HTTP that replaces it) has not started. tls is present on
	// an ssl address only, so that a plain connection stays small.
	sslPending bool
	// aborted: see ctx; pipelined: the request being read was already in
	// the buffer when the previous one ended. (The flags sit together so
	// that the struct has no padding to pay for.)
	aborted   bool
	pipelined bool
	// statWaiting is set while the connection counts as waiting (see
	// stats.go); it fills the padding before tls
	statWaiting atomic.Bool
	tls         *connTLS
	localIP     string // see serverAddr
	localPort   int    // 0 for a UNIX-domain socket

	// in is the header buffer: unread bytes are in[pos:last]. It is
	// released while the connection is idle.
	in        []byte
	pos, last int
	// large are the large header buffers in use by the current request;
	// retired are earlier header buffers that headers already parsed still
	// point into. Both are released when the request ends.
	large   [][]byte
	retired [][]byte

	// act is the per-request state, present only while a request is being
	// read or served: an idle connection returns it to a pool.
	act *active
	// waitTimeout bounds the wait for the next request: client_header_timeout
	// for the first, keepalive_timeout after.
	waitTimeout time.Duration
	parkKey     uint64
	finished    bool

	failed     bool
	timedOut   bool
	headArmed  bool // readMore set client_header_timeout
	closeAfter bool
	eof        bool

	mu        sync.Mutex
	idle      bool
	parked    bool
	drainFlag bool
	// fresh is set until the first request starts: a retiring
	// configuration still waits for that request and serves it, as an
	// nginx worker that is shutting down closes only its keepalive
	// connections (ngx_close_idle_connections)
	fresh   bool
	peekBuf [1]byte
	// peek makes rawFn peek at one byte (waitData) instead of reading
	// into in (readFor)
	peek bool
	// sysfd is the socket's descriptor plus one, recorded by rawFn (0
	// until its first call), for the park set's epoll_ctl; while detached
	// (detach.go: nc and raw are nil) the descriptor the park set keeps
	sysfd    int32
	detached bool
	// rawFn is the function raw reads run: it reads into in, or peeks
	// (peek); readN is what it read; waitErr the error it found. One
	// closure for both, made once per connection.
	rawFn   func(fd uintptr) bool
	readN   int
	waitErr error
	// linger is readFor's wait, its deadline set (lingerArmed) by rawFn
	// once a read finds nothing
	linger      time.Duration
	lingerArmed bool
	// lastTry makes rawFn report a read that finds nothing (nothing)
	// instead of waiting: readFor's last look once the linger passed
	lastTry, nothing bool

	// hup is set when the socket reported a hangup; hupFn (under hupMu)
	// is the request's WatchHangup callback
	hup   atomic.Bool
	hupMu sync.Mutex
	hupFn func()
}

// active is what a connection needs only while it serves a request: the
// request itself and the output state. Pooled, so that an idle keepalive
// connection holds neither.
type active struct {
	req         Request
	head        []byte
	headPending bool
	iov         [][]byte
	nb          net.Buffers
	chain       Chain
	chunked     Chain
	chunkHead   []byte
	trailer     []byte
	// body is the request body object, reused (with its memory) by the
	// connection's requests.
	body RequestBody
	// h2 is the HTTP/2 stream a stream's conn serves (h2stream.go), nil
	// on an HTTP/1 connection. It lives here, not in conn, so that conn
	// stays within its size class (TestConnSize).
	h2 *h2stream
	// outAborted is set by AbortOutput: the response's output ends, and
	// its failed write is not logged; pauseWake wakes a rate pause in
	// progress (AbortOutput may run inside hupFn, under hupMu)
	outAborted atomic.Bool
	pauseWake  atomic.Pointer[chan struct{}]
}

var activePool = sync.Pool{New: func() any { return new(active) }}

// getActive takes a request's state from the pool.
func getActive() *active {
	a := activePool.Get().(*active)
	a.outAborted.Store(false)
	return a
}

// serve runs an accepted connection; it returns when the connection closes
// or is parked (idle, waiting for its next request without a goroutine).
// It returns false, without touching the connection, when the
// configuration already retires (see core.Socket.Handle).
func (cf *Config) serve(nc net.Conn, slot *core.Slot, a *addrConf) bool {
	c := &conn{cf: cf, addr: a.forConn(nc), nc: nc, start: time.Now(), fresh: true, slot: slot}
	if !cf.track(c) {
		return false
	}
	c.number = connSerial.Add(1)
	statAccepted()
	c.ppPending = c.addr.proxyProto
	c.init()
	if c.addr.ssl {
		// the first bytes are read raw, as on a plain connection (they
		// tell a handshake from plain HTTP); handshake takes raw away
		c.tls = &connTLS{tcp: nc, raw: c.raw}
		c.sslPending = true
	}
	c.waitTimeout = c.addr.def.CoreSrv().ClientHeaderTimeout.Get()
	c.run()
	return true
}

func (c *conn) init() {
	if sc, ok := c.nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	switch a := c.nc.RemoteAddr().(type) {
	case *net.TCPAddr:
		c.remoteAddr = a.IP.String()
		c.remotePort = strconv.Itoa(a.Port)
	default:
		c.remoteAddr = "unix:"
	}
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		c.localPort = a.Port // the address's text is made on first need
	}
	c.rawFn = func(fd uintptr) bool {
		c.sysfd = int32(fd) + 1
		if c.peek {
			return c.peekRaw(fd)
		}
		n, err := syscall.Read(int(fd), c.in)
		for err == syscall.EINTR {
			n, err = syscall.Read(int(fd), c.in)
		}
		if err == syscall.EAGAIN {
			if c.lastTry {
				c.nothing = true
				return true
			}
			if !c.lingerArmed {
				c.nc.SetReadDeadline(time.Now().Add(c.linger))
				c.lingerArmed = true
			}
			return false
		}
		c.readN, c.waitErr = max(n, 0), err
		c.eof = n == 0 && err == nil
		return true
	}
}

// peekRaw is rawFn's peek: it looks at one byte without taking it.
func (c *conn) peekRaw(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if err == syscall.EAGAIN {
		return false
	}
	c.waitErr = err
	if n == 0 && err == nil {
		c.eof = true
	}
	return true
}

// LogConn implements errlog.Context for connection-level lines.
func (c *conn) LogConn() uint64 { return c.number }

// AppendLogContext implements errlog.Context for a connection waiting for
// its first request: " while waiting for request, client: A, server: B"
// (" while reading PROXY protocol" before the header of such an address).
func (c *conn) AppendLogContext(b []byte) []byte {
	if c.ppPending {
		b = append(b, " while reading PROXY protocol, client: "...)
	} else if c.sslPending {
		b = append(b, " while SSL handshaking, client: "...)
	} else {
		b = append(b, " while waiting for request, client: "...)
	}
	b = append(b, c.remoteAddr...)
	b = append(b, ", server: "...)
	return append(b, c.addr.listen.addrText()...)
}

// serverAddr returns the text of the connection's local address
// ($server_addr), "" for a UNIX-domain socket. It is made on first need:
// most requests never ask.
func (c *conn) serverAddr() string {
	if c.localIP == "" && c.localPort != 0 {
		if a, ok := c.socket().LocalAddr().(*net.TCPAddr); ok {
			c.localIP = a.IP.String()
		}
	}
	return c.localIP
}

func (c *conn) localHost() string {
	ip := c.serverAddr()
	if ip == "" {
		return "localhost"
	}
	if containsColon(ip) {
		return "[" + ip + "]"
	}
	return ip
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

// setWriteDeadline arms send_timeout for the write about to start; a
// deadline armed by a recent write and within nginx's lazy timer slack of
// the new one stays (see package deadline).
func (c *conn) setWriteDeadline(d time.Duration) {
	if d > 0 {
		if t, ok := c.wd.Arm(time.Now(), d); ok {
			c.nc.SetWriteDeadline(t)
		}
	} else if c.wd.Clear() {
		c.nc.SetWriteDeadline(time.Time{})
	}
}

// draining reports whether the configuration is retiring.
func (c *conn) draining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drainFlag
}

// closing reports whether the connection waits for nothing more: the
// configuration retires and the connection has served a request (one
// still waiting for its first is served, see fresh).
func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closingLocked()
}

// closingLocked is closing with c.mu held.
func (c *conn) closingLocked() bool { return c.drainFlag && !c.fresh }

// drain asks the connection to finish its request and close; an idle
// keepalive one is woken to close at once, one waiting for its first
// request still gets it served.
func (c *conn) drain() {
	c.mu.Lock()
	c.drainFlag = true
	if c.idle {
		c.socket().SetReadDeadline(time.Now())
	}
	parked := c.parked && !c.fresh
	c.mu.Unlock()
	if parked && parker().remove(c) {
		go c.finish()
	}
}

// abort closes the connection under whatever it is doing.
func (c *conn) abort() {
	c.mu.Lock()
	parked := c.parked
	c.aborted = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if parked && parker().remove(c) {
		go c.finish()
		return
	}
	// a detached connection being resumed has no socket yet: reattach
	// sees aborted
	c.mu.Lock()
	sock := c.socket()
	c.mu.Unlock()
	if sock != nil {
		sock.Close()
	}
}

// context returns the connection's context, made on first need.
func (c *conn) context() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
		if c.aborted || c.finished {
			c.cancel()
		}
	}
	return c.ctx
}

func (c *conn) setIdle(idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle && c.closingLocked() {
		return false
	}
	c.idle = idle && !c.fresh
	return true
}

// releaseBuffers returns header buffers to the pool, keeping unread
// (pipelined) bytes.
func (c *conn) releaseBuffers() {
	for _, b := range c.retired {
		if !sameBuffer(b, c.in) {
			buf.Put(b)
		}
	}
	c.retired = c.retired[:0]
	for _, b := range c.large {
		if !sameBuffer(b, c.in) {
			buf.Put(b)
		}
	}
	c.large = c.large[:0]
	if c.in != nil && c.pos == c.last {
		buf.Put(c.in)
		c.in, c.pos, c.last = nil, 0, 0
	}
}

// run serves requests until the connection closes or goes idle; an idle
// connection is parked and run starts again on a new goroutine (resume)
// when the client sends more.
func (c *conn) run() {
	defer func() {
		if p := recover(); p != nil {
			c.cf.Cycle.Log.Logf(errlog.Alert, nil, nil, "panic while serving connection *%d: %v", c.number, p)
			c.finish()
		}
	}()
	for {
		// bytes left over from the previous request's read start a
		// pipelined request
		c.pipelined = c.requests > 0 && c.pos < c.last
		if c.pos == c.last {
			if c.act != nil {
				activePool.Put(c.act)
				c.act = nil
			}
			if c.requests == 0 {
				// what is left of the first request's time
				if c.waitTimeout = time.Until(c.firstDeadline()); c.waitTimeout <= 0 {
					c.timedOutIdle()
					c.finish()
					return
				}
			}
			c.setWaiting(true)
			switch c.idleWait() {
			case waitParked:
				// still waiting, until resume or finish
				return
			case waitClose:
				c.finish()
				return
			}
			c.setWaiting(false)
		}
		if c.ppPending {
			ok := c.readProxyProtocol()
			c.ppPending = false
			if !ok {
				c.finish()
				return
			}
			if c.pos == c.last {
				// the header came alone: wait for the request
				continue
			}
		}
		if c.sslPending {
			ok := c.handshake()
			c.sslPending = false
			if !ok {
				c.finish()
				return
			}
			if c.h2Negotiated() {
				c.serveH2()
				return
			}
			if c.pos == c.last {
				continue
			}
		}
		if c.requests == 0 && c.h2Preface() {
			c.serveH2()
			return
		}
		c.requests++
		if c.requests == 1 {
			c.mu.Lock()
			c.fresh = false
			c.mu.Unlock()
		}
		if c.act == nil {
			c.act = getActive()
		}
		r := &c.act.req
		c.newRequest(r)
		r.statRequest()
		r.readAndProcess()
		c.finishRequest(r)
		if !r.Keepalive || c.closeAfter || c.failed {
			c.closeConnection(r)
			r.clear()
			c.finish()
			return
		}
		c.waitTimeout = r.Loc.core.KeepaliveTimeout.Get()
		c.releaseBuffers()
		r.clear()
	}
}

// firstDeadline is when the first request's head must be complete: the
// wait for it, a PROXY protocol header, the TLS handshake and the head
// share one client_header_timeout from the accept, as nginx's read timer
// set in ngx_http_init_connection (a later request's starts with its
// first bytes).
func (c *conn) firstDeadline() time.Time {
	return c.start.Add(c.addr.def.CoreSrv().ClientHeaderTimeout.Get())
}

// finish closes the connection for good: buffers back to their pools, the
// socket closed, the configuration told.
func (c *conn) finish() {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	cancel := c.cancel
	c.mu.Unlock()
	c.setWaiting(false)
	if cancel != nil {
		cancel()
	}
	c.releaseBuffers()
	if c.in != nil {
		buf.Put(c.in)
		c.in = nil
	}
	if c.act != nil {
		// a request a panic left unfinished
		c.act.req.statFree()
		c.act.req.clear()
		activePool.Put(c.act)
		c.act = nil
	}
	if c.parkKey != 0 {
		parker().unregister(c)
	}
	switch {
	case c.detached:
		syscall.Close(int(c.sysfd) - 1)
		c.detached = false
	case c.tlsc() != nil:
		c.closeTLS()
	case c.nc != nil: // nil when reattach failed
		c.nc.Close()
	}
	if c.slot != nil {
		c.slot.Release()
	}
	c.cf.untrack(c)
	stats.active.Add(-1)
}

// Reuse closes a parked connection whose slot a new connection takes
// (core.Reuser; ngx_drain_connections closes it without a log line). One
// that was resumed meanwhile closes in resume instead.
func (c *conn) Reuse() {
	if parker().remove(c) {
		c.finish()
	}
}

type waitResult uint8

const (
	waitData waitResult = iota
	waitParked
	waitClose
)

// lingerIdle is how long an idle connection keeps its goroutine before it
// is parked: a client on a busy keepalive connection usually sends its next
// request within it, and parking costs two epoll_ctl calls.
const lingerIdle = 2 * time.Millisecond

// idleWait waits for the next request's first bytes: briefly on the
// goroutine, then parked.
func (c *conn) idleWait() waitResult {
	if c.tlsc() != nil {
		var end time.Time
		if c.waitTimeout > 0 {
			end = time.Now().Add(c.waitTimeout)
		}
		return c.idleWaitTLS(end)
	}
	if c.raw == nil {
		if !c.waitData(c.waitTimeout) {
			return waitClose
		}
		return waitData
	}
	short := lingerIdle
	if c.waitTimeout > 0 && c.waitTimeout < short {
		short = c.waitTimeout
	}
	switch c.readFor(short) {
	case readData:
		return waitData
	case readClosed:
		return waitClose
	}
	if c.waitTimeout > 0 && c.waitTimeout <= short {
		c.timedOutIdle()
		return waitClose
	}
	if err := c.park(c.waitTimeout - short); err != nil {
		if err == errReused {
			return waitClose
		}
		// no parking (e.g. out of epoll resources): wait on the goroutine
		if !c.waitData(c.waitTimeout - short) {
			return waitClose
		}
		return waitData
	}
	return waitParked
}

type readResult uint8

const (
	readData readResult = iota
	readNothing
	readClosed
)

// readFor waits up to d for the client's next bytes and reads them into a
// header buffer (readData). While the goroutine lingers a read is one
// system call less than a peek followed by a read; when d passes with
// nothing sent (readNothing) the buffer goes back to its pool, so that a
// parked connection holds none.
func (c *conn) readFor(d time.Duration) readResult {
	if !c.setIdle(true) {
		return readClosed
	}
	defer c.setIdle(false)
	if c.in == nil {
		c.in = buf.Get(int(c.addr.def.CoreSrv().ClientHeaderBufferSize.Get()))
	}
	c.pos, c.last = 0, 0
	// Let the goroutines ready to run go first: on a busy server the
	// client's next request has arrived by then, and a read that finds it
	// is one system call where a read that finds nothing, a wait and a
	// read are two. The deadline is set only if the read must wait.
	runtime.Gosched()
	c.readN, c.waitErr, c.eof = 0, nil, false
	c.linger, c.lingerArmed = d, false
	err := c.raw.Read(c.rawFn)
	if c.lingerArmed {
		c.nc.SetReadDeadline(time.Time{})
	}
	if c.closing() {
		return readClosed
	}
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return readClosed
		}
		if !c.readAfterLinger() {
			buf.Put(c.in)
			c.in = nil
			return readNothing
		}
	}
	if c.eof || c.waitErr != nil {
		c.readEnded(c.waitErr)
		return readClosed
	}
	c.last = c.readN
	return readData
}

// readAfterLinger is readFor's last look once the linger passed: on a
// busy server the request has often arrived while the goroutine waited
// for its turn (Go polls the network only when no goroutine is ready to
// run, and a turn of 1,000 goroutines outlasts the linger), and one read
// finds it where parking would cost the request another turn of the run
// queue. It reports whether the read found something (or an error).
func (c *conn) readAfterLinger() bool {
	c.readN, c.waitErr, c.eof = 0, nil, false
	c.lastTry, c.nothing = true, false
	err := c.raw.Read(c.rawFn)
	c.lastTry = false
	return err == nil && !c.nothing
}

func (c *conn) timedOutIdle() {
	if c.requests == 0 && !c.closing() {
		c.cf.Cycle.Log.Logf(errlog.Info, c, errTimedOut, "client timed out")
	}
}

// resume continues a parked connection whose client sent something.
func (c *conn) resume() {
	c.setWaiting(false)
	c.mu.Lock()
	c.parked = false
	drain := c.closingLocked()
	c.mu.Unlock()
	if c.slot != nil && !c.slot.SetBusy() {
		// its slot went to a new connection as it woke up
		c.finish()
		return
	}
	if drain || (c.detached && !c.reattach()) {
		c.finish()
		return
	}
	if c.tlsc() != nil {
		// readiness may be part of a record, or a record that is no
		// request (a KeyUpdate): wait again, for what is left of the
		// wait that parked the connection
		switch c.idleWaitTLS(c.tls.idleEnd) {
		case waitParked:
			return
		case waitClose:
			c.finish()
			return
		}
		c.run()
		return
	}
	if !c.readIn() {
		c.finish()
		return
	}
	c.run()
}

// expire ends a parked connection whose wait timed out.
func (c *conn) expire() {
	c.mu.Lock()
	c.parked = false
	c.mu.Unlock()
	c.timedOutIdle()
	c.finish()
}

// readIn reads what the client sent into a fresh header buffer. Bytes
// that came with an error are served (a TLS read returns a request and
// the close_notify after it together); the next read meets the error.
func (c *conn) readIn() bool {
	size := int(c.addr.def.CoreSrv().ClientHeaderBufferSize.Get())
	if c.in == nil {
		c.in = buf.Get(size)
	}
	c.pos, c.last = 0, 0
	n, err := c.nc.Read(c.in)
	if n > 0 {
		c.last = n
		return true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.timedOutIdle()
		return false
	}
	c.readEnded(err)
	return false
}

// readEnded ends a connection whose read for a request found EOF (err nil
// or io.EOF) or failed: it logs it (logReadFailure) and, on a TLS
// connection, sends no close_notify when closing, as nginx's
// ngx_ssl_handle_recv sets no_send_shutdown once SSL_read failed or the
// client shut down.
func (c *conn) readEnded(err error) {
	if c.tlsc() != nil {
		c.failed = true
	}
	c.logReadFailure(err)
}

// logReadFailure logs the end of a connection whose read for a request
// found EOF (err nil or io.EOF) or failed: before a first request as
// ngx_http_wait_request_handler (and ngx_http_ssl_handshake) log it, after
// one as ngx_http_keepalive_handler does.
func (c *conn) logReadFailure(err error) {
	// on a TLS connection an end in the middle of a record is an end too:
	// nginx sets SSL_OP_IGNORE_UNEXPECTED_EOF, with which OpenSSL reports
	// it as a clean shutdown
	if errors.Is(err, io.EOF) || (c.tlsc() != nil && errors.Is(err, io.ErrUnexpectedEOF)) {
		err = nil
	}
	switch {
	case c.requests > 0:
		c.cf.Cycle.Log.Logf(errlog.Info, connOnly(c.number), err, "client %s closed keepalive connection", c.remoteAddr)
	case err == nil:
		c.cf.Cycle.Log.Logf(errlog.Info, c, nil, "client closed connection")
	default:
		c.cf.Cycle.Log.Logf(errlog.Info, c, err, "%s failed", c.readCall())
	}
}

// waitData waits, holding no buffer, until the client sends something,
// then reads it into a header buffer. It returns false when the connection
// should close (timeout, EOF, error, draining).
func (c *conn) waitData(timeout time.Duration) bool {
	if !c.setIdle(true) {
		return false
	}
	defer c.setIdle(false)
	if timeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(timeout))
		defer c.nc.SetReadDeadline(time.Time{})
	}
	if c.raw != nil {
		c.waitErr, c.eof = nil, false
		c.peek = true
		err := c.raw.Read(c.rawFn)
		c.peek = false
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.timedOutIdle()
			}
			return false
		}
		if c.eof || c.waitErr != nil {
			c.logReadFailure(c.waitErr)
			return false
		}
	}
	if c.closing() {
		return false
	}
	return c.readIn()
}

// closeConnection ends the connection after a request, with a lingering
// close when nginx would do one (ngx_http_finalize_connection).
func (c *conn) closeConnection(r *Request) {
	if c.failed || c.timedOut {
		if c.timedOut && r.Loc != nil && r.Loc.core.ResetTimedout.Get() {
			if tc, ok := c.socket().(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
		return
	}
	if r.DiscardBody && !r.bodyDiscarded {
		// as nginx: keep reading (and dropping) the body the client is
		// still sending before closing, so it sees the response rather than
		// a reset
		if !r.finishDiscard() {
			return
		}
	}
	cl := r.Loc.core
	mode := cl.LingeringClose.Get()
	if mode == LingeringAlways || (mode == LingeringOn && (r.LingeringClose || c.pos < c.last || r.Pipeline)) {
		c.lingeringClose(cl)
	}
}

// lingeringClose shuts the write side and reads what the client still
// sends, for lingering_time at most, so that the client sees the response
// rather than a reset (ngx_http_set_lingering_close).
func (c *conn) lingeringClose(cl *CoreLocConf) {
	if c.tlsc() != nil {
		// the close_notify alert first, as ngx_ssl_shutdown sends it
		c.tlsc().SetWriteDeadline(time.Now().Add(cl.LingeringTimeout.Get()))
		if err := c.tlsc().CloseWrite(); err != nil {
			return
		}
	}
	tc, ok := c.socket().(interface{ CloseWrite() error })
	if !ok {
		return
	}
	if err := tc.CloseWrite(); err != nil {
		return
	}
	end := time.Now().Add(cl.LingeringTime.Get())
	var b [4096]byte
	for {
		now := time.Now()
		if !now.Before(end) {
			return
		}
		d := cl.LingeringTimeout.Get()
		if rem := end.Sub(now); rem < d {
			d = rem
		}
		c.nc.SetReadDeadline(now.Add(d))
		if _, err := c.nc.Read(b[:]); err != nil {
			return
		}
	}
}

func sameBuffer(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][0] == &b[:cap(b)][0]
}

// connOnly is a log context with the connection number and no trailing
// details (nginx logs some lines with its log handler unset).
type connOnly uint64

func (c connOnly) LogConn() uint64 { return uint64(c) }

func (c connOnly) AppendLogContext(b []byte) []byte { return b }
