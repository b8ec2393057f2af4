package httpd

import (
	"sync/atomic"

	"github.com/sluicehq/sluice/core"
)

// The process's connection and request counters, nginx's ngx_stat_*
// (NGX_STAT_STUB), which the stub_status module reports. They are counted
// whether or not a configuration uses them, as in an nginx built with the
// module, and outlive reloads. Each counter has a cache line of its own:
// every connection's goroutine changes them.
//
// In sluice's model (a goroutine per busy connection, idle keepalive
// connections parked in an epoll set):
//   - accepted and handled: a connection the server took; accepted also
//     counts those closed at once for lack of worker_connections
//     (core.Refused), handled does not, as in nginx;
//   - active: from accepted until closed;
//   - requests: requests read (the first byte of a request arrived),
//     subrequests not counted, as ngx_http_alloc_request counts;
//   - reading: a request whose head is being read, from its first byte
//     until the head was parsed (ngx_http_process_request);
//   - writing: a request being processed and answered, until it is freed
//     (before its log phase, as ngx_http_free_request);
//   - waiting: a connection waiting for a request's first byte, the first
//     one or the next on a keepalive connection, on its goroutine or
//     parked (nginx's reusable connections).
var stats struct {
	accepted, handled, active, requests paddedCounter
	reading, writing, waiting           paddedCounter
}

type paddedCounter struct {
	atomic.Int64
	_ [56]byte
}

// Stats is a snapshot of the counters.
type Stats struct {
	Active, Accepted, Handled, Requests int64
	Reading, Writing, Waiting           int64
}

// ReadStats returns the counters (each read atomically, the set not at one
// instant, as nginx's stub_status reads them).
func ReadStats() Stats {
	return Stats{
		Active:   stats.active.Load(),
		Accepted: stats.accepted.Load() + core.Refused(),
		Handled:  stats.handled.Load(),
		Requests: stats.requests.Load(),
		Reading:  stats.reading.Load(),
		Writing:  stats.writing.Load(),
		Waiting:  stats.waiting.Load(),
	}
}

// StatActive, StatReading, StatWriting and StatWaiting read one counter
// (for $connections_*).
func StatActive() int64  { return stats.active.Load() }
func StatReading() int64 { return stats.reading.Load() }
func StatWriting() int64 { return stats.writing.Load() }
func StatWaiting() int64 { return stats.waiting.Load() }

// A request's state for the counters (Request.stat).
const (
	statNone uint8 = iota
	statReading
	statWriting
)

// statAccepted counts a connection the server took.
func statAccepted() {
	stats.accepted.Add(1)
	stats.handled.Add(1)
	stats.active.Add(1)
}

// setWaiting moves the connection in or out of the waiting count; it may
// race with a finish on another goroutine (a parked connection drained),
// hence the swap.
func (c *conn) setWaiting(w bool) {
	if c.statWaiting.Swap(w) != w {
		if w {
			stats.waiting.Add(1)
		} else {
			stats.waiting.Add(-1)
		}
	}
}

// statRequest counts a new request, reading its head.
func (r *Request) statRequest() {
	stats.requests.Add(1)
	stats.reading.Add(1)
	r.stat = statReading
}

// statProcess moves the request from reading to writing.
func (r *Request) statProcess() {
	if r.stat == statReading {
		stats.reading.Add(-1)
		stats.writing.Add(1)
		r.stat = statWriting
	}
}

// statFree uncounts the request.
func (r *Request) statFree() {
	switch r.stat {
	case statReading:
		stats.reading.Add(-1)
	case statWriting:
		stats.writing.Add(-1)
	}
	r.stat = statNone
}
