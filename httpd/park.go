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
//
// The same set reports hangups of busy connections (nginx's EPOLLRDHUP
// check of a broken client connection, see hangup.go). A connection is
// added on first need (its first park or hangup watch) and stays until it
// closes: while it is busy it is registered for EPOLLRDHUP only,
// edge-triggered, so that requests arriving on it cost the set nothing;
// parking arms EPOLLIN once (EPOLLONESHOT) and the loop disarms it again.
// Each switch is one epoll_ctl, as the add and delete of a park were
// before; the kernel drops the socket from the set when it is closed.

type parkedConn struct {
	c        *conn
	key      uint64
	deadline time.Time
	fd       int32
	index    int32 // in the deadline heap, -1 when not there
	// seq tells this parking from the entry's earlier ones (for the
	// detach queue, see detach.go)
	seq    uint32
	parked bool // EPOLLIN armed: the connection waits for its next request
}

// Event masks: a busy connection reports hangups only, a parked one its
// next request too.
const (
	busyEvents   = syscall.EPOLLRDHUP | -syscall.EPOLLET
	parkedEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT
)

// parkedConns recycles the entries of connections that closed.
var parkedConns = sync.Pool{New: func() any { return new(parkedConn) }}

type deadlines []*parkedConn

func (h deadlines) Len() int           { return len(h) }
func (h deadlines) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlines) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = int32(i), int32(j)
}
func (h *deadlines) Push(x any) {
	p := x.(*parkedConn)
	p.index = int32(len(*h))
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
	file *os.File
	raw  syscall.RawConn
	mu   sync.Mutex
	// items are the registered connections, parked or busy; parked
	// counts the former
	items  map[uint64]*parkedConn
	parked int
	// parks counts the parkings since start, detaches the detaches (for
	// tests)
	parks, detaches int64
	heap            deadlines
	seq             uint64
	err             error
	// detach is the queue of parked connections that may give their
	// socket's Go side back once parked long enough (detach.go)
	detach detachQueue

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

// errNoPark is returned when a connection cannot be parked; errReused
// when, as it was about to be, its slot went to a new connection (it must
// close).
var (
	errNoPark = errors.New("parking unavailable")
	errReused = errors.New("connection reused")
)

// park hands an idle connection to the park set; it must not be touched by
// the caller afterwards. timeout <= 0 means no deadline. A parked
// connection is reusable: worker_connections running short may close it
// (Reuse).
func (c *conn) park(timeout time.Duration) error {
	p := parker()
	if p.err != nil {
		return errNoPark
	}
	c.mu.Lock()
	if c.drainFlag {
		c.mu.Unlock()
		return errNoPark
	}
	c.parked = true
	c.mu.Unlock()
	if c.slot != nil {
		// before it is armed: from then on it may be resumed at once
		c.slot.SetReusable(c)
	}

	p.mu.Lock()
	wake := false
	it, added, err := p.itemLocked(c, parkedEvents)
	if err == nil && it.parked {
		err = errNoPark
	}
	if err == nil {
		it.parked = true
		p.parked++
		p.parks++
		now := time.Now()
		if timeout > 0 {
			it.deadline = now.Add(timeout)
			heap.Push(&p.heap, it)
		}
		// the detach queue's first: the loop's wait must end in time
		wake = p.detach.add(it, now)
		if !added {
			// registered before, for hangups: arm EPOLLIN
			err = p.ctlLocked(it, syscall.EPOLL_CTL_MOD, parkedEvents)
		}
		if err != nil {
			p.unparkLocked(it)
		}
	}
	if err != nil {
		p.mu.Unlock()
		c.mu.Lock()
		c.parked = false
		c.mu.Unlock()
		if c.slot != nil && !c.slot.SetBusy() {
			return errReused
		}
		return err
	}
	if it.index == 0 || wake {
		// the new earliest deadline, or the first detach due
		p.file.SetReadDeadline(p.wakeLocked())
	}
	p.mu.Unlock()
	return nil
}

// itemLocked returns the connection's entry, registering its socket with
// the given events when it has none yet (added).
func (p *parkSet) itemLocked(c *conn, events uint32) (it *parkedConn, added bool, err error) {
	if it := p.items[c.parkKey]; c.parkKey != 0 && it != nil && it.c == c {
		return it, false, nil
	}
	if c.rawSocket() == nil {
		return nil, false, errNoPark
	}
	fd := int(c.sysfd) - 1 // recorded by the connection's reads, or the detached descriptor
	if fd < 0 {
		if err := c.rawSocket().Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
			return nil, false, errNoPark
		}
	}
	p.seq++
	it = parkedConns.Get().(*parkedConn)
	*it = parkedConn{c: c, fd: int32(fd), key: p.seq, index: -1}
	if err := p.ctlLocked(it, syscall.EPOLL_CTL_ADD, events); err != nil {
		it.c = nil
		parkedConns.Put(it)
		return nil, false, err
	}
	p.items[it.key] = it
	c.parkKey = it.key
	return it, true, nil
}

func (p *parkSet) ctlLocked(it *parkedConn, op int, events uint32) error {
	ev := syscall.EpollEvent{Events: events}
	ev.Fd, ev.Pad = int32(it.key), int32(it.key>>32)
	return syscall.EpollCtl(p.epfd, op, int(it.fd), &ev)
}

// unparkLocked takes an entry out of the parked state (its EPOLLIN is
// left to the caller).
func (p *parkSet) unparkLocked(it *parkedConn) {
	if !it.parked {
		return
	}
	it.parked = false
	p.parked--
	if it.index >= 0 {
		heap.Remove(&p.heap, int(it.index))
	}
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
	if it == nil || it.c != c || !it.parked {
		return false
	}
	// the socket stays registered until it is closed; a last EPOLLIN
	// report finds the entry busy and is ignored (see loop)
	p.unparkLocked(it)
	c.mu.Lock()
	c.parked = false
	c.mu.Unlock()
	return true
}

// unregister forgets a connection that is closing (finish); closing the
// socket takes it out of the epoll set.
func (p *parkSet) unregister(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if it := p.items[c.parkKey]; it != nil && it.c == c {
		p.forgetLocked(it)
	}
	c.parkKey = 0
}

// forgetLocked drops a connection's entry (its socket's registration is
// the caller's business).
func (p *parkSet) forgetLocked(it *parkedConn) {
	p.unparkLocked(it)
	delete(p.items, it.key)
	// nothing else holds the entry: the loop keeps connections, not
	// entries, once it lets go of the lock (the detach queue's stale
	// references are told apart by seq)
	*it = parkedConn{}
	parkedConns.Put(it)
}

// Parked returns the number of parked connections.
func Parked() int {
	p := parker()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parked
}

// wakeLocked returns when the loop must look again without an event:
// the earliest parked connection's deadline, or the time the detach
// queue's first is due; zero for never.
func (p *parkSet) wakeLocked() time.Time {
	var next time.Time
	if len(p.heap) > 0 {
		next = p.heap[0].deadline
	}
	if t, ok := p.detach.due(); ok && (next.IsZero() || t.Before(next)) {
		next = t
	}
	return next
}

func (p *parkSet) loop() {
	var ready, expired, hungUp []*conn
	for {
		p.mu.Lock()
		p.file.SetReadDeadline(p.wakeLocked())
		p.mu.Unlock()
		p.n = 0
		if err := p.raw.Read(p.waitFn); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			time.Sleep(time.Millisecond)
			continue
		}
		ready, expired, hungUp = ready[:0], expired[:0], hungUp[:0]
		p.mu.Lock()
		for i := 0; i < p.n; i++ {
			ev := &p.events[i]
			key := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			it := p.items[key]
			if it == nil {
				continue
			}
			if !it.parked {
				// a busy connection's hangup; an EPOLLIN alone is the
				// one-shot left armed by remove or an expiry, for a
				// connection that is closing
				if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
					hungUp = append(hungUp, it.c)
				}
				continue
			}
			p.unparkLocked(it)
			// back to hangup reports only; a failure leaves EPOLLIN
			// disarmed (one-shot), which is as good
			p.ctlLocked(it, syscall.EPOLL_CTL_MOD, busyEvents)
			ready = append(ready, it.c)
		}
		now := time.Now()
		for len(p.heap) > 0 && !p.heap[0].deadline.After(now) {
			it := p.heap[0]
			p.unparkLocked(it)
			expired = append(expired, it.c)
		}
		p.mu.Unlock()
		for _, c := range hungUp {
			c.hungUp()
		}
		for _, c := range ready {
			go c.resume()
		}
		for _, c := range expired {
			go c.expire()
		}
		p.detachDue(now)
	}
}
