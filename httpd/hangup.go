package httpd

// Hangup reports (nginx's ngx_http_upstream_check_broken_connection with
// EPOLLRDHUP): a busy connection's socket sits in the park set for
// EPOLLRDHUP only, so that a client closing or shutting down its side, or
// a connection reset, is reported while the connection's goroutine is busy
// elsewhere (waiting for an upstream), at no cost per request.

// hungUp is called by the park set's loop when the socket reported a
// hangup while the connection was busy.
func (c *conn) hungUp() {
	c.hup.Store(true)
	c.hupMu.Lock()
	if c.hupFn != nil {
		c.hupFn()
	}
	c.hupMu.Unlock()
}

// WatchHangup has fn called, on the park set's goroutine, each time the
// client's connection reports a hangup (the client closed or shut down its
// side, or the connection failed) until UnwatchHangup. fn must return
// quickly: parked connections wait while it runs; what it reads of the
// request must be safe alongside the request's own goroutine. A hangup
// reported before is not repeated: HungUp tells of it. False means the
// connection cannot report hangups (not a socket, or no epoll).
func (r *Request) WatchHangup(fn func()) bool {
	c := r.conn
	if c != nil && c.act != nil && c.act.h2 != nil {
		// an HTTP/2 stream: its connection reports a reset or its own end
		// (h2stream.hangUp)
		c.hupMu.Lock()
		c.hupFn = fn
		c.hupMu.Unlock()
		return true
	}
	if c == nil || c.rawSocket() == nil {
		return false
	}
	p := parker()
	if p.err != nil {
		return false
	}
	if c.parkKey == 0 {
		// first watch on this connection: register it (it stays
		// registered until it closes, so later watches skip the set's
		// process-wide lock). parkKey is written only by this goroutine,
		// and by finish once it is gone.
		p.mu.Lock()
		_, _, err := p.itemLocked(c, busyEvents)
		p.mu.Unlock()
		if err != nil {
			return false
		}
	}
	c.hupMu.Lock()
	c.hupFn = fn
	c.hupMu.Unlock()
	return true
}

// HangupWatched reports whether a WatchHangup is in force on r's
// connection (another request of the tree, or r, watches it).
func (r *Request) HangupWatched() bool {
	c := r.conn
	if c == nil {
		return false
	}
	c.hupMu.Lock()
	defer c.hupMu.Unlock()
	return c.hupFn != nil
}

// UnwatchHangup ends WatchHangup: once it returns, fn is not running and
// is not called again.
func (r *Request) UnwatchHangup() {
	c := r.conn
	c.hupMu.Lock()
	c.hupFn = nil
	c.hupMu.Unlock()
}

// HungUp reports whether the client's connection reported a hangup: the
// client closed or shut down its side, or the connection failed (for an
// HTTP/2 stream: the stream was reset or its connection ended).
func (r *Request) HungUp() bool { return r.conn != nil && r.conn.hup.Load() }

// IsStream reports whether the request is an HTTP/2 stream's: its client
// "connection" is the stream, with no socket of its own.
func (r *Request) IsStream() bool { return r.conn != nil && r.conn.act != nil && r.conn.act.h2 != nil }
