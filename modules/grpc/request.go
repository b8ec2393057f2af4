package grpc

import (
	"errors"
	"io"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// The request (ngx_http_grpc_create_request and
// ngx_http_grpc_body_output_filter): the connection preface, one HEADERS
// frame (CONTINUATION frames past 16 KiB) encoded as nginx encodes it,
// then the body as DATA frames of at most 16 KiB, as far as the peer's
// flow-control windows allow; the last frame carries END_STREAM (an empty
// DATA frame when the body is empty, as nginx sends it: the request body is
// always "unbuffered" for nginx's grpc, so the HEADERS frame never ends the
// stream).

// appendHead appends the preface and the HEADERS (+CONTINUATION) frames
// for stream 1 to dst.
func (p *proto) appendHead(dst []byte, u *upstream.Upstream) ([]byte, bool) {
	r := u.R
	lc := p.lc
	dst = append(dst, preface...)
	start := len(dst)
	dst = appendFrameHeader(dst, 0, frameHeaders, 0, 1)
	block := len(dst)

	switch r.MethodBit {
	case httpd.MethodGET:
		dst = append(dst, 0x80|idxMethodGET)
	case httpd.MethodPOST:
		dst = append(dst, 0x80|idxMethodPOS)
	default:
		dst = appendIncIndexed(dst, idxMethod, r.Method)
	}
	if p.where.TLS {
		dst = append(dst, 0x80|idxSchemeTLS)
	} else {
		dst = append(dst, 0x80|idxSchemeHTP)
	}
	switch {
	case r.ValidUnparsedURI && r.UnparsedURI == "/":
		dst = append(dst, 0x80|idxPathRoot)
	case r.ValidUnparsedURI:
		dst = appendIncIndexed(dst, idxPath, r.UnparsedURI)
	default:
		path := make([]byte, 0, len(r.URI)+1+len(r.Args)+16)
		path = http1.Escape(path, []byte(r.URI), http1.EscapeURI)
		if r.Args != "" {
			path = append(path, '?')
			path = append(path, r.Args...)
		}
		dst = appendIncIndexed(dst, idxPath, string(path))
	}
	if !lc.headers.hostSet {
		dst = appendIncIndexed(dst, idxAuthority, p.where.Authority)
	}
	for i := range lc.headers.lines {
		l := &lc.headers.lines[i]
		v := l.value.Eval(r)
		if v == "" {
			continue
		}
		dst = appendLiteral(dst, l.key, v)
	}
	if lc.U.PassRequestHeaders.Get() {
		for i := range r.In.List {
			h := &r.In.List[i]
			if h.Deleted || lc.headers.listed(h.Key) {
				continue
			}
			dst = appendLiteral(dst, h.Key, h.Value)
		}
	}
	// split the block into frames of 16 KiB: HEADERS, then CONTINUATION
	n := len(dst) - block
	first := min(n, defaultFrameSize)
	rest := dst[block+first:]
	if len(rest) == 0 {
		putLength(dst[start:], first)
		dst[start+4] = flagEndHeaders
		return dst, true
	}
	tail := append([]byte(nil), rest...)
	dst = dst[:block+first]
	putLength(dst[start:], first)
	for len(tail) > 0 {
		k := min(len(tail), defaultFrameSize)
		flags := byte(0)
		if k == len(tail) {
			flags = flagEndHeaders
		}
		dst = appendFrameHeader(dst, k, frameContinuation, flags, 1)
		dst = append(dst, tail[:k]...)
		tail = tail[k:]
	}
	return dst, true
}

func putLength(b []byte, n int) {
	b[0], b[1], b[2] = byte(n>>16), byte(n>>8), byte(n)
}

// CreateRequest builds the preface and the HEADERS frames; the body's DATA
// frames are made once the connection, and so the windows, are known
// (Connected).
func (p *proto) CreateRequest(u *upstream.Upstream) error {
	u.Schema, u.TLS, u.TLSName = p.where.Schema, p.where.TLS, p.where.Host
	head, ok := p.appendHead(p.head[:0], u)
	p.head = head
	if !ok {
		return errCreate
	}
	r := u.R
	// a request without a body ends the stream with its HEADERS frame
	// (nginx's request_body_no_buffering is off for it); one with
	// Content-Length: 0 or chunked ends it with an empty DATA frame
	p.noBody = r.In.ContentLengthN < 0 && !r.In.Chunked
	p.body = httpd.Piece{}
	if p.stream != nil {
		u.RequestBodyNoBuffering = true
	} else if r.Body != nil && lcPassBody(p) {
		if r.Body.File != nil {
			p.body = httpd.Piece{File: r.Body.File, N: r.Body.Size}
		} else {
			p.body = httpd.Piece{Data: r.Body.Data, N: int64(len(r.Body.Data))}
		}
	}
	return nil
}

func lcPassBody(p *proto) bool { return p.lc.U.PassRequestBody.Get() }

// Connected fits the request to the connection
// (ngx_http_grpc_get_connection_data and the start of the output filter):
// a new connection gets the preface and stream 1, a kept-alive one the
// next odd stream id and no preface; then the DATA frames the windows
// allow.
func (p *proto) Connected(u *upstream.Upstream) error {
	slot := u.ConnData()
	p.resetStream()
	head := p.head
	if u.ConnCached() {
		cs, ok := (*slot).(*connState)
		if !ok {
			u.Logf(errlog.Error, nil, "no connection data found for keepalive http2 connection")
			return errCreate
		}
		cs.lastStreamID += 2
		p.conn, p.id = cs, cs.lastStreamID
		p.sendWindow = int64(cs.initWindow)
		head = head[len(preface):]
	} else {
		cs := &connState{initWindow: defaultWindow, sendWindow: defaultWindow, recvWindow: maxWindow, lastStreamID: 1}
		*slot = cs
		p.conn, p.id = cs, 1
		p.sendWindow = defaultWindow
	}
	p.recvWindow = maxWindow
	for b := p.head[len(preface):]; len(b) >= frameHeaderSize; {
		putStreamID(b, p.id)
		b = b[frameHeaderSize+(int(b[0])<<16|int(b[1])<<8|int(b[2])):]
	}
	if p.noBody {
		p.head[len(preface)+4] |= flagEndStream
		p.outputClosed = true
	}
	pieces := append(p.reqPieces[:0], httpd.Piece{Data: head})
	if p.stream == nil {
		pieces = p.appendData(pieces)
	}
	p.reqPieces = pieces
	u.Request.Pieces = pieces
	return nil
}

// appendData appends the DATA frames the windows allow now
// (ngx_http_grpc_body_output_filter), the last one with END_STREAM once
// the body is all out.
func (p *proto) appendData(dst []httpd.Piece) []httpd.Piece {
	if p.outputClosed {
		return dst
	}
	limit := max(0, min(p.sendWindow, p.conn.sendWindow))
	left := p.body.N - p.sent
	// the frame headers, in a buffer of their own that later appends do
	// not move
	n := min(left, limit)
	hdrs := make([]byte, 0, frameHeaderSize*int(1+(n+defaultFrameSize-1)/defaultFrameSize))
	for left > 0 && limit > 0 {
		k := min(left, limit, defaultFrameSize)
		flags := byte(0)
		if k == left {
			flags = flagEndStream
		}
		at := len(hdrs)
		hdrs = appendFrameHeader(hdrs, int(k), frameData, flags, p.id)
		dst = append(dst, httpd.Piece{Data: hdrs[at:len(hdrs):len(hdrs)]})
		if p.body.File != nil {
			dst = append(dst, httpd.Piece{File: p.body.File, Off: p.body.Off + p.sent, N: k})
		} else {
			dst = append(dst, httpd.Piece{Data: p.body.Data[p.sent : p.sent+k]})
		}
		p.sent += k
		left -= k
		limit -= k
		p.sendWindow -= k
		p.conn.sendWindow -= k
		if flags != 0 {
			p.outputClosed = true
		}
	}
	if left == 0 && !p.outputClosed {
		// an empty body: an empty DATA frame ends the stream
		hdrs = appendFrameHeader(hdrs, 0, frameData, flagEndStream, p.id)
		dst = append(dst, httpd.Piece{Data: hdrs[len(hdrs)-frameHeaderSize:]})
		p.outputClosed = true
	}
	return dst
}

// Outgoing returns the control frames queued while parsing, then the DATA
// frames the windows now allow of a buffered body (a streamed one goes
// out from SendBody, which the window updates wake).
func (p *proto) Outgoing(u *upstream.Upstream) ([]httpd.Piece, error) {
	out := p.outPieces[:0]
	if len(p.ctrl) > 0 {
		out = append(out, httpd.Piece{Data: p.ctrl})
		p.ctrl = nil
	}
	if p.stream == nil && !p.outputClosed {
		out = p.appendData(out)
	}
	p.outPieces = out
	return out, nil
}

// SendBody implements upstream.BodySender (ngx_http_grpc_body_output_filter
// with request_body_no_buffering): the client's body is framed as DATA as
// it arrives, what arrived together going out together, as far as the
// windows allow; the last frame carries END_STREAM (an empty DATA frame
// when the end comes alone). When the windows are closed it waits for the
// response side's WINDOW_UPDATE or SETTINGS (upstream.WaitSendable).
func (p *proto) SendBody(u *upstream.Upstream) error {
	for {
		if len(p.pending) == 0 && !p.streamDone {
			b, err := p.stream.Read()
			if err == io.EOF {
				p.streamDone = true
				continue
			}
			if err != nil {
				return err
			}
			// a copy of its own: frames are cut from it
			data, last, err := p.stream.AppendReady(append([]byte(nil), b...))
			if err != nil {
				return err
			}
			p.pending, p.streamDone = data, last
			continue
		}
		hdr, data, ok, closed := p.nextFrame()
		if closed {
			return nil
		}
		if !ok {
			if !u.WaitSendable() {
				return errStopped
			}
			continue
		}
		if err := u.WriteBody(hdr, data); err != nil {
			return err
		}
	}
}

// errStopped ends SendBody when the exchange ended first.
var errStopped = errors.New("grpc: request body stopped")

// nextFrame cuts the next DATA frame of the streamed body within the
// windows: ok is false when they are closed, closed true when the stream
// was ended already.
func (p *proto) nextFrame() (hdr, data []byte, ok, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outputClosed {
		return nil, nil, false, true
	}
	if len(p.pending) == 0 {
		p.outputClosed = true
		return appendFrameHeader(nil, 0, frameData, flagEndStream, p.id), nil, true, false
	}
	limit := min(p.sendWindow, p.conn.sendWindow)
	if limit <= 0 {
		return nil, nil, false, false
	}
	k := int(min(int64(len(p.pending)), limit, defaultFrameSize))
	flags := byte(0)
	if k == len(p.pending) && p.streamDone {
		flags = flagEndStream
		p.outputClosed = true
	}
	data = p.pending[:k]
	p.pending = p.pending[k:]
	p.sendWindow -= int64(k)
	p.conn.sendWindow -= int64(k)
	return appendFrameHeader(nil, k, frameData, flags, p.id), data, true, false
}
