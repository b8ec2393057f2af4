package core

import (
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// Slot is an accepted client connection's place among worker_connections
// (nginx's ngx_connection_t taken from the free list). It is held from
// the accept until Release, whether a goroutine serves the connection or
// it waits parked; while the connection is reusable (idle, waiting for a
// request: nginx's ngx_reusable_connection(c, 1)) the listeners may close
// it to make room for a new one when few slots are left, the least
// recently made reusable first, as ngx_drain_connections does.
type Slot struct {
	ls *Listeners
	// prev and next link the reusable slots, newest at the front
	prev, next *Slot
	reuse      Reuser
	reusable   bool
	released   bool
}

// Reuser is a reusable connection's owner, told to close it when its slot
// is taken for a new connection.
type Reuser interface {
	// Reuse closes the connection, without a log line (nginx sets
	// c->close and calls the read handler), unless it is busy again;
	// it runs on the accepting goroutine.
	Reuse()
}

// reusableSlots is the queue of reusable slots (nginx's
// reusable_connections_queue), and when the "reusing connections" warning
// was last logged.
type reusableSlots struct {
	mu         sync.Mutex
	head, tail *Slot
	n          int
	warned     int64
}

// SetReusable marks the connection reusable: when worker_connections run
// short, r.Reuse may be called (once, from another goroutine) to close it.
// A connection that is reusable already keeps its place in the queue.
func (s *Slot) SetReusable(r Reuser) {
	q := &s.ls.reusable
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.released || s.reusable {
		return
	}
	s.reusable, s.reuse = true, r
	s.prev, s.next = nil, q.head
	if q.head != nil {
		q.head.prev = s
	} else {
		q.tail = s
	}
	q.head = s
	q.n++
}

// SetBusy takes the connection out of the reusable queue; it returns
// false when it was taken for reuse already (its Reuse runs or has run,
// and the connection must close).
func (s *Slot) SetBusy() bool {
	q := &s.ls.reusable
	q.mu.Lock()
	defer q.mu.Unlock()
	if !s.reusable {
		return s.reuse == nil
	}
	q.unlinkLocked(s)
	s.reuse = nil
	return true
}

// Release gives the slot back: the connection is closed. Calling it more
// than once does nothing.
func (s *Slot) Release() {
	q := &s.ls.reusable
	q.mu.Lock()
	if s.released {
		q.mu.Unlock()
		return
	}
	s.released = true
	if s.reusable {
		q.unlinkLocked(s)
	}
	q.mu.Unlock()
	s.ls.active.Add(-1)
}

func (q *reusableSlots) unlinkLocked(s *Slot) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		q.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		q.tail = s.prev
	}
	s.prev, s.next, s.reusable = nil, nil, false
	q.n--
}

// drain closes reusable connections when at most a sixteenth of the
// slots are free (ngx_drain_connections): max(min(32, reusable/8), 1) of
// them, the oldest first, with nginx's warning at most once a second.
// Their Reuse methods run before it returns, so the slots are free
// (unless a connection was busy again).
func (ls *Listeners) drain(free, limit int64, log *errlog.Log) {
	q := &ls.reusable
	q.mu.Lock()
	if free > limit/16 || q.n == 0 {
		q.mu.Unlock()
		return
	}
	if now := time.Now().Unix(); q.warned != now {
		q.warned = now
		log.Logf(errlog.Warn, nil, nil, "%d worker_connections are not enough, reusing connections", limit)
	}
	n := max(min(32, q.n/8), 1)
	reused := make([]Reuser, 0, n)
	for range n {
		s := q.tail
		if s == nil {
			break
		}
		q.unlinkLocked(s)
		reused = append(reused, s.reuse)
	}
	q.mu.Unlock()
	for _, r := range reused {
		r.Reuse()
	}
}
