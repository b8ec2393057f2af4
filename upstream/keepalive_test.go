package upstream

import (
	"io"
	"net"
	"testing"
	"time"
)

// pipeConn is a pooled connection over net.Pipe; closed reports whether
// the pool closed it (the other end reads EOF).
type pipeConn struct {
	c    *Conn
	peer net.Conn
}

func newPipeConn(t *testing.T) pipeConn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return pipeConn{c: &Conn{Conn: a, Start: time.Now()}, peer: b}
}

func (p pipeConn) closed() bool {
	// a pipe reports its other end's close before a deadline that passed
	p.peer.SetReadDeadline(time.Unix(1, 0))
	var b [1]byte
	_, err := p.peer.Read(b[:])
	return err != nil && !isTimeout(err)
}

// TestPoolOverflow: a pool given more than Max connections while other
// exchanges of its group are in flight keeps them until its trim
// (overflowGrace later) and then closes the least recently used down to
// Max; beyond twice Max, or with nothing else in flight, it closes the
// least recently used at once, as nginx does at Max. The trim is called
// here, the timer's part is TestPoolOverflowTimer's.
func TestPoolOverflow(t *testing.T) {
	peer := &Peer{Network: "tcp", Address: "127.0.0.1:1"}
	tests := []struct {
		name       string
		max, put   int
		inFlight   int64 // what Busy reports; -1: no Busy
		atOnce     int   // closed right away (the oldest ones)
		afterGrace int   // closed in all once the grace passed
	}{
		{"within Max", 3, 3, 5, 0, 0},
		{"over Max", 3, 5, 5, 0, 2},
		{"at twice Max", 2, 4, 5, 0, 2},
		{"beyond twice Max", 2, 6, 5, 2, 4},
		{"keepalive 1", 1, 2, 5, 0, 1},
		{"others in flight: one counting itself", 1, 2, 2, 0, 1},
		{"alone in flight", 1, 2, 1, 1, 1},
		{"nothing in flight", 3, 5, 0, 2, 2},
		{"no Busy", 3, 5, -1, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPool(tc.max)
			p.grace = time.Hour
			if tc.inFlight >= 0 {
				p.Busy = func() int64 { return tc.inFlight }
			}
			defer p.Close()
			conns := make([]pipeConn, tc.put)
			for i := range conns {
				conns[i] = newPipeConn(t)
				p.Put(peer, conns[i].c)
			}
			closedCount := func() (n int, oldestFirst bool) {
				oldestFirst = true
				for i, c := range conns {
					if c.closed() {
						n++
						if i > 0 && !conns[i-1].closed() {
							oldestFirst = false
						}
					}
				}
				return n, oldestFirst
			}
			if n, ok := closedCount(); n != tc.atOnce || !ok {
				t.Fatalf("right after the puts: %d closed (oldest first: %v), want %d", n, ok, tc.atOnce)
			}
			if got, want := p.Idle(), tc.put-tc.atOnce; got != want {
				t.Fatalf("Idle() = %d right after the puts, want %d", got, want)
			}
			p.trim()
			if n, ok := closedCount(); n != tc.afterGrace || !ok {
				t.Fatalf("after the grace: %d closed (oldest first: %v), want %d", n, ok, tc.afterGrace)
			}
			if got := p.Idle(); got != min(tc.put, tc.max) {
				t.Fatalf("Idle() = %d after the grace, want %d", got, min(tc.put, tc.max))
			}
			// the most recently used stay and are handed out first
			if c := p.Get(peer, false, false); c != conns[tc.put-1].c {
				t.Fatalf("Get returned another connection than the last put")
			}
		})
	}
}

// TestPoolOverflowTimer: the trim comes by itself once the grace passed.
func TestPoolOverflowTimer(t *testing.T) {
	peer := &Peer{Network: "tcp", Address: "127.0.0.1:1"}
	p := NewPool(1)
	p.Busy = func() int64 { return 10 }
	defer p.Close()
	older, newer := newPipeConn(t), newPipeConn(t)
	p.Put(peer, older.c)
	p.Put(peer, newer.c)
	for deadline := time.Now().Add(10 * time.Second); p.Idle() > 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections 10 s after the pool went over keepalive 1", p.Idle())
		}
	}
	if !older.closed() || newer.closed() {
		t.Fatalf("closed: older %v, newer %v; want the older only", older.closed(), newer.closed())
	}
}

// TestSendQueueEmpty: the check that decides whether a TLS connection is
// shut down with its close_notify alert sees bytes the peer has not taken.
func TestSendQueueEmpty(t *testing.T) {
	c, peer := tcpPair(t)
	if !sendQueueEmpty(c.Conn) {
		t.Fatal("a fresh connection has output queued")
	}
	// more than the socket buffers hold, the peer reading nothing
	c.Conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	n, _ := c.Conn.Write(make([]byte, 4<<20))
	if sendQueueEmpty(c.Conn) {
		t.Fatal("bytes the peer did not read are not seen as queued")
	}
	// once the peer has read them all (and acknowledged them), the queue
	// is empty again
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); !sendQueueEmpty(c.Conn); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the queue stays full after the peer read everything")
		}
	}
}
