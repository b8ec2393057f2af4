package httpd

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http2"
)

// h2stream is one HTTP/2 stream, and the net.Conn its request reads its
// body from. Fields marked (mu) are guarded by the connection's mu.
type h2stream struct {
	h  *h2conn
	id uint32
	c  *conn
	// uncounted: see http2.Head
	uncounted int

	// (mu) the windows: what we may send, what the client may send;
	// credit is body bytes read and not yet given back by WINDOW_UPDATE
	sendWindow int64
	recvWindow int64
	credit     int64
	received   int64
	// (mu) in is the body received and not read yet, inEnd set once the
	// client ended the stream; chunked frames it as a chunked body (a
	// request without content-length, which nginx marks chunked too)
	in      []byte
	inEnd   bool
	chunked bool
	// declared is the content-length (-1: none, or invalid);
	// bodyErr, once set, is what the body's reader meets after the bytes
	// received: a body longer or shorter than declared (nginx answers 400)
	declared   int64
	hasLength  bool
	bodyErr    string
	bodyErrNow bool
	rdl        time.Time
	// (mu) rst: the stream was reset (by either side) or the connection
	// ended; rstSent that we sent the RST_STREAM; remoteClosed that the
	// client sent END_STREAM or RST_STREAM
	rst, rstSent, remoteClosed bool
	wake                       chan struct{}

	// owned by the stream's goroutine
	number  int  // the connection's request count with this stream
	ended   bool // END_STREAM sent
	resp    []hfield
	headLen int64
	frame   []byte
}

type hfield struct{ name, value string }

// serve runs the stream's request.
func (st *h2stream) serve(fields []http2.Field) {
	h := st.h
	p := h.c
	// requests and start are the connection's ($connection_requests,
	// $connection_time)
	c := &conn{cf: p.cf, addr: p.addr, nc: st, number: p.number, start: p.start,
		remoteAddr: p.remoteAddr, remotePort: p.remotePort, pp: p.pp, real: p.real,
		localIP: p.localIP, localPort: p.localPort, requests: st.number}
	if p.tls != nil {
		c.tls = &connTLS{tcp: st, conn: p.tls.conn, info: p.tls.info, sniServer: p.tls.sniServer,
			sniHost: p.tls.sniHost, sniRegex: p.tls.sniRegex, buffer: p.tls.buffer}
	}
	// the stream ends with its connection: work waiting outside the
	// stream's sockets (a name resolution) sees the abort of a fast
	// shutdown
	c.ctx, c.cancel = context.WithCancel(p.context())
	h.mu.Lock()
	st.c = c
	reset := st.rst
	h.mu.Unlock()
	if reset {
		c.hup.Store(true)
	}
	c.act = getActive()
	c.act.h2 = st
	r := &c.act.req
	defer func() {
		if x := recover(); x != nil {
			p.cf.Cycle.Log.Logf(errlog.Alert, nil, nil, "panic while serving connection *%d: %v", p.number, x)
			c.failed = true
		}
		st.finish()
		c.cancel()
		r.clear()
		c.act.h2 = nil
		activePool.Put(c.act)
		c.act = nil
	}()
	cs := p.addr.def.CoreSrv()
	head, err := http2.BuildHead(nil, fields, http2.HeadRules{
		UnderscoresInHeaders: cs.UnderscoresInHeaders.Get(),
		IgnoreInvalidHeaders: cs.IgnoreInvalidHeaders.Get(),
		Ignored: func(name string) {
			p.cf.Cycle.Log.Logf(errlog.Info, p, nil, "client sent invalid header: \"%s\"", name)
		},
	})
	c.newRequest(r)
	r.statRequest()
	if err != nil {
		he := err.(*http2.HeadError)
		r.HTTPVersion, r.Protocol, r.RequestLine = 2000, "HTTP/2.0", he.Line
		r.RequestLength = st.headLen
		r.logf(errlog.Info, nil, "%s", he.Text)
		r.Finalize(Status(he.Status))
	} else {
		c.in, c.pos, c.last = head.Text, 0, len(head.Text)
		st.uncounted = head.Uncounted
		r.readAndProcess()
	}
	r.Keepalive = false
	c.finishRequest(r)
	c.in = nil
}

// h2Request finishes a request head read from a HEADERS block: nginx's
// HTTP/2 version and request line, and its refusal of the HTTP/1
// connection headers (ngx_http_v2_run_request).
func (r *Request) h2Request() Status {
	st := r.conn.act.h2
	r.HTTPVersion, r.Protocol = 2000, "HTTP/2.0"
	r.RequestLine = r.Method + " " + r.UnparsedURI + " HTTP/2.0"
	r.RequestLength = st.headLen
	in := &r.In
	if !r.conn.addr.http2 && !r.Srv.http2Enabled() {
		r.logf(errlog.Info, nil, "client attempted to request the server name for which the negotiated protocol is disabled")
		return 421
	}
	if in.Host < 0 {
		r.logf(errlog.Info, nil, "client sent neither \":authority\" nor \"Host\" header")
		return 400
	}
	for _, c := range [...]struct {
		i    int
		name string
	}{{in.Connection, "Connection"}, {in.KeepAlive, "Keep-Alive"}, {in.TransferEncoding, "Transfer-Encoding"}, {in.Upgrade, "Upgrade"}} {
		if c.i >= 0 {
			r.logf(errlog.Info, nil, "client sent \"%s\" header", c.name)
			return 400
		}
	}
	if in.TE >= 0 && in.Get(in.TE) != "trailers" {
		r.logf(errlog.Info, nil, "client sent invalid \"TE\" header")
		return 400
	}
	if _, ok := in.Value("proxy-connection"); ok {
		r.logf(errlog.Info, nil, "client sent \"Proxy-Connection\" header")
		return 400
	}
	st.h.mu.Lock()
	in.Chunked = st.chunked
	st.h.mu.Unlock()
	return OK
}

// finish ends the stream once its request is done: a response cut short
// is reset (INTERNAL_ERROR), one complete while the client still sends
// its body too (NO_ERROR), as ngx_http_v2_close_stream.
func (st *h2stream) finish() {
	h := st.h
	h.mu.Lock()
	sent := st.rstSent
	rst := st.rst
	remote := st.remoteClosed
	st.rst = true
	delete(h.streams, st.id)
	left := len(h.streams)
	goaway := h.goaway
	h.mu.Unlock()
	switch {
	case sent || (rst && !st.ended):
	case !st.ended && st.c.timedOut:
		h.rst(st.id, http2.ProtocolError)
	case !st.ended:
		h.rst(st.id, http2.InternalError)
	case !remote:
		h.rst(st.id, http2.NoError)
	}
	h.wg.Done()
	if left == 0 || goaway {
		// the read loop waits without a deadline while streams are open
		h.c.socket().SetReadDeadline(time.Now())
	}
}

// push queues body bytes received (mu held).
func (st *h2stream) push(data []byte, end bool) {
	if st.chunked && len(data) > 0 {
		st.in = strconv.AppendInt(st.in, int64(len(data)), 16)
		st.in = append(st.in, "\r\n"...)
		st.in = append(st.in, data...)
		st.in = append(st.in, "\r\n"...)
	} else {
		st.in = append(st.in, data...)
	}
	if end {
		if st.chunked {
			st.in = append(st.in, "0\r\n\r\n"...)
		}
		st.inEnd = true
	}
}

// hangUp tells the stream's request that its client is gone (the stream
// was reset, or the connection ended), as nginx sets the stream's fake
// connection's error and runs its read handler: an upstream exchange
// waiting for its server ends (ngx_http_upstream_check_broken_connection).
// Safe from any goroutine; st.c may not exist yet.
func (st *h2stream) hangUp() {
	st.h.mu.Lock()
	c := st.c
	st.h.mu.Unlock()
	if c != nil {
		c.hungUp()
	}
}

func (st *h2stream) wakeReader() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

var errStreamReset = &net.OpError{Op: "read", Net: "h2", Err: os.ErrClosed}

// Read gives the request body as received, waiting for it until the read
// deadline.
func (st *h2stream) Read(b []byte) (int, error) {
	h := st.h
	for {
		h.mu.Lock()
		if st.bodyErr != "" && st.bodyErrNow {
			h.mu.Unlock()
			return 0, &h2BodyError{st.bodyErr}
		}
		if len(st.in) > 0 {
			n := copy(b, st.in)
			st.in = st.in[n:]
			if len(st.in) == 0 {
				st.in = st.in[:0:0]
			}
			st.giveCredit()
			h.mu.Unlock()
			return n, nil
		}
		if st.rst {
			h.mu.Unlock()
			return 0, errStreamReset
		}
		if st.bodyErr != "" {
			h.mu.Unlock()
			return 0, &h2BodyError{st.bodyErr}
		}
		if st.inEnd {
			h.mu.Unlock()
			return 0, io.EOF
		}
		st.giveCredit()
		dl := st.rdl
		h.mu.Unlock()
		var timer <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			timer = t.C
			select {
			case <-st.wake:
			case <-timer:
			}
			t.Stop()
			continue
		}
		<-st.wake
	}
}

// RecvNow reads what was received without waiting (see recvNow).
func (st *h2stream) RecvNow(b []byte) (int, error) {
	h := st.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if st.bodyErr != "" && st.bodyErrNow {
		return 0, &h2BodyError{st.bodyErr}
	}
	if len(st.in) > 0 {
		n := copy(b, st.in)
		st.in = st.in[n:]
		st.giveCredit()
		return n, nil
	}
	if st.rst {
		return 0, errStreamReset
	}
	if st.bodyErr != "" {
		return 0, &h2BodyError{st.bodyErr}
	}
	if st.inEnd {
		return 0, io.EOF
	}
	return 0, nil
}

// h2BodyError is a request body that does not match its content-length:
// the request is answered 400 after Text is logged (see bodySource.recv).
type h2BodyError struct{ Text string }

func (e *h2BodyError) Error() string { return e.Text }

// giveCredit reopens the stream's window once the body received has been
// read and the window is nearly used up (mu held): to the larger of
// http2_body_preread_size and client_body_buffer_size, as nginx reopens
// it to the size of its body buffer once that is emptied.
func (st *h2stream) giveCredit() {
	if st.inEnd || st.rst || len(st.in) > 0 {
		return
	}
	w := max(st.h.srv.BodyPrereadSize.Get(), st.h.cl.ClientBodyBufferSize.Get())
	if st.recvWindow >= w/4 {
		return
	}
	want := w - st.recvWindow
	st.recvWindow = w
	id := st.id
	go st.h.send(http2.AppendWindowUpdate(nil, id, uint32(want)))
}

// Write is not used: responses leave as frames (writeH2).
func (st *h2stream) Write(b []byte) (int, error) { return len(b), nil }

// Close resets nothing: the stream ends when its request does.
func (st *h2stream) Close() error { return nil }

// LocalAddr is the connection's.
func (st *h2stream) LocalAddr() net.Addr { return st.h.c.socket().LocalAddr() }

// RemoteAddr is the connection's.
func (st *h2stream) RemoteAddr() net.Addr { return st.h.c.socket().RemoteAddr() }

// SetDeadline sets the read deadline.
func (st *h2stream) SetDeadline(t time.Time) error { return st.SetReadDeadline(t) }

// SetReadDeadline bounds the wait for body bytes.
func (st *h2stream) SetReadDeadline(t time.Time) error {
	st.h.mu.Lock()
	st.rdl = t
	st.h.mu.Unlock()
	return nil
}

// SetWriteDeadline does nothing: frames are written under send_timeout.
func (st *h2stream) SetWriteDeadline(time.Time) error { return nil }

// h2BodyLength gives a request whose body came without content-length,
// once it is read whole, the Content-Length header nginx makes for it
// ($http_content_length, and what goes upstream).
func (r *Request) h2BodyLength() {
	r.In.Chunked = false
	r.In.ContentLength = len(r.In.List)
	r.In.List = append(r.In.List, Header{Key: "Content-Length", Value: strconv.FormatInt(r.Body.Size, 10)})
}
