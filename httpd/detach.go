package httpd

import (
	"net"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/internal/deadline"
)

// Detaching long-parked connections. A socket open in Go's net package
// costs, besides its descriptor, the runtime's poll descriptor (512 bytes
// outside the heap, never freed, only reused), the net.TCPConn with its
// netFD, its two addresses and the iovec array of its first writev: about
// 900 bytes, more than the rest of an idle connection. A connection parked
// for detachAfter gives all of that back: the park set keeps a duplicate of
// its descriptor, registered in the set's epoll, and closes the Go socket.
// When the client sends its next request the connection gets a new Go
// socket on that descriptor (net.FileConn) before it is served; when it
// closes (timeout, reuse of its slot, shutdown) the descriptor is closed.
//
// The cost is about fifteen system calls and as many allocations per
// detach and reattach, paid only by a connection idle for detachAfter:
// at most a few hundredths of a percent of a CPU for a client that sends
// a request every detachAfter, nothing for one whose requests follow each
// other (it never waits that long), and nothing for TLS connections, whose
// state lives in the crypto/tls connection and which are never detached.

// detachAfter is how long a connection stays parked before it is
// detached.
const detachAfter = 100 * time.Millisecond

// detachRef is a parking in the detach queue: the entry, which parking of
// it (seq), and when.
type detachRef struct {
	it  *parkedConn
	seq uint32
	at  time.Time
}

// detachQueue lists detachable parked connections in the order they
// parked; entries whose connection resumed or closed since are skipped.
type detachQueue struct {
	refs []detachRef
	head int
	seq  uint32
}

// add queues a parking (under the park set's lock); it reports whether
// the queue was empty, so that the loop's wait must be shortened.
func (q *detachQueue) add(it *parkedConn, now time.Time) (first bool) {
	q.seq++
	it.seq = q.seq
	c := it.c
	if c.tls != nil || c.raw == nil {
		return false
	}
	q.prune()
	first = q.head == len(q.refs)
	q.refs = append(q.refs, detachRef{it: it, seq: it.seq, at: now})
	return first
}

// prune drops the stale entries at the queue's head, and the queue's
// memory once it is empty (a burst of parkings must not leave a large
// array behind for idle connections to pay for).
func (q *detachQueue) prune() {
	for q.head < len(q.refs) {
		r := &q.refs[q.head]
		if r.it.parked && r.it.seq == r.seq {
			break
		}
		*r = detachRef{}
		q.head++
	}
	switch {
	case q.head == len(q.refs) && cap(q.refs) > 1024:
		q.refs, q.head = nil, 0
	case q.head == len(q.refs):
		q.refs, q.head = q.refs[:0], 0
	case q.head > 1024 && q.head*2 > len(q.refs):
		n := copy(q.refs, q.refs[q.head:])
		clear(q.refs[n:])
		q.refs, q.head = q.refs[:n], 0
	}
}

// due returns when the queue's first must be detached.
func (q *detachQueue) due() (time.Time, bool) {
	q.prune()
	if q.head == len(q.refs) {
		return time.Time{}, false
	}
	return q.refs[q.head].at.Add(detachAfter), true
}

// detachBatch bounds the detaches of one turn of the loop, so that events
// are not kept waiting behind a burst of them.
const detachBatch = 256

// detachDue detaches the connections parked for detachAfter, a few at a
// time under the lock.
func (p *parkSet) detachDue(now time.Time) {
	for range detachBatch {
		p.mu.Lock()
		t, ok := p.detach.due()
		if !ok || t.After(now) {
			p.mu.Unlock()
			return
		}
		it := p.detach.refs[p.detach.head].it
		p.detach.head++
		p.detachLocked(it)
		p.mu.Unlock()
	}
}

// detachLocked moves a parked connection's socket to a descriptor of the
// park set's own and closes its Go side. Nothing changes on failure.
func (p *parkSet) detachLocked(it *parkedConn) {
	c := it.c
	nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(it.fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return
	}
	fd := it.fd
	it.fd = int32(nfd)
	if p.ctlLocked(it, syscall.EPOLL_CTL_ADD, parkedEvents) != nil {
		it.fd = fd
		syscall.Close(int(nfd))
		return
	}
	// the old registration goes before its descriptor is closed: the
	// socket stays open, and epoll would go on reporting it
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	c.mu.Lock()
	nc := c.nc
	c.nc, c.raw, c.detached, c.sysfd = nil, nil, true, int32(nfd)+1
	c.mu.Unlock()
	nc.Close()
	p.detaches++
}

// reattach gives a detached connection that is to be served a Go socket
// again (on the goroutine that resumed it). It reports false when the
// connection must close instead: the socket could not be made, or the
// connection was aborted meanwhile.
func (c *conn) reattach() bool {
	p := parker()
	p.mu.Lock()
	if it := p.items[c.parkKey]; it != nil && it.c == c {
		// out of the set before the descriptor closes (see detachLocked);
		// a hangup watch registers the new one
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(it.fd), nil)
		p.forgetLocked(it)
	}
	c.parkKey = 0
	p.mu.Unlock()
	f := os.NewFile(uintptr(c.sysfd-1), "")
	nc, err := net.FileConn(f)
	f.Close()
	var raw syscall.RawConn
	if err == nil {
		if sc, ok := nc.(syscall.Conn); ok {
			raw, err = sc.SyscallConn()
		}
	}
	c.mu.Lock()
	c.detached, c.sysfd = false, 0
	if err == nil {
		c.nc, c.raw = nc, raw
		// a new socket has no deadlines
		c.wd = deadline.Lazy{}
	}
	aborted := c.aborted
	c.mu.Unlock()
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		return false
	}
	return !aborted
}
