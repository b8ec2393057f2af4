package grpc

import (
	"errors"
	"fmt"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// Compile-time guards: the capabilities the framework finds by assertion.
var (
	_ upstream.Protocol   = (*proto)(nil)
	_ upstream.BodyFilter = (*proto)(nil)
	_ upstream.Reiniter   = (*proto)(nil)
	_ upstream.Writer     = (*proto)(nil)
	_ upstream.BodySender = (*proto)(nil)
)

// connState is what a connection keeps across the streams it carries
// (ngx_http_grpc_conn_t), in the framework's Upstream.ConnData slot.
type connState struct {
	initWindow   int64
	sendWindow   int64
	recvWindow   int64
	lastStreamID uint32
}

// proto is one request's exchange (ngx_http_grpc_ctx_t).
type proto struct {
	lc    *LocConf
	where cgiup.Where
	u     *upstream.Upstream

	// the request: preface and HEADERS frames, the body and how much of
	// it went out, control frames to send
	head []byte
	body httpd.Piece
	// stream is the client's body when it is streamed; pending what of it
	// was read and waits for the windows, streamDone that the client's
	// body ended
	stream     *httpd.BodyStream
	pending    []byte
	streamDone bool
	sent       int64
	reqPieces  []httpd.Piece
	outPieces  []httpd.Piece
	ctrl       []byte

	conn       *connState
	id         uint32
	sendWindow int64
	recvWindow int64
	// mu guards the send side (sendWindow, conn's initWindow and
	// sendWindow, outputClosed) between the response side and SendBody,
	// which streams the body on a goroutine of its own
	mu sync.Mutex

	// the response
	fp       frameParser
	col      collector
	dec      fieldDecoder
	sub      int // where in the current frame's payload
	padding  int
	length   int64
	errCode  uint32
	lastID   uint32
	pings    int
	settings int

	noBody         bool // the request has no body: HEADERS ends the stream
	outputClosed   bool
	parsingHeaders bool
	endStream      bool
	done           bool
	status         bool
	rst            bool
	goaway         bool
}

// errCreate ends the request with 500 (logged already).
var errCreate = errors.New("grpc: cannot create the request")

// errLogged is a response error whose line was logged.
var errLogged = errors.New("grpc: invalid upstream response")

// closedOutput reports whether the request stream was ended.
func (p *proto) closedOutput() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outputClosed
}

// resetStream forgets the per-attempt state (ngx_http_grpc_reinit_request).
func (p *proto) resetStream() {
	p.fp.Reset()
	p.col.reset()
	p.dec.Reset()
	p.sub, p.padding, p.sent = 0, 0, 0
	p.ctrl = nil
	p.outputClosed, p.parsingHeaders, p.endStream, p.done = false, false, false, false
	p.status, p.rst, p.goaway = false, false, false
}

// Reinit implements upstream.Reiniter.
func (p *proto) Reinit(u *upstream.Upstream) error {
	p.resetStream()
	return nil
}

// fail logs nginx's line for a response error.
func (p *proto) fail(format string, args ...any) error {
	p.u.Logf(errlog.Error, nil, format, args...)
	return errLogged
}

// Results of a payload step.
const (
	stepMore   = iota // all bytes taken, the frame goes on
	stepFrame         // the frame is complete
	stepHeader        // a header block is complete
)

// run parses frames from b (the head in ProcessHeader, the body in
// FilterBody): control frames are answered, the head's fields go to
// u.HeadersIn, DATA to u.Out, trailers to u.HeadersIn.Trailers. It
// returns how many bytes it took, and whether the response head is
// complete (it stops there). An error was logged.
func (p *proto) run(b []byte, body bool) (int, bool, error) {
	i := 0
	for {
		if !p.fp.InPayload {
			n, ok, err := p.fp.Parse(b[i:])
			i += n
			if err != nil {
				return i, false, p.fail("%s", err.Error())
			}
			if !ok {
				return i, false, nil
			}
			if err := p.checkFrame(body); err != nil {
				return i, false, err
			}
			p.sub, p.padding = 0, 0
			p.col.reset()
		}
		n, res, err := p.payload(b[i:], body)
		i += n
		if err != nil {
			return i, false, err
		}
		switch res {
		case stepMore:
			return i, false, nil
		case stepHeader:
			p.fp.Next()
			if !body {
				return i, true, nil
			}
		default:
			p.fp.Next()
		}
	}
}

// checkFrame validates a frame header against the stream's state
// (ngx_http_grpc_process_header and ngx_http_grpc_filter).
func (p *proto) checkFrame(body bool) error {
	h := &p.fp.Head
	cont := h.Type == frameContinuation
	if !body && h.Type == frameData || cont && !p.parsingHeaders || !cont && p.parsingHeaders {
		return p.fail("upstream sent unexpected http2 frame: %d", h.Type)
	}
	if body && h.Type == frameData {
		if h.StreamID != p.id {
			return p.fail("upstream sent data frame for unknown stream %d", h.StreamID)
		}
		n := int64(h.Length)
		if n > p.recvWindow {
			return p.fail("upstream violated stream flow control, received %d data frame with window %d", n, p.recvWindow)
		}
		if n > p.conn.recvWindow {
			return p.fail("upstream violated connection flow control, received %d data frame with window %d", n, p.conn.recvWindow)
		}
		p.recvWindow -= n
		p.conn.recvWindow -= n
		if p.conn.recvWindow < maxWindow/4 || p.recvWindow < maxWindow/4 {
			p.queueWindowUpdate()
		}
	}
	if h.StreamID != 0 && h.StreamID != p.id {
		return p.fail("upstream sent frame for unknown stream %d", h.StreamID)
	}
	if body && h.StreamID != 0 && p.done && h.Type != frameRSTStream && h.Type != frameWindowUpdate {
		return p.fail("upstream sent frame for closed stream %d", h.StreamID)
	}
	return nil
}

// payload handles the current frame's payload bytes in b.
func (p *proto) payload(b []byte, body bool) (int, int, error) {
	h := &p.fp.Head
	switch h.Type {
	case frameRSTStream:
		return p.rstStream(b, body)
	case frameGoaway:
		return p.goawayFrame(b)
	case frameWindowUpdate:
		return p.windowUpdate(b)
	case frameSettings:
		return p.settingsFrame(b)
	case framePing:
		return p.ping(b)
	case framePushPromise:
		return 0, 0, p.fail("upstream sent unexpected push promise frame")
	case frameHeaders, frameContinuation:
		return p.headers(b, body)
	case frameData:
		if body {
			return p.data(b)
		}
	}
	// PRIORITY and unknown frames are skipped
	return p.skip(b)
}

// skip drops the rest of the frame.
func (p *proto) skip(b []byte) (int, int, error) {
	k := min(len(b), p.fp.Rest)
	p.fp.Rest -= k
	if p.fp.Rest > 0 {
		return k, stepMore, nil
	}
	return k, stepFrame, nil
}

// fixed gathers want payload bytes of a fixed-size field.
func (p *proto) fixed(b []byte, want int) (int, bool) {
	k, full := p.col.fill(b[:min(len(b), p.fp.Rest)], want)
	p.fp.Rest -= k
	return k, full
}

func (p *proto) rstStream(b []byte, body bool) (int, int, error) {
	if p.sub == 0 {
		if p.fp.Rest != 4 {
			return 0, 0, p.fail("upstream sent rst stream frame with invalid length: %d", p.fp.Rest)
		}
		p.sub = 1
	}
	k, full := p.fixed(b, 4)
	if !full {
		return k, stepMore, nil
	}
	p.errCode = be32(p.col.buf[:4])
	if !body || p.errCode != 0 || !p.done {
		return k, 0, p.fail("upstream rejected request with error %d", p.errCode)
	}
	if p.rst {
		return k, 0, p.fail("upstream sent frame for closed stream %d", p.fp.Head.StreamID)
	}
	p.rst = true
	return k, stepFrame, nil
}

func (p *proto) goawayFrame(b []byte) (int, int, error) {
	if p.sub == 0 {
		if p.fp.Head.StreamID != 0 {
			return 0, 0, p.fail("upstream sent goaway frame with non-zero stream id: %d", p.fp.Head.StreamID)
		}
		if p.fp.Rest < 8 {
			return 0, 0, p.fail("upstream sent goaway frame with invalid length: %d", p.fp.Rest)
		}
		p.sub = 1
	}
	i := 0
	if p.sub == 1 {
		k, full := p.fixed(b, 8)
		i += k
		if !full {
			return i, stepMore, nil
		}
		p.lastID = be32(p.col.buf[:4]) & 0x7fffffff
		p.errCode = be32(p.col.buf[4:8])
		p.sub = 2
	}
	k, res, _ := p.skip(b[i:]) // debug data
	i += k
	if res == stepMore {
		return i, stepMore, nil
	}
	// a last stream id below ours: the request was not processed
	if p.lastID < p.id {
		return i, 0, p.fail("upstream sent goaway with error %d", p.errCode)
	}
	p.goaway = true
	return i, stepFrame, nil
}

func (p *proto) windowUpdate(b []byte) (int, int, error) {
	if p.sub == 0 {
		if p.fp.Rest != 4 {
			return 0, 0, p.fail("upstream sent window update frame with invalid length: %d", p.fp.Rest)
		}
		p.sub = 1
	}
	k, full := p.fixed(b, 4)
	if !full {
		return k, stepMore, nil
	}
	inc := int64(be32(p.col.buf[:4]) & 0x7fffffff)
	p.mu.Lock()
	w := &p.conn.sendWindow
	if p.fp.Head.StreamID != 0 {
		w = &p.sendWindow
	}
	tooLarge := inc > maxWindow-*w
	if !tooLarge {
		*w += inc
	}
	p.mu.Unlock()
	if tooLarge {
		return k, 0, p.fail("upstream sent too large window update")
	}
	if p.stream != nil {
		p.u.WakeSender()
	}
	return k, stepFrame, nil
}

func (p *proto) settingsFrame(b []byte) (int, int, error) {
	h := &p.fp.Head
	if p.sub == 0 {
		if h.StreamID != 0 {
			return 0, 0, p.fail("upstream sent settings frame with non-zero stream id: %d", h.StreamID)
		}
		if h.Flags&flagAck != 0 {
			if p.fp.Rest != 0 {
				return 0, 0, p.fail("upstream sent settings frame with ack flag and non-zero length: %d", p.fp.Rest)
			}
			return 0, stepFrame, nil
		}
		if p.fp.Rest%6 != 0 {
			return 0, 0, p.fail("upstream sent settings frame with invalid length: %d", p.fp.Rest)
		}
		if p.settings++; p.settings > 1001 {
			return 0, 0, p.fail("upstream sent too many settings frames")
		}
		p.sub = 1
	}
	i := 0
	for p.fp.Rest > 0 {
		k, full := p.fixed(b[i:], 6)
		i += k
		if !full {
			return i, stepMore, nil
		}
		id := int(p.col.buf[0])<<8 | int(p.col.buf[1])
		v := int64(be32(p.col.buf[2:6]))
		p.col.reset()
		if id != settingInitialWindowSize {
			continue
		}
		if v > maxWindow {
			return i, 0, p.fail("upstream sent settings frame with too large initial window size: %d", v)
		}
		p.mu.Lock()
		delta := v - p.conn.initWindow
		p.conn.initWindow = v
		tooLarge := p.sendWindow > 0 && delta > maxWindow-p.sendWindow
		if !tooLarge {
			p.sendWindow += delta
		}
		p.mu.Unlock()
		if tooLarge {
			return i, 0, p.fail("upstream sent settings frame with too large initial window size: %d", v)
		}
		if p.stream != nil {
			p.u.WakeSender()
		}
	}
	p.ctrl = appendFrameHeader(p.ctrl, 0, frameSettings, flagAck, 0)
	return i, stepFrame, nil
}

func (p *proto) ping(b []byte) (int, int, error) {
	h := &p.fp.Head
	if p.sub == 0 {
		switch {
		case h.StreamID != 0:
			return 0, 0, p.fail("upstream sent ping frame with non-zero stream id: %d", h.StreamID)
		case p.fp.Rest != 8:
			return 0, 0, p.fail("upstream sent ping frame with invalid length: %d", p.fp.Rest)
		case h.Flags&flagAck != 0:
			return 0, 0, p.fail("upstream sent ping frame with ack flag")
		}
		if p.pings++; p.pings > 1001 {
			return 0, 0, p.fail("upstream sent too many ping frames")
		}
		p.sub = 1
	}
	k, full := p.fixed(b, 8)
	if !full {
		return k, stepMore, nil
	}
	p.ctrl = appendFrameHeader(p.ctrl, 8, framePing, flagAck, 0)
	p.ctrl = append(p.ctrl, p.col.buf[:8]...)
	return k, stepFrame, nil
}

// queueWindowUpdate opens both receive windows back to 2^31-1
// (ngx_http_grpc_send_window_update).
func (p *proto) queueWindowUpdate() {
	n := maxWindow - p.conn.recvWindow
	p.conn.recvWindow = maxWindow
	p.ctrl = appendFrameHeader(p.ctrl, 4, frameWindowUpdate, 0, 0)
	p.ctrl = append(p.ctrl, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	n = maxWindow - p.recvWindow
	p.recvWindow = maxWindow
	p.ctrl = appendFrameHeader(p.ctrl, 4, frameWindowUpdate, 0, p.id)
	p.ctrl = append(p.ctrl, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// Sub-states of HEADERS and CONTINUATION payloads.
const (
	hdrStart = iota
	hdrPrefix
	hdrFragment
	hdrPadding
)

// headers decodes a header block frame (ngx_http_grpc_parse_header): the
// response head, or trailers in the body.
func (p *proto) headers(b []byte, body bool) (int, int, error) {
	n, res, err := p.headerBlock(b, body)
	if err != nil && !errors.Is(err, errLogged) {
		// the header parser's own line, then the caller's
		p.u.Logf(errlog.Error, nil, "%s", err.Error())
		if body {
			err = p.fail("upstream sent invalid trailer")
		} else {
			err = p.fail("upstream sent invalid header")
		}
	}
	return n, res, err
}

func (p *proto) headerBlock(b []byte, body bool) (int, int, error) {
	h := &p.fp.Head
	i := 0
	if p.sub == hdrStart {
		if h.Type == frameHeaders {
			p.parsingHeaders = true
			p.dec.Reset()
			need := 0
			if h.Flags&flagPadded != 0 {
				need++
			}
			if h.Flags&flagPriority != 0 {
				need += 5
			}
			if p.fp.Rest < need {
				return 0, 0, fmt.Errorf("upstream sent headers frame with invalid length: %d", p.fp.Rest)
			}
			if h.Flags&flagEndStream != 0 {
				p.endStream = true
			}
			p.sub = hdrPrefix
		} else {
			p.sub = hdrFragment
		}
	}
	if p.sub == hdrPrefix {
		need := 0
		if h.Flags&flagPadded != 0 {
			need++
		}
		if h.Flags&flagPriority != 0 {
			need += 5
		}
		k, full := p.fixed(b, need)
		i += k
		if !full {
			return i, stepMore, nil
		}
		if h.Flags&flagPadded != 0 {
			p.padding = int(p.col.buf[0])
		}
		if p.padding > p.fp.Rest {
			return i, 0, fmt.Errorf("upstream sent http2 frame with too long padding: %d in frame %d", p.padding, p.fp.Rest)
		}
		p.sub = hdrFragment
	}
	if p.sub == hdrFragment {
		k := min(len(b)-i, p.fp.Rest-p.padding)
		emit := p.headField
		if body {
			emit = p.trailerField
		}
		if err := p.dec.Write(b[i:i+k], emit); err != nil {
			return i, 0, err
		}
		i += k
		p.fp.Rest -= k
		if p.fp.Rest > p.padding {
			return i, stepMore, nil
		}
		p.sub = hdrPadding
	}
	k, res, _ := p.skip(b[i:])
	i += k
	if res == stepMore {
		return i, stepMore, nil
	}
	if h.Flags&flagEndHeaders == 0 {
		return i, stepFrame, nil
	}
	if p.dec.Pending() {
		return i, 0, fmt.Errorf("upstream sent truncated http2 header")
	}
	p.parsingHeaders = false
	if body {
		if !p.endStream {
			return i, 0, p.fail("upstream sent trailer without end stream flag")
		}
		p.done = true
	}
	return i, stepHeader, nil
}

// headField takes one field of the response head.
func (p *proto) headField(name, value string) error {
	u := p.u
	if name != "" && name[0] == ':' {
		if name != ":status" {
			return p.fail("upstream sent invalid header \"%s: %s\"", name, value)
		}
		if p.status {
			return p.fail("upstream sent duplicate :status header")
		}
		if len(value) != 3 || !digits(value) {
			return p.fail("upstream sent invalid :status \"%s\"", value)
		}
		st := int(value[0]-'0')*100 + int(value[1]-'0')*10 + int(value[2]-'0')
		if st < 200 {
			return p.fail("upstream sent unexpected :status \"%s\"", value)
		}
		u.HeadersIn.StatusN = st
		p.status = true
		return nil
	}
	if !p.status {
		return p.fail("upstream sent no :status header")
	}
	if name == "" {
		// a Huffman-coded empty name: nginx keeps it with hash 0, which
		// its header filters never output
		return nil
	}
	if !u.AddHeader(name, value) {
		return errLogged
	}
	return nil
}

// trailerField takes one trailer field.
func (p *proto) trailerField(name, value string) error {
	if name != "" && name[0] == ':' {
		return p.fail("upstream sent invalid trailer \"%s: %s\"", name, value)
	}
	if name == "" {
		return nil // as in the head
	}
	p.u.HeadersIn.Trailers = append(p.u.HeadersIn.Trailers, httpd.Header{Key: name, Value: value})
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Sub-states of DATA payloads.
const (
	dataStart = iota
	dataBytes
	dataPadding
)

// data passes a DATA frame's bytes on as body pieces.
func (p *proto) data(b []byte) (int, int, error) {
	h := &p.fp.Head
	i := 0
	if p.sub == dataStart {
		if h.Flags&flagPadded != 0 {
			if p.fp.Rest == 0 {
				return 0, 0, p.fail("upstream sent too short http2 frame")
			}
			if len(b) == 0 {
				return 0, stepMore, nil
			}
			p.padding = int(b[0])
			i++
			p.fp.Rest--
			if p.padding > p.fp.Rest {
				return i, 0, p.fail("upstream sent http2 frame with too long padding: %d in frame %d", p.padding, p.fp.Rest)
			}
		}
		p.sub = dataBytes
	}
	if p.sub == dataBytes {
		k := min(len(b)-i, p.fp.Rest-p.padding)
		if k > 0 {
			if p.length != -1 {
				if int64(k) > p.length {
					return i, 0, p.fail("upstream sent response body larger than indicated content length")
				}
				p.length -= int64(k)
			}
			p.u.Out = append(p.u.Out, b[i:i+k])
			i += k
			p.fp.Rest -= k
		}
		if p.fp.Rest > p.padding {
			return i, stepMore, nil
		}
		p.sub = dataPadding
	}
	k, res, _ := p.skip(b[i:])
	i += k
	if res == stepMore {
		return i, stepMore, nil
	}
	if h.Flags&flagEndStream != 0 {
		p.done = true
	}
	return i, stepFrame, nil
}

// ProcessHeader parses frames until the response head is complete
// (ngx_http_grpc_process_header).
func (p *proto) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	p.u = u
	n, head, err := p.run(u.Buffer[u.Pos:u.Last], false)
	u.Pos += n
	if err != nil {
		return upstream.Invalid
	}
	if head {
		if p.endStream {
			u.HeadersIn.ContentLengthN = 0
		}
		return upstream.HeaderDone
	}
	if !p.parsingHeaders && !p.fp.InPayload {
		// control frames may keep coming: the buffer starts over
		// between them
		u.Pos, u.Last = 0, 0
	}
	return upstream.NeedMore
}

// InitBody implements upstream.BodyFilter (ngx_http_grpc_filter_init).
func (p *proto) InitBody(u *upstream.Upstream) error {
	p.u = u
	u.Buffering = false // nginx's grpc never buffers the response
	if s := u.HeadersIn.StatusN; s == 204 || s == 304 || u.R.MethodBit == httpd.MethodHEAD {
		p.length = 0
	} else {
		p.length = u.HeadersIn.ContentLengthN
	}
	if !p.endStream {
		u.Length = 1 // not known: the stream's end says
		return nil
	}
	if p.length > 0 {
		return p.fail("upstream prematurely closed stream")
	}
	u.Length = 0
	p.done = true
	u.Keepalive = p.closedOutput() && !p.goaway && u.Pos == u.Last
	return nil
}

// FilterBody implements upstream.BodyFilter (ngx_http_grpc_filter).
func (p *proto) FilterBody(u *upstream.Upstream, raw []byte) error {
	p.u = u
	if _, _, err := p.run(raw, true); err != nil {
		return err
	}
	if !p.done || p.fp.InPayload {
		return nil
	}
	if p.length > 0 {
		return p.fail("upstream prematurely closed stream")
	}
	u.Length = 0
	u.Keepalive = p.closedOutput() && !p.goaway && p.fp.n == 0
	return nil
}
