package testutil

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/ascii"
)

// Script is what a Backend does with one accepted connection, step by step.
// When the steps run out the connection is closed.
type Script []Step

// Step is one action on a backend connection. Returning ErrStop ends the
// script quietly (e.g. the peer closed between keepalive requests); any
// other error ends it and is recorded in Backend.Errors.
type Step func(c *BackendConn) error

// ErrStop ends a script without counting as an error.
var ErrStop = errors.New("testutil: script stopped")

// Request is one request a Backend received.
type Request struct {
	// Conn is the index (from 0, in accept order) of the connection.
	Conn int
	// Head is the request line and headers, blank line included.
	Head string
	// Body is the decoded body when the step read one (ReadRequest).
	Body []byte
	// RawBody is the body as on the wire (chunk framing included).
	RawBody []byte
}

// Line returns the request line.
func (r Request) Line() string {
	line, _, _ := strings.Cut(r.Head, "\n")
	return strings.TrimSuffix(line, "\r")
}

// Header returns the value of the first header named name
// (case-insensitive), or "".
func (r Request) Header(name string) string {
	lines := strings.Split(r.Head, "\n")
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(strings.TrimSuffix(l, "\r"), ":")
		if ok && ascii.EqualFold(k, name) {
			return strings.Trim(v, " \t")
		}
	}
	return ""
}

// Backend is a scripted TCP server on 127.0.0.1:0 for upstream tests: each
// accepted connection runs a Script in its own goroutine. It records the
// connections and requests it saw, and Close (run automatically at cleanup)
// stops everything and waits for every goroutine to end.
type Backend struct {
	timeout atomic.Int64 // nanoseconds; zero means DefaultTimeout

	ln     net.Listener
	script func(i int) Script
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every recorded event
	accepted int
	conns    map[*BackendConn]bool
	requests []Request
	errs     []error
}

// StartBackend starts a Backend that runs the same script on every
// connection.
func StartBackend(t testing.TB, s Script) *Backend {
	t.Helper()
	return StartBackendFunc(t, func(int) Script { return s })
}

// StartBackendFunc starts a Backend that runs script(i) on the i-th accepted
// connection (from 0).
func StartBackendFunc(t testing.TB, script func(i int) Script) *Backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testutil: backend listen: %v", err)
	}
	return StartBackendOn(t, ln, script)
}

// StartBackendOn is StartBackendFunc on a listener of the caller's (a TLS
// listener, say); the Backend closes it.
func StartBackendOn(t testing.TB, ln net.Listener, script func(i int) Script) *Backend {
	t.Helper()
	b := &Backend{
		ln:      ln,
		script:  script,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		conns:   map[*BackendConn]bool{},
	}
	b.wg.Add(1)
	go b.acceptLoop()
	t.Cleanup(func() {
		b.Close()
		if t.Failed() {
			for _, err := range b.Errors() {
				t.Logf("testutil: backend %s: %v", b.Addr(), err)
			}
		}
	})
	return b
}

// SetTimeout sets the bound on every read and write a step makes from now
// on (steps already waiting keep their deadline); zero restores
// DefaultTimeout.
func (b *Backend) SetTimeout(d time.Duration) { b.timeout.Store(int64(d)) }

// Addr returns the backend's address, "127.0.0.1:port".
func (b *Backend) Addr() string { return b.ln.Addr().String() }

// Port returns the backend's port.
func (b *Backend) Port() int { return b.ln.Addr().(*net.TCPAddr).Port }

func (b *Backend) acceptLoop() {
	defer b.wg.Done()
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			return // listener closed
		}
		b.mu.Lock()
		select {
		case <-b.done: // accepted while Close ran: it must not outlive Close
			b.mu.Unlock()
			conn.Close()
			return
		default:
		}
		i := b.accepted
		b.accepted++
		bc := &BackendConn{Conn: conn, Index: i, backend: b}
		b.conns[bc] = true
		b.notifyLocked()
		b.wg.Add(1)
		b.mu.Unlock()
		go b.serve(bc)
	}
}

func (b *Backend) serve(c *BackendConn) {
	defer b.wg.Done()
	defer func() {
		c.Close()
		b.mu.Lock()
		delete(b.conns, c)
		b.notifyLocked()
		b.mu.Unlock()
	}()
	if err := c.Run(b.script(c.Index)); err != nil && !errors.Is(err, ErrStop) {
		select {
		case <-b.done:
			// Errors caused by shutting down are expected.
		default:
			b.recordError(fmt.Errorf("conn %d: %w", c.Index, err))
		}
	}
}

func (b *Backend) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *Backend) recordError(err error) {
	b.mu.Lock()
	b.errs = append(b.errs, err)
	b.notifyLocked()
	b.mu.Unlock()
}

func (b *Backend) recordRequest(r Request) {
	b.mu.Lock()
	b.requests = append(b.requests, r)
	b.notifyLocked()
	b.mu.Unlock()
}

// Accepted returns how many connections the backend has accepted.
func (b *Backend) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted
}

// Requests returns the requests received so far, in arrival order.
func (b *Backend) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

// Errors returns the errors scripts ended with (not counting ErrStop nor
// errors caused by Close). StartBackend also logs them at cleanup when the
// test has failed.
func (b *Backend) Errors() []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]error(nil), b.errs...)
}

// Open returns how many accepted connections are still running their script.
func (b *Backend) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// WaitFor waits until cond (called with the backend's state consistent)
// holds, or until timeout; it reports whether cond held. It wakes on every
// accepted connection, request and error, and when a connection ends.
func (b *Backend) WaitFor(timeout time.Duration, cond func(b *Backend) bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		if cond(b) {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return cond(b)
		}
	}
}

// WaitRequests waits (up to timeout) until n requests have arrived and
// reports whether they did.
func (b *Backend) WaitRequests(n int, timeout time.Duration) bool {
	return b.WaitFor(timeout, func(b *Backend) bool { return len(b.Requests()) >= n })
}

// WaitAccepted waits (up to timeout) until n connections have been accepted
// and reports whether they were.
func (b *Backend) WaitAccepted(n int, timeout time.Duration) bool {
	return b.WaitFor(timeout, func(b *Backend) bool { return b.Accepted() >= n })
}

// Close stops accepting, ends every running script (stalls return, blocked
// reads and writes fail), and waits for all of the backend's goroutines.
// It is safe to call more than once.
func (b *Backend) Close() {
	b.once.Do(func() {
		b.mu.Lock()
		close(b.done)
		b.mu.Unlock()
		b.ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
		b.mu.Lock()
		b.notifyLocked()
		b.mu.Unlock()
	})
}

// BackendConn is one accepted connection as a script sees it.
type BackendConn struct {
	net.Conn
	// Index is the connection's number in accept order, from 0.
	Index int

	backend *Backend
	buf     []byte // read ahead, not yet consumed by a step
	eof     bool
	last    Request
}

// LastRequest is the last request a step of this connection read and
// recorded (ReadHead, ReadRequest, ReadSCGI, ReadUWSGI), for a step that
// answers according to it.
func (c *BackendConn) LastRequest() Request { return c.last }

// Done is closed when the backend is shutting down.
func (c *BackendConn) Done() <-chan struct{} { return c.backend.done }

func (c *BackendConn) timeout() time.Duration {
	if d := time.Duration(c.backend.timeout.Load()); d > 0 {
		return d
	}
	return DefaultTimeout
}

// Run executes the steps in order and stops at the first error.
func (c *BackendConn) Run(steps []Step) error {
	for _, s := range steps {
		if err := s(c); err != nil {
			return err
		}
	}
	return nil
}

// fill reads more bytes into the read-ahead buffer within the timeout.
func (c *BackendConn) fill() error {
	if c.eof {
		return errPeerClosed
	}
	if err := c.SetReadDeadline(time.Now().Add(c.timeout())); err != nil {
		return err
	}
	var tmp [16 << 10]byte
	n, err := c.Read(tmp[:])
	c.buf = append(c.buf, tmp[:n]...)
	if err != nil {
		if n > 0 {
			return nil
		}
		if isClosedByPeer(err) {
			c.eof = true
			return errPeerClosed
		}
		return err
	}
	return nil
}

// errPeerClosed says the client closed (or reset) the connection.
var errPeerClosed = errors.New("peer closed the connection")

// write sends b within the timeout.
func (c *BackendConn) write(b []byte) error {
	if err := c.SetWriteDeadline(time.Now().Add(c.timeout())); err != nil {
		return err
	}
	_, err := c.Write(b)
	return err
}
