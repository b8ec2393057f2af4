package upstream

import (
	"net"
	"sync"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/buf"
)

// Upstream is one request's exchange with upstream servers
// (ngx_http_upstream_t). The protocol reads and writes the exported
// fields; the framework owns the rest.
type Upstream struct {
	// R is the client request.
	R *httpd.Request
	// Conf is the location's upstream configuration.
	Conf *Conf
	// Proto is the module's per-request protocol.
	Proto Protocol
	// Target is where the request goes.
	Target Target

	// Request is what CreateRequest built: the bytes (and file regions)
	// to send, in order.
	Request httpd.Chain
	// Schema and URI name the upstream request in log lines:
	// `upstream: "http://127.0.0.1:8081/path"` is Schema + peer + URI.
	Schema, URI string

	// Buffer receives the response head (buffer_size); ProcessHeader
	// parses Buffer[Pos:Last] and advances Pos.
	Buffer    []byte
	Pos, Last int
	// FilterFullBuffers has the buffered relay pass the body to the
	// protocol's FilterBody as nginx's event pipe passes raw buffers to
	// its input filter: a buffer at a time, once full, once it holds
	// Length bytes, or when the stream ends (see unitFeeder). Set by a
	// protocol whose filter logs or fails as it decodes (FastCGI's
	// FCGI_STDERR lines are cut where nginx's buffers end).
	FilterFullBuffers bool
	// End, when not 0, is where the head's reading stops in Buffer
	// instead of at buffer_size, set by a protocol that keeps less of the
	// stream than it read (FastCGI drops record framing from the head it
	// gathers) so that the room left is what nginx's buffer would have
	// left: the reads stop there, and a head that reaches it is too big.
	End int
	// HeadersIn is the parsed response head.
	HeadersIn HeadersIn

	// Length is what remains of the response body: set by the protocol
	// from the head (-1 when unknown, read until close), counted down by
	// the default body filter; 0 means complete.
	Length int64
	// Out collects decoded body pieces from FilterBody.
	Out [][]byte
	// Keepalive tells whether the upstream connection can be reused once
	// the body is complete (set by the protocol).
	Keepalive bool
	// Upgrade is set by the protocol for a 101 Switching Protocols answer.
	Upgrade bool
	// Buffering is the effective buffering mode (proxy_buffering, or the
	// X-Accel-Buffering header).
	Buffering bool
	// OwnServerDate makes the response carry only the upstream's Server and
	// Date headers, none when it sent none (nginx's proxy and the seeds'
	// mytest add empty ones so that nginx adds none).
	OwnServerDate bool
	// RequestBodyNoBuffering is set when the request body is streamed to the
	// upstream (request_buffering off): a failed attempt cannot be retried
	// once sending started.
	RequestBodyNoBuffering bool

	// Peer is the peer of the current attempt.
	Peer *Peer
	// Method, when set, is the method to send instead of the client's
	// (HEAD becomes GET to fill the cache: cache_convert_head).
	Method string
	// TLS is set by the protocol when the exchange goes over TLS
	// (proxy_pass https://...; nginx's u->ssl), with Conf.TLS its
	// configuration; TLSName is the default name for SNI and the
	// certificate check: the upstream's host (nginx's u->ssl_name).
	TLS     bool
	TLSName string

	cache *cacheReq   // the response cache's state (cache.go)
	store *storeState // the store in progress (store.go)

	// writer is Proto as a Writer, nil for protocols without it
	writer  Writer
	picker  Picker
	tries   int
	start   time.Time
	conn    *Conn
	state   *State
	sent    bool // some of the request was sent
	sentAll bool
	// waited: sendWait sent the request and waited for the response, the
	// wait ending with waitErr
	waited  bool
	waitErr error
	// peerFreed: the picker was told about Peer already (by next).
	peerFreed  bool
	headerSent bool
	received   bool
	// headReadFull: the head's last read took all the room it was given
	// (nginx's upstream read event stays ready after it)
	headReadFull bool
	finalized    bool
	// closeEnded: the body ended with the connection's close (nginx's
	// p->upstream_eof with p->length -1), not by its own framing
	closeEnded bool
	ctx        *reqCtx
	bodyBuf    []byte
	// log is the context of upstream log lines: the request, or readLog
	// (a fixed action) while the pipe's reader runs.
	log     errlog.Context
	readLog httpd.ActionLog
	// finalizeLater is the status for an ftInternal failure.
	finalizeLater int
	upgraded      bool

	// pump streams the request body while the response is read
	// (bodypump.go); wmu serialises the writes to conn of the pump and
	// of the exchange.
	pump *bodyPump
	wmu  sync.Mutex

	// mu guards conn and interrupted against the client watch.
	mu          sync.Mutex
	interrupted bool
	// upstreamDone: the buffered relay read the whole body (nginx has
	// finalized the upstream request; a client that leaves now meets
	// ngx_http_test_reading)
	upstreamDone bool
	watch        *clientWatch
	watchGone    bool // the client went away (kept when the watch ends)
	pipe         pipe // the buffered mode's state
	lowBuf       [64]byte
	// inline room for the usual number of header lines and body pieces,
	// and the last chain
	headersA [12]httpd.Header
	outA     [2][]byte
	requestA [4]httpd.Piece
	iov      [4][]byte // writev's vector for the request
	last     httpd.Chain
	action   string
	dialer   net.Dialer // dial's, out of the goroutine's stack
}

// HeadersIn is the response head as the protocol parsed it
// (ngx_http_upstream_headers_in_t).
type HeadersIn struct {
	// StatusN is the status code; StatusLine the status text after the
	// version ("200 OK"), empty for HTTP/0.9-style answers.
	StatusN    int
	StatusLine string
	// List is every header line in order (names keep their case).
	List []httpd.Header
	// Trailers are the trailer fields of a chunked body.
	Trailers []httpd.Header
	// ContentLengthN is the body length from Content-Length, -1 when absent.
	ContentLengthN int64
	// Chunked is set for "Transfer-Encoding: chunked".
	Chunked bool
	// ConnectionClose is set for "Connection: close".
	ConnectionClose bool
	// LastModifiedTime is the parsed Last-Modified, -1 when absent.
	LastModifiedTime int64
}

// Add appends a header line without interpreting it; protocols use
// Upstream.AddHeader instead.
func (h *HeadersIn) Add(key, value string) {
	h.List = append(h.List, httpd.Header{Key: key, Value: value})
}

// Value returns the first header named name (case-insensitively).
func (h *HeadersIn) Value(name string) (string, bool) {
	for i := range h.List {
		if !h.List[i].Deleted && ascii.EqualFold(h.List[i].Key, name) {
			return h.List[i].Value, true
		}
	}
	return "", false
}

func (h *HeadersIn) reset() {
	*h = HeadersIn{List: h.List[:0], Trailers: h.Trailers[:0], ContentLengthN: -1, LastModifiedTime: -1}
}

// Logf logs with the request's context; protocols use it from FilterBody,
// which may run on the pipe's reader goroutine.
func (u *Upstream) Logf(lv errlog.Level, err error, format string, args ...any) {
	if u.R == nil {
		return // a bare Upstream in a protocol unit test
	}
	ctx := u.log
	if ctx == nil {
		ctx = u.R
	}
	u.R.Log().Logf(lv, ctx, err, format, args...)
}

// LogUpstream implements httpd.UpstreamLogger: `upstream: "..."` in log lines.
func (u *Upstream) LogUpstream() string {
	u.mu.Lock()
	p := u.Peer
	u.mu.Unlock()
	if p == nil {
		return ""
	}
	sep := ""
	if p.Network == "unix" && u.URI != "" {
		sep = ":"
	}
	return u.Schema + p.Name + sep + u.URI
}

// Run carries the request to the target with the given protocol and
// answers the client (ngx_http_upstream_init through
// ngx_http_upstream_finalize_request). It returns the status the content
// phase finalizes the request with: Done once the response went out (or
// the request moved elsewhere), an HTTP status (502, 504...) when nothing
// was sent.
func Run(r *httpd.Request, c *Conf, t Target, p Protocol) (st httpd.Status) {
	u := upstreamPool.Get().(*Upstream)
	// cleared in place and then set: a composite literal would be built
	// in Run's frame first (3.4 KiB), which stays on the goroutine's stack
	// for the whole exchange
	u.clear()
	u.R, u.Conf, u.Proto, u.Target = r, c, p, t
	u.writer, _ = p.(Writer)
	u.Length, u.Buffering = -1, c.Buffering.Get()
	r.ReleaseAtEnd((*pooledUpstream)(u))
	u.HeadersIn.List = u.headersA[:0]
	u.Request.Pieces = u.requestA[:0]
	u.Out = u.outA[:0]
	u.HeadersIn.reset()
	u.ctx = requestCtx(r)
	r.Upstream = u
	defer func() {
		if v := recover(); v != nil {
			r.Log().Logf(errlog.Alert, r, nil, "upstream module panic: %v", v)
			st = u.finalize(500)
		}
		u.stopPump()
		u.release()
	}()
	if c.Cache.Enabled() {
		if st, done := u.cacheStart(); done {
			return st
		}
	}
	if c.Store.Get() != nil && c.Buffering.Get() {
		u.startStore()
	}
	if err := p.CreateRequest(u); err != nil {
		// the protocol logged why, as nginx's create_request handlers do
		return u.finalize(500)
	}
	u.watch = u.watchClient()
	defer u.watch.end()
	u.picker = t.Picker(r)
	u.tries = u.picker.Tries()
	if n := c.NextUpstreamTries.Get(); n > 0 && u.tries > n {
		u.tries = n
	}
	u.start = time.Now()
	for {
		ft := u.attempt()
		if ft == 0 {
			break
		}
		if st, retry := u.next(ft); !retry {
			return st
		}
	}
	return u.respond()
}

// upstreamPool keeps Upstream objects between requests: one is taken by
// Run and returned when the request ends, after its log line (variables
// read it until then).
var upstreamPool = sync.Pool{New: func() any { return new(Upstream) }}

// pooledUpstream is an Upstream as httpd releases it.
type pooledUpstream Upstream

// Release clears the Upstream's references and returns it to the pool.
func (p *pooledUpstream) Release() {
	u := (*Upstream)(p)
	u.clear()
	upstreamPool.Put(u)
}

// clear zeroes the Upstream but what its pipe keeps for the next request.
func (u *Upstream) clear() {
	keep := u.pipe.keep
	*u = Upstream{}
	u.pipe.keep = keep
}

// release returns buffers and closes what is left.
func (u *Upstream) release() {
	if c := u.takeConn(); c != nil {
		c.shutdown()
	}
	if u.bodyBuf != nil {
		buf.Put(u.bodyBuf)
		u.bodyBuf = nil
	}
	// u.Buffer backs header strings still in r.Out: it is released when the
	// request ends.
	if u.Buffer != nil {
		b := u.Buffer
		u.Buffer = nil
		u.R.PutBufferAtEnd(b)
	}
}

// next decides what follows a failed attempt (ngx_http_upstream_next):
// another peer, or the final status.
func (u *Upstream) next(ft uint32) (httpd.Status, bool) {
	r := u.R
	u.stopPump()
	if perr := u.pumpError(); perr != nil {
		// the streamed body's failure ended the attempt
		pft, st := u.pumpFailure(perr)
		if st != 0 {
			u.endConn()
			return u.finalize(st), false
		}
		ft = pft
	}
	if ft == ftInternal {
		u.endConn()
		return u.finalize(u.finalizeLater), false
	}
	// one reading of the client watch: the peer's state and the 499 agree
	aborted := u.clientAborted()
	if u.Peer != nil {
		ps := PeerFailed
		switch {
		case aborted:
			// the exchange ended for the client, not for the peer:
			// ngx_http_upstream_finalize_request frees it with state 0
			ps = PeerOK
		case ft == FtHTTP403 || ft == FtHTTP404:
			ps = PeerNext
		}
		if ps == PeerNext {
			// a complete 403/404 answer leaves the connection reusable
			u.releaseConn()
		}
		u.picker.Done(u.Peer, ps)
		u.peerFreed = true // the name stays for log lines
		u.tries--
	}
	if aborted {
		// the client went away: nothing to retry for
		u.endConn()
		return u.finalize(httpd.StatusClientClosedRequest), false
	}
	if ft == FtTimeout {
		r.Log().Logf(errlog.Error, r, errTimedOut, "upstream timed out")
	}
	if u.conn != nil && u.conn.Cached && ft == FtError {
		u.tries++
		if !u.received {
			// the peer had closed it: peek before reuse from now on
			u.Target.Keepalive().peekAll(time.Now())
		}
	}
	status := ftStatus(ft)
	if r.Failed() || u.clientAborted() {
		u.endConn()
		return u.finalize(httpd.StatusClientClosedRequest), false
	}
	if u.state != nil {
		u.state.Status = status
	}
	if u.sent && r.MethodBit&(httpd.MethodPOST|httpd.MethodLOCK|httpd.MethodPATCH) != 0 {
		ft |= FtNonIdempotent
	}
	timeout := u.Conf.NextUpstreamTimeout.Get()
	if u.tries <= 0 || u.Conf.NextUpstream.Get()&ft != ft ||
		(u.sent && u.RequestBodyNoBuffering) ||
		(timeout > 0 && time.Since(u.start) >= timeout) {
		u.endConn()
		if st, ok := u.cacheStaleOnError(ft); ok {
			return st, false
		}
		return u.finalize(status), false
	}
	u.closeConn()
	if re, ok := u.Proto.(Reiniter); ok {
		if err := re.Reinit(u); err != nil {
			return u.finalize(500), false
		}
	}
	u.reinit()
	return 0, true
}

// reinit resets the per-attempt state before the next peer
// (ngx_http_upstream_reinit).
func (u *Upstream) reinit() {
	u.HeadersIn.reset()
	u.Pos, u.Last = 0, 0
	u.Length = -1
	u.Out = u.Out[:0]
	u.Keepalive = false
	u.Upgrade = false
	u.sent, u.sentAll, u.received = false, false, false
	u.pump = nil // stopped by next
	u.closeEnded = false
	// u.Buffering is kept: an X-Accel-Buffering of the failed answer
	// stays for the next peer's, as in nginx (whose reinit leaves
	// u->buffering), like the rate limit and charset it may have set
	u.R.Out.List = u.R.Out.List[:0]
}

func ftStatus(ft uint32) int {
	switch ft {
	case FtTimeout, FtHTTP504:
		return 504
	case FtHTTP500:
		return 500
	case FtHTTP503:
		return 503
	case FtHTTP403:
		return 403
	case FtHTTP404:
		return 404
	case FtHTTP429:
		return 429
	}
	return 502
}

// closeConn closes the attempt's connection before another attempt: a
// TLS connection without its close_notify alert, as ngx_http_upstream_next
// closes it (no_send_shutdown).
func (u *Upstream) closeConn() {
	if c := u.takeConn(); c != nil {
		if u.state != nil {
			u.state.BytesSent = c.sent
		}
		c.abort()
	}
}

// endConn closes the attempt's connection when the exchange ends without
// another attempt, as ngx_http_upstream_finalize_request does (see
// Conn.shutdown).
func (u *Upstream) endConn() {
	if c := u.takeConn(); c != nil {
		if u.state != nil {
			u.state.BytesSent = c.sent
		}
		c.shutdown()
	}
}

// currentConn is the attempt's connection, nil once released.
func (u *Upstream) currentConn() *Conn {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conn
}

// takeConn removes the attempt's connection from the Upstream.
func (u *Upstream) takeConn() *Conn {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.conn
	u.conn = nil
	return c
}

// finalize ends the exchange with rc (ngx_http_upstream_finalize_request):
// the protocol's Finalize runs exactly once, the peer is released, the
// connection goes back to the keepalive pool when the response was
// complete. It returns what the content phase finalizes the request with.
func (u *Upstream) finalize(rc int) httpd.Status {
	r := u.R
	if u.finalized {
		return httpd.Done
	}
	u.finalized = true
	u.stopPump()
	u.cacheFinalize(rc)
	if s := u.state; s != nil && s.ResponseTime < 0 {
		s.ResponseTime = time.Since(s.start)
		if c := u.currentConn(); c != nil {
			s.BytesSent = c.sent
		}
	}
	if f, ok := u.Proto.(Finalizer); ok {
		f.Finalize(u, rc)
	}
	if u.Peer != nil && !u.peerFreed {
		u.picker.Done(u.Peer, PeerOK)
		// the name stays for log lines, as nginx's u->peer.name does:
		// what goes wrong sending the rest to the client names it
		u.peerFreed = true
	}
	// whatever the status (an intercepted error too), a complete response
	// leaves the connection reusable (ngx_http_upstream_free_keepalive_peer)
	u.releaseConn()
	if c := u.takeConn(); c != nil {
		c.shutdown()
	}
	u.setAction("sending to client")
	if rc == declined {
		return httpd.Done
	}
	if !u.headerSent || rc == 408 || rc == httpd.StatusClientClosedRequest {
		if rc == 0 {
			return httpd.OK
		}
		return httpd.Status(rc)
	}
	if rc != 0 {
		// the response is cut: the client must see a broken connection,
		// never a truncated body passed off as complete. An error status
		// (an upstream failure) first flushes what is pending, the head
		// included; an internal error (NGX_ERROR) closes without it, as
		// ngx_http_upstream_finalize_request does.
		r.Keepalive = false
		if rc >= 300 {
			r.Output(&httpd.Chain{Flush: true})
		}
		return httpd.Error
	}
	if r.HeaderOnly || r.Failed() || u.upgraded {
		return httpd.OK
	}
	u.passTrailers()
	u.last = httpd.Chain{Last: true}
	return r.Output(&u.last)
}

// releaseConn puts the connection back into the keepalive pool once the
// response is complete and the protocol allows reuse. It runs as soon as
// the body is known to be complete — before its last bytes are written to
// the client — so that a client sending its next request at once finds the
// connection idle in the pool.
func (u *Upstream) releaseConn() {
	if !u.Keepalive || u.Length != 0 || !u.sentAll || u.Target == nil || u.Target.Keepalive() == nil || u.isInterrupted() {
		return
	}
	c := u.takeConn()
	if c == nil {
		return
	}
	if u.state != nil {
		u.state.BytesSent = c.sent
	}
	c.Requests++
	u.Target.Keepalive().Put(u.Peer, c)
}

// declined is finalize's code for "the request continues elsewhere"
// (X-Accel-Redirect): nothing is sent.
const declined = int(httpd.Declined) // -5, not httpd.Error (-1)

// Bare returns an Upstream with an empty head buffer of the given size and
// no request, for unit tests that feed bytes to a protocol: append bytes to
// Buffer[:Last] and call ProcessHeader, as the framework does on each read.
func Bare(bufferSize int) *Upstream {
	u := &Upstream{Buffer: make([]byte, bufferSize), Length: -1}
	u.HeadersIn.reset()
	return u
}

// Feed appends b to the head buffer as if it had just been read, and
// reports false when it does not fit (the framework's "upstream sent too
// big header").
func (u *Upstream) Feed(b []byte) bool {
	if u.Last+len(b) > len(u.Buffer) {
		return false
	}
	u.Last += copy(u.Buffer[u.Last:], b)
	return true
}
