package httpd

import (
	"container/heap"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// Parking idle connections. A keepalive connection waiting for its next
// request holds no goroutine and no buffers: its socket is registered in a
// process-wide epoll set watched by one goroutine, which starts a new
// goroutine for the connection when the client sends something (resume),
// or closes it when keepalive_timeout (client_header_timeout for a first
// request) expires. This is what lets sluice hold tens of thousands of idle
// connections in about the memory nginx needs for them.

type parkedConn struct {
	c        *conn
	fd       int
	key      uint64
	deadline time.Time
	index    int // in the deadline heap, -1 when not there
}

type deadlines []*parkedConn

func (h deadlines) Len() int           { return len(h) }
func (h deadlines) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlines) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *deadlines) Push(x any) {
	p := x.(*parkedConn)
	p.index = len(*h)
	*h = append(*h, p)
}
func (h *deadlines) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.index = -1
	return p
}

type parkSet struct {
	epfd int
	// file is the epoll descriptor registered with Go's netpoller: the
	// loop waits for it as for any socket, on no thread of its own, and
	// its read deadline is the earliest parked connection's.
	file  *os.File
	raw   syscall.RawConn
	mu    sync.Mutex
	items map[uint64]*parkedConn
	heap  deadlines
	seq   uint64
	err   error

	// the loop's scratch: waitFn collects up to len(events) events
	events []syscall.EpollEvent
	n      int
	waitFn func(fd uintptr) bool
}

var (
	parkOnce sync.Once
	theParks *parkSet
)

// parker returns the process's park set, starting it on first use.
func parker() *parkSet {
	parkOnce.Do(func() {
		p := &parkSet{items: map[uint64]*parkedConn{}, events: make([]syscall.EpollEvent, 256)}
		p.epfd, p.err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if p.err == nil {
			p.err = syscall.SetNonblock(p.epfd, true)
		}
		if p.err == nil {
			// a non-blocking descriptor is added to the netpoller; one
			// that is not pollable has no deadlines
			p.file = os.NewFile(uintptr(p.epfd), "park")
			p.err = p.file.SetReadDeadline(time.Time{})
		}
		if p.err == nil {
			p.raw, p.err = p.file.SyscallConn()
		}
		if p.err == nil {
			p.waitFn = func(fd uintptr) bool {
				n, err := syscall.EpollWait(int(fd), p.events, 0)
				if n <= 0 || err != nil {
					return false
				}
				p.n = n
				return true
			}
			go p.loop()
		}
		theParks = p
	})
	return theParks
}

// errNoPark is returned when a connection cannot be parked.
var errNoPark = errors.New("parking unavailable")

// park hands an idle connection to the park set; it must not be touched by
// the caller afterwards. timeout <= 0 means no deadline.
func (c *conn) park(timeout time.Duration) error {
	p := parker()
	if p.err != nil {
		return errNoPark
	}
	fd := -1
	if err := c.raw.Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
		return errNoPark
	}
	c.mu.Lock()
	if c.drainFlag {
		c.mu.Unlock()
		return errNoPark
	}
	c.parked = true
	c.mu.Unlock()

	p.mu.Lock()
	p.seq++
	it := &parkedConn{c: c, fd: fd, key: p.seq, index: -1}
	if timeout > 0 {
		it.deadline = time.Now().Add(timeout)
		heap.Push(&p.heap, it)
	}
	p.items[it.key] = it
	c.parkKey = it.key
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
	ev.Fd, ev.Pad = int32(it.key), int32(it.key>>32)
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.forgetLocked(it)
		p.mu.Unlock()
		c.mu.Lock()
		c.parked = false
		c.mu.Unlock()
		return err
	}
	if it.index == 0 {
		// the new earliest deadline
		p.file.SetReadDeadline(it.deadline)
	}
	p.mu.Unlock()
	return nil
}

// remove takes a parked connection out of the set (to close it); false
// means it was already taken (resumed or expired).
func (p *parkSet) remove(c *conn) bool {
	if p == nil || p.err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	it := p.items[c.parkKey]
	if it == nil || it.c != c {
		return false
	}
	p.unregisterLocked(it)
	c.mu.Lock()
	c.parked = false
	c.mu.Unlock()
	return true
}

func (p *parkSet) forgetLocked(it *parkedConn) {
	delete(p.items, it.key)
	if it.index >= 0 {
		heap.Remove(&p.heap, it.index)
	}
}

// unregisterLocked removes the socket from epoll and forgets the entry; the
// descriptor is still open (only finish closes it).
func (p *parkSet) unregisterLocked(it *parkedConn) {
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, it.fd, nil)
	p.forgetLocked(it)
}

// Parked returns the number of parked connections.
func Parked() int {
	p := parker()
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items)
}

func (p *parkSet) loop() {
	var ready, expired []*conn
	for {
		p.mu.Lock()
		var next time.Time
		if len(p.heap) > 0 {
			next = p.heap[0].deadline
		}
		p.file.SetReadDeadline(next)
		p.mu.Unlock()
		p.n = 0
		if err := p.raw.Read(p.waitFn); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			time.Sleep(time.Millisecond)
			continue
		}
		ready, expired = ready[:0], expired[:0]
		p.mu.Lock()
		for i := 0; i < p.n; i++ {
			ev := &p.events[i]
			key := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			it := p.items[key]
			if it == nil {
				continue
			}
			p.unregisterLocked(it)
			ready = append(ready, it.c)
		}
		now := time.Now()
		for len(p.heap) > 0 && !p.heap[0].deadline.After(now) {
			it := p.heap[0]
			p.unregisterLocked(it)
			expired = append(expired, it.c)
		}
		p.mu.Unlock()
		for _, c := range ready {
			go c.resume()
		}
		for _, c := range expired {
			go c.expire()
		}
	}
}
