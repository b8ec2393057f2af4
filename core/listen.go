package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// Listeners are the listening sockets of the process. They outlive
// configurations: a reload keeps the sockets that the new configuration
// still names and only swaps the handler their accepted connections go to.
type Listeners struct {
	mu sync.Mutex
	m  map[string]*listener
	wg sync.WaitGroup
	// active counts open client connections, busy or idle (their
	// slots); limit is worker_connections of the current configuration
	// (nginx's connection_n, which the listening sockets also use up).
	active atomic.Int64
	limit  atomic.Int64
	// reusable are the idle connections that may be closed to make room
	reusable reusableSlots
}

type listener struct {
	ln      net.Listener
	adopted bool // no accept loop yet
	handle  atomic.Pointer[func(net.Conn, *Slot) bool]
	log     atomic.Pointer[errlog.Log]
	closing atomic.Bool
}

// refused counts the connections accepted and closed at once for lack of
// worker_connections, for the process (stub_status counts them as
// accepted, not handled, as nginx's ngx_stat_accepted and
// ngx_stat_handled do).
var refused atomic.Int64

// Refused returns the number of connections accepted and closed at once
// because worker_connections were all in use.
func Refused() int64 { return refused.Load() }

// NewListeners returns an empty set.
func NewListeners() *Listeners { return &Listeners{m: map[string]*listener{}} }

// Adopt registers an already listening socket (inherited, or opened by a
// test on port 0) under its address, so that a configuration naming that
// address uses it instead of binding again. Its accept loop starts when a
// configuration takes it.
func (ls *Listeners) Adopt(network string, ln net.Listener) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s := &Socket{Network: network, Address: ln.Addr().String()}
	if network == "unix" {
		s.Address = ln.Addr().String()
	}
	ls.m[s.Key()] = &listener{ln: ln, adopted: true}
}

// Bind makes every socket of cy listen, reusing sockets already open, and
// records each one's actual address in Socket.Addr. On failure nothing
// changes: sockets opened by this call are closed again. It returns the keys
// of the sockets in use and a function that makes cy the handler of all of
// them (the switch of a reload).
func (ls *Listeners) Bind(cy *Cycle) (activate func(), err error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var opened []*listener
	type binding struct {
		l *listener
		s *Socket
	}
	var binds []binding
	seen := map[string]bool{}
	for _, svc := range cy.Services() {
		for _, s := range svc.Sockets() {
			k := s.Key()
			l := ls.m[k]
			if l == nil {
				ln, err := listen(s)
				if err != nil {
					for _, o := range opened {
						if !o.adopted {
							o.ln.Close()
						}
					}
					return nil, err
				}
				l = &listener{ln: ln}
				opened = append(opened, l)
			} else if l.adopted {
				opened = append(opened, l)
			} else {
				applyBacklog(l.ln, s)
			}
			s.Addr = l.ln.Addr()
			seen[k] = true
			binds = append(binds, binding{l, s})
			if ls.m[k] == nil {
				ls.m[k] = l
			}
		}
	}
	return func() {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		for _, b := range binds {
			h := b.s.Handle
			b.l.handle.Store(&h)
			b.l.log.Store(cy.Log)
		}
		if n := cy.Core.WorkerConns.Get(); n > 0 {
			ls.limit.Store(int64(n))
		}
		for _, o := range opened {
			o.adopted = false
			ls.wg.Add(1)
			go ls.accept(o)
		}
		for k, l := range ls.m {
			if !seen[k] {
				l.closing.Store(true)
				l.ln.Close()
				delete(ls.m, k)
			}
		}
	}, nil
}

// Active returns the number of open client connections, busy or idle.
func (ls *Listeners) Active() int64 { return ls.active.Load() }

// Close closes every listening socket (no new connections) and waits for
// the accept loops to end.
func (ls *Listeners) Close() {
	ls.mu.Lock()
	for k, l := range ls.m {
		l.closing.Store(true)
		l.ln.Close()
		delete(ls.m, k)
	}
	ls.mu.Unlock()
	ls.wg.Wait()
}

func (ls *Listeners) accept(l *listener) {
	defer ls.wg.Done()
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: nginx logs and pauses
			// accepting; so do we, briefly and growing.
			l.log.Load().Logf(errlog.Alert, nil, err, "accept() failed")
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay < 500*time.Millisecond {
				delay *= 2
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		h := l.handle.Load()
		if h == nil {
			c.Close()
			continue
		}
		if lim := ls.limit.Load(); lim > 0 {
			ls.mu.Lock()
			nl := int64(len(ls.m))
			ls.mu.Unlock()
			ls.drain(lim-ls.active.Load()-nl, lim, l.log.Load())
			if ls.active.Load()+nl >= lim {
				l.log.Load().Logf(errlog.Alert, nil, nil, "%d worker_connections are not enough", lim)
				c.Close()
				refused.Add(1)
				continue
			}
		}
		ls.active.Add(1)
		go l.serve(c, &Slot{ls: ls}, h)
		// let the new connection's goroutine run before the next accept:
		// a burst of connections then starts being served in the order
		// they came, as nginx's event loop takes them (multi_accept off).
		// Without it the scheduler runs the newest goroutine first, and
		// the last client of a burst is served first.
		runtime.Gosched()
	}
}

// serve hands an accepted connection to the listener's handler (a method
// with parameters, not a closure, so that starting the goroutine costs one
// allocation).
func (l *listener) serve(c net.Conn, slot *Slot, h *func(net.Conn, *Slot) bool) {
	for !(*h)(c, slot) {
		// accepted for a configuration that retires: the listener's
		// current one takes it, if there is one
		nh := l.handle.Load()
		if nh == h {
			c.Close()
			slot.Release()
			return
		}
		h = nh
	}
}

func listen(s *Socket) (net.Listener, error) {
	if s.Network == "unix" {
		removeStaleSocket(s.Address)
	}
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if s.ReusePort {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
			}
			if serr == nil && s.RcvBuf > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, s.RcvBuf)
			}
			if serr == nil && s.SndBuf > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, s.SndBuf)
			}
			if serr == nil && s.DeferredAccept {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	// accepted connections get TCP keepalive only when so_keepalive asks
	// for it (Go's listeners turn it on by default, nginx's do not)
	lc.KeepAlive = -1
	if ka := s.KeepAlive; ka != nil && ka.Enable {
		lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: orSystem(ka.Idle),
			Interval: orSystem(ka.Interval), Count: orSystem(ka.Count)}
	}
	network := s.Network
	if network == "tcp" && s.IPv6Only {
		network = "tcp6"
	}
	ln, err := lc.Listen(context.Background(), network, s.Address)
	if err != nil {
		return nil, bindError(s, err)
	}
	applyBacklog(ln, s)
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return ln, nil
}

// orSystem maps an unset (zero) keepalive option to -1, which leaves the
// system's value.
func orSystem[T time.Duration | int](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// applyBacklog calls listen(2) again with the configured backlog, which
// Linux allows on a listening socket.
func applyBacklog(ln net.Listener, s *Socket) {
	if s.Backlog == 0 {
		return
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { syscall.Listen(int(fd), s.Backlog) })
}

// bindError words a failed bind as nginx: `bind() to 127.0.0.1:80 failed
// (98: Address already in use)`.
func bindError(s *Socket, err error) error {
	addr := s.Address
	if s.Network == "unix" {
		addr = "unix:" + addr
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return fmt.Errorf("%s() to %s failed (%s)", se.Syscall, addr, errlog.Errno(se.Err))
	}
	return fmt.Errorf("bind() to %s failed (%s)", addr, errlog.Errno(err))
}

// removeStaleSocket deletes a unix socket file nobody listens on, left by a
// process that died without cleaning up.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return
	}
	os.Remove(path)
}
