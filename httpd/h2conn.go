package httpd

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/buf"
)

// HTTP/2 connections (ngx_http_v2.c). The connection's goroutine reads
// frames and keeps the streams; each stream runs as an ordinary request
// on a goroutine of its own, over a conn of its own whose nc is the
// stream (h2stream: reads give the request body, DATA frames; the
// response head and body leave through writeHeaderH2 and writeH2 as
// HEADERS and DATA frames under both flow-control windows). Frames are
// written whole under the connection's write lock, which also orders the
// HPACK encoder's state.

// h2conn is one HTTP/2 connection.
type h2conn struct {
	c   *conn
	nc  net.Conn
	log *errlog.Log
	srv *V2SrvConf
	cs  *CoreSrvConf
	cl  *CoreLocConf

	rbuf        []byte
	rpos, rlast int
	// small is the read buffer of its usual size, rbuf again once a
	// large frame is read; skip is what is left of a payload not read
	// (bigFrame)
	small []byte
	skip  int

	// wmu orders frames on the wire and guards wbuf, block, tableUpdate
	// and wdead; block is the header block being encoded, tableUpdate
	// set when the client's SETTINGS named a header table size
	wmu         sync.Mutex
	wbuf        []byte
	hblock      []byte
	tableUpdate bool
	wdead       bool

	dec *hpack.Decoder
	// priorityLimit is what is left of the PRIORITY frames allowed
	// (nginx's priority_limit)
	priorityLimit int
	fields        []http2.Field
	fieldsSize    int
	headerLimit   int
	tooLarge      bool

	// mu guards the streams, the windows and the flags below; cond is
	// signalled when a send window grows or a stream ends
	mu          sync.Mutex
	cond        *sync.Cond
	streams     map[uint32]*h2stream
	sendWindow  int64
	initWindow  int64
	maxFrame    int
	recvWindow  int64
	lastID      uint32
	goaway      bool
	closed      bool
	requests    int
	settingsAck bool
	wg          sync.WaitGroup

	// the header block being received (HEADERS, then CONTINUATION)
	contID    uint32
	contFlags uint8
	block     []byte
	// deadID is a stream whose header block timed out: it is reset and
	// its block, when it completes, starts nothing
	deadID uint32
}

// partialHeaders returns the stream whose header block is being
// received: a HEADERS or CONTINUATION frame read in part, or a block
// waiting for its CONTINUATION; 0 when none.
func (h *h2conn) partialHeaders() uint32 {
	if h.contID != 0 {
		return h.contID
	}
	if h.rlast-h.rpos >= http2.FrameHeaderLen {
		if fh := http2.ParseFrameHeader(h.rbuf[h.rpos:]); fh.Type == http2.FrameHeaders {
			return fh.StreamID
		}
	}
	return 0
}

// h2MaxFrame is the largest frame accepted, sent in the first SETTINGS
// frame: nginx's NGX_HTTP_V2_MAX_FRAME_SIZE. The read buffer holds two
// frames of h2ReadFrame, the default size; a larger frame is read into a
// buffer of its own when what it may carry is bounded, and its payload
// skipped otherwise (bigFrame).
const (
	h2MaxFrame  = http2.MaxFrameSizeLimit
	h2ReadFrame = http2.DefaultMaxFrameSize
)

// h2Preface reports whether the bytes read so far on a plain address with
// HTTP/2 enabled open the client preface (ngx_http_wait_request_handler:
// what matches as far as it goes is HTTP/2, anything else HTTP/1).
func (c *conn) h2Preface() bool {
	if c.tls != nil || !c.addr.h2Preface {
		return false
	}
	b := c.in[c.pos:c.last]
	n := min(len(b), len(http2.Preface))
	return n > 0 && string(b[:n]) == http2.Preface[:n]
}

// h2Negotiated reports whether the TLS handshake chose "h2" by ALPN.
func (c *conn) h2Negotiated() bool {
	return c.tls != nil && c.tls.info != nil && c.tls.info.State.NegotiatedProtocol == "h2"
}

// serveH2 serves the connection as HTTP/2 until it closes; the bytes in
// c.in are the first it read.
func (c *conn) serveH2() {
	c.mu.Lock()
	c.fresh = false
	c.mu.Unlock()
	srv := c.addr.def
	if c.tls != nil && c.tls.sniServer != nil {
		srv = c.tls.sniServer
	}
	h := &h2conn{c: c, nc: c.nc, log: srv.Loc.core.ErrorLog, cs: srv.CoreSrv(), cl: srv.Loc.core}
	if v, ok := srv.Conf(V2).(*V2SrvConf); ok {
		h.srv = v
	} else {
		h.srv = &V2SrvConf{}
		V2.MergeSrv(nil, &V2SrvConf{}, h.srv)
	}
	h.cond = sync.NewCond(&h.mu)
	h.streams = map[uint32]*h2stream{}
	h.sendWindow, h.initWindow, h.maxFrame = http2.DefaultWindow, http2.DefaultWindow, http2.DefaultMaxFrameSize
	h.recvWindow = http2.MaxWindow
	lb := h.cs.LargeClientHeaderBuffers.Get()
	h.headerLimit = int(lb.Size) * lb.Num
	h.priorityLimit = max(h.srv.MaxConcurrentStreams.Get(), 100)
	h.dec = hpack.NewDecoder(4096, h.field)
	h.dec.SetMaxStringLength(int(lb.Size))
	size := 2 * (http2.FrameHeaderLen + h2ReadFrame)
	h.rbuf = make([]byte, max(size, c.last-c.pos))
	h.small = h.rbuf
	h.rlast = copy(h.rbuf, c.in[c.pos:c.last])
	c.pos = c.last
	c.releaseBuffers()
	h.run()
	h.dropLarge()
	c.finish()
}

// dropLarge gives the buffer of a large frame back to its pool, the usual
// read buffer taking its place (its unread bytes are the caller's).
func (h *h2conn) dropLarge() {
	if len(h.rbuf) > len(h.small) {
		buf.Put(h.rbuf)
		h.rbuf = h.small
	}
}

func (h *h2conn) field(f hpack.HeaderField) {
	h.fieldsSize += len(f.Name) + len(f.Value)
	if h.fieldsSize > h.headerLimit {
		h.tooLarge = true
		return
	}
	h.fields = append(h.fields, http2.Field{Name: f.Name, Value: f.Value})
}

// run is the connection's read loop.
func (h *h2conn) run() {
	b := http2.AppendSettings(nil,
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: uint32(h.srv.MaxConcurrentStreams.Get())},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(h.srv.BodyPrereadSize.Get())},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: h2MaxFrame})
	b = http2.AppendWindowUpdate(b, 0, http2.MaxWindow-http2.DefaultWindow)
	if !h.send(b) {
		h.shutdown()
		return
	}
	preface := false
	for {
		if !preface && h.rlast-h.rpos >= len(http2.Preface) {
			if string(h.rbuf[h.rpos:h.rpos+len(http2.Preface)]) != http2.Preface {
				h.logf("invalid connection preface")
				h.connError(http2.ProtocolError)
				break
			}
			h.rpos += len(http2.Preface)
			preface = true
		}
		stop := false
		for preface && !stop {
			if h.skip > 0 {
				n := min(h.skip, h.rlast-h.rpos)
				h.rpos += n
				h.skip -= n
				if h.skip > 0 {
					break
				}
			}
			fh, p, n, err := http2.ReadFrame(h.rbuf[h.rpos:h.rlast], h2MaxFrame)
			if errors.Is(err, http2.ErrNeedMore) {
				if h.rlast-h.rpos >= http2.FrameHeaderLen {
					switch {
					case fh.Type == http2.FramePushPromise:
						// refused on its header, as nginx's state machine does
						stop = !h.frame(fh, nil)
					case http2.FrameHeaderLen+int(fh.Length) > len(h.rbuf):
						stop = !h.bigFrame(fh)
						continue
					}
				}
				break
			}
			if err != nil {
				h.logf("client sent frame with incorrect length %d", fh.Length)
				h.connError(http2.FrameSizeError)
				stop = true
				break
			}
			h.rpos += n
			stop = !h.frame(fh, p)
		}
		if stop {
			break
		}
		switch {
		case len(h.rbuf) > len(h.small) && h.rlast-h.rpos <= len(h.small) &&
			(h.rlast-h.rpos < http2.FrameHeaderLen ||
				http2.FrameHeaderLen+int(http2.ParseFrameHeader(h.rbuf[h.rpos:]).Length) <= len(h.small)):
			// the large frame is done: back to the usual buffer
			h.rlast = copy(h.small, h.rbuf[h.rpos:h.rlast])
			h.rpos = 0
			h.dropLarge()
		case h.rpos == h.rlast:
			h.rpos, h.rlast = 0, 0
		case h.rpos > 0:
			h.rlast = copy(h.rbuf, h.rbuf[h.rpos:h.rlast])
			h.rpos = 0
		}
		h.mu.Lock()
		active := len(h.streams)
		goaway := h.goaway
		h.mu.Unlock()
		if goaway && active == 0 {
			break
		}
		// a header block cut short is bounded by client_header_timeout;
		// an idle connection by keepalive_timeout
		var dl time.Time
		headerID := h.partialHeaders()
		switch {
		case headerID != 0 && headerID != h.deadID:
			dl = time.Now().Add(h.cs.ClientHeaderTimeout.Get())
		case headerID != 0:
			// the rest of a block whose stream was reset: no deadline
		case active == 0 && !goaway && h.lastID == 0:
			dl = h.c.start.Add(h.cs.ClientHeaderTimeout.Get())
		case active == 0 && !goaway:
			t := h.cl.KeepaliveTimeout.Get()
			if t <= 0 && h.rlast == 0 {
				h.goAway(http2.NoError)
				h.shutdown()
				return
			}
			if t > 0 {
				dl = time.Now().Add(t)
			}
		}
		h.c.socket().SetReadDeadline(dl)
		if !goaway && !h.c.setIdle(true) {
			h.gracefulGoaway()
			continue
		}
		n, err := h.nc.Read(h.rbuf[h.rlast:])
		if !goaway {
			h.c.setIdle(false)
		}
		h.rlast += n
		if n > 0 {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if h.c.draining() {
				h.gracefulGoaway()
				continue
			}
			if !dl.IsZero() && !time.Now().Before(dl) && headerID != 0 && headerID != h.deadID {
				// the stream is reset, the connection goes on (its
				// block is still decoded, for the HPACK state)
				h.logErr(errTimedOut, "client timed out")
				h.deadID = headerID
				h.rst(headerID, http2.ProtocolError)
				continue
			}
			if !dl.IsZero() && !time.Now().Before(dl) {
				if h.rlast > 0 {
					h.c.timedOut = true
					h.logErr(errTimedOut, "client timed out")
				}
				h.goAway(http2.NoError)
				break
			}
			// woken by a stream that ended
			continue
		}
		h.c.failed = true
		h.mu.Lock()
		active = len(h.streams)
		h.mu.Unlock()
		if active > 0 || h.rlast > 0 {
			h.logf("client prematurely closed connection")
		}
		break
	}
	h.shutdown()
}

// gracefulGoaway starts a graceful close: a GOAWAY naming the last stream,
// the open streams finish, no new one starts.
func (h *h2conn) gracefulGoaway() {
	h.mu.Lock()
	was := h.goaway
	h.goaway = true
	last := h.lastID
	h.mu.Unlock()
	if !was {
		h.send(http2.AppendGoAway(nil, last, http2.NoError))
	}
	h.c.socket().SetReadDeadline(time.Time{})
}

// goAway sends GOAWAY with code and stops the connection.
func (h *h2conn) goAway(code http2.ErrCode) {
	h.mu.Lock()
	h.goaway = true
	last := h.lastID
	h.mu.Unlock()
	h.send(http2.AppendGoAway(nil, last, code))
}

// connError ends the connection with a connection error.
func (h *h2conn) connError(code http2.ErrCode) bool {
	h.goAway(code)
	h.c.failed = true
	return false
}

// shutdown ends every stream and waits for their goroutines.
func (h *h2conn) shutdown() {
	h.mu.Lock()
	h.closed = true
	for _, st := range h.streams {
		st.rst = true
	}
	h.cond.Broadcast()
	streams := make([]*h2stream, 0, len(h.streams))
	for _, st := range h.streams {
		streams = append(streams, st)
	}
	h.mu.Unlock()
	for _, st := range streams {
		st.wakeReader()
		st.hangUp()
	}
	if h.c.failed {
		// unblock writers stuck on the socket
		h.c.socket().SetWriteDeadline(time.Now())
	}
	h.wg.Wait()
	if !h.c.failed && h.cl.LingeringClose.Get() != LingeringOff {
		// what the client sends after our GOAWAY must not reset the
		// connection before it read the responses (nginx's lingering
		// close in ngx_http_v2_finalize_connection)
		h.c.socket().SetReadDeadline(time.Time{})
		h.c.lingeringClose(h.cl)
	}
}

func (h *h2conn) logf(format string, args ...any) {
	h.c.cf.Cycle.Log.Logf(errlog.Info, h.c, nil, format, args...)
}

func (h *h2conn) logErr(err error, format string, args ...any) {
	h.c.cf.Cycle.Log.Logf(errlog.Info, h.c, err, format, args...)
}

// send writes whole frames; false when the connection failed.
func (h *h2conn) send(b []byte) bool {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return h.sendLocked(b)
}

func (h *h2conn) sendLocked(b []byte) bool {
	if h.wdead {
		return false
	}
	if t := h.cl.SendTimeout.Get(); t > 0 {
		h.c.socket().SetWriteDeadline(time.Now().Add(t))
	}
	if _, err := h.nc.Write(b); err != nil {
		h.wdead = true
		h.c.failed = true
		h.c.socket().SetReadDeadline(time.Now())
		return false
	}
	return true
}

// rst sends RST_STREAM.
func (h *h2conn) rst(id uint32, code http2.ErrCode) {
	h.send(http2.AppendRSTStream(nil, id, code))
}
