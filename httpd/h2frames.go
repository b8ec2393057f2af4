package httpd

import (
	"strconv"
	"time"

	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/buf"
)

// frame handles one frame read from the client (the ngx_http_v2_state_*
// handlers); false ends the connection.
func (h *h2conn) frame(fh http2.FrameHeader, p []byte) bool {
	if h.contID != 0 && fh.Type != http2.FrameContinuation {
		h.logf("client sent inappropriate frame while CONTINUATION was expected")
		return h.connError(http2.ProtocolError)
	}
	switch fh.Type {
	case http2.FrameData:
		return h.data(fh, p)
	case http2.FrameHeaders:
		return h.headers(fh, p)
	case http2.FrameContinuation:
		if h.contID == 0 {
			h.logf("client sent unexpected CONTINUATION frame")
			return h.connError(http2.ProtocolError)
		}
		if fh.StreamID != h.contID {
			h.logf("client sent CONTINUATION frame with incorrect identifier")
			return h.connError(http2.ProtocolError)
		}
		h.block = append(h.block, p...)
		if len(h.block) > h.headerBlockLimit() {
			h.logf("client sent too large header")
			return h.connError(http2.EnhanceYourCalm)
		}
		if fh.Flags&http2.FlagEndHeaders != 0 {
			id := h.contID
			h.contID = 0
			return h.headerBlock(id, h.contFlags)
		}
		return true
	case http2.FramePriority:
		if fh.Length != 5 {
			h.logf("client sent PRIORITY frame with incorrect length %d", fh.Length)
			return h.connError(http2.FrameSizeError)
		}
		// nginx counts PRIORITY frames against a budget that each new
		// stream raises (priority_limit)
		if h.priorityLimit--; h.priorityLimit == 0 {
			h.logf("client sent too many PRIORITY frames")
			return h.connError(http2.EnhanceYourCalm)
		}
		if fh.StreamID == 0 {
			h.logf("client sent PRIORITY frame with incorrect identifier")
			return h.connError(http2.ProtocolError)
		}
		if dep := uint32(p[0]&0x7f)<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3]); dep == fh.StreamID {
			h.logf("client sent PRIORITY frame for stream %d with incorrect dependency", fh.StreamID)
			return h.connError(http2.ProtocolError)
		}
		return true
	case http2.FrameRSTStream:
		if fh.Length != 4 {
			h.logf("client sent RST_STREAM frame with incorrect length %d", fh.Length)
			return h.connError(http2.FrameSizeError)
		}
		if fh.StreamID == 0 {
			h.logf("client sent RST_STREAM frame with incorrect identifier")
			return h.connError(http2.ProtocolError)
		}
		h.mu.Lock()
		st := h.streams[fh.StreamID]
		if st != nil {
			st.rst, st.remoteClosed = true, true
			h.cond.Broadcast()
		}
		h.mu.Unlock()
		if st != nil {
			st.hangUp()
			switch code := http2.RSTCode(p); code {
			case http2.Cancel:
				h.logf("client canceled stream %d", fh.StreamID)
			case http2.InternalError:
				h.logf("client terminated stream %d due to internal error", fh.StreamID)
			default:
				h.logf("client terminated stream %d with status %d", fh.StreamID, code)
			}
			st.wakeReader()
		}
		return true
	case http2.FrameSettings:
		return h.settings(fh, p)
	case http2.FramePushPromise:
		h.logf("client sent PUSH_PROMISE frame")
		return h.connError(http2.ProtocolError)
	case http2.FramePing:
		if fh.Length != 8 {
			h.logf("client sent PING frame with incorrect length %d", fh.Length)
			return h.connError(http2.FrameSizeError)
		}
		if fh.StreamID != 0 {
			h.logf("client sent PING frame with incorrect identifier")
			return h.connError(http2.ProtocolError)
		}
		if fh.Flags&http2.FlagAck == 0 {
			return h.send(http2.AppendPingAck(nil, p))
		}
		return true
	case http2.FrameGoAway:
		if fh.Length < 8 {
			h.logf("client sent GOAWAY frame with incorrect length %d", fh.Length)
			return h.connError(http2.FrameSizeError)
		}
		if fh.StreamID != 0 {
			h.logf("client sent GOAWAY frame with incorrect identifier")
			return h.connError(http2.ProtocolError)
		}
		h.mu.Lock()
		h.goaway = true
		h.mu.Unlock()
		return true
	case http2.FrameWindowUpdate:
		return h.windowUpdate(fh, p)
	}
	return true
}

func (h *h2conn) settings(fh http2.FrameHeader, p []byte) bool {
	if fh.StreamID != 0 {
		h.logf("client sent SETTINGS frame with incorrect identifier")
		return h.connError(http2.ProtocolError)
	}
	if fh.Flags&http2.FlagAck != 0 {
		if fh.Length != 0 {
			h.logf("client sent SETTINGS frame with the ACK flag and nonzero length")
			return h.connError(http2.FrameSizeError)
		}
		h.mu.Lock()
		h.settingsAck = true
		h.mu.Unlock()
		return true
	}
	if fh.Length%6 != 0 || p == nil && fh.Length > 0 {
		// (a SETTINGS frame larger than the read buffer is not read: see
		// bigFrame)
		h.logf("client sent SETTINGS frame with incorrect length %d", fh.Length)
		return h.connError(http2.FrameSizeError)
	}
	var table bool
	h.mu.Lock()
	err := http2.ParseSettings(p, func(s http2.Setting) {
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - h.initWindow
			h.initWindow = int64(s.Val)
			for _, st := range h.streams {
				st.sendWindow += delta
			}
		case http2.SettingMaxFrameSize:
			h.maxFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			table = true
		}
	})
	h.cond.Broadcast()
	h.mu.Unlock()
	if err != nil {
		h.logf("%s", err.Error())
		return h.connError(err.(*http2.SettingsErr).Code)
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if table {
		// the next response block starts with a table size update to
		// 0, as nginx's does (the encoder refers to no dynamic entry)
		h.tableUpdate = true
	}
	return h.sendLocked(http2.AppendSettingsAck(nil))
}

func (h *h2conn) windowUpdate(fh http2.FrameHeader, p []byte) bool {
	if fh.Length != 4 {
		h.logf("client sent WINDOW_UPDATE frame with incorrect length %d", fh.Length)
		return h.connError(http2.FrameSizeError)
	}
	inc := int64(http2.WindowIncrement(p))
	h.mu.Lock()
	defer h.mu.Unlock()
	if fh.StreamID == 0 {
		if inc == 0 {
			h.logf("client sent WINDOW_UPDATE frame with incorrect window increment 0")
			h.mu.Unlock()
			defer h.mu.Lock()
			return h.connError(http2.ProtocolError)
		}
		if h.sendWindow+inc > http2.MaxWindow {
			h.logf("client violated connection flow control: received WINDOW_UPDATE frame with window increment %d not allowed for window %d", inc, h.sendWindow)
			h.mu.Unlock()
			defer h.mu.Lock()
			return h.connError(http2.FlowControlError)
		}
		h.sendWindow += inc
		h.cond.Broadcast()
		return true
	}
	st := h.streams[fh.StreamID]
	if st == nil {
		return true
	}
	if inc == 0 || st.sendWindow+inc > http2.MaxWindow {
		code := http2.FlowControlError
		if inc == 0 {
			h.logf("client sent WINDOW_UPDATE frame for stream %d with incorrect window increment 0", fh.StreamID)
			code = http2.ProtocolError
		} else {
			h.logf("client violated flow control for stream %d: received WINDOW_UPDATE frame with window increment %d not allowed for window %d", fh.StreamID, inc, st.sendWindow)
		}
		st.rst, st.rstSent = true, true
		h.cond.Broadcast()
		h.mu.Unlock()
		h.rst(fh.StreamID, code)
		st.wakeReader()
		h.mu.Lock()
		return true
	}
	st.sendWindow += inc
	h.cond.Broadcast()
	return true
}

func (h *h2conn) data(fh http2.FrameHeader, p []byte) bool {
	// p is nil when the payload is too large to be read (bigFrame): the
	// frame then fails a check below, or is skipped
	size := int64(fh.Length)
	if fh.Flags&http2.FlagPadded != 0 && p != nil {
		if size == 0 {
			h.logf("client sent padded DATA frame with incorrect length: 0")
			return h.connError(http2.FrameSizeError)
		}
		if int64(p[0]) >= size {
			h.logf("client sent padded DATA frame with incorrect length: %d, padding: %d", size, p[0])
			return h.connError(http2.ProtocolError)
		}
	}
	if fh.StreamID == 0 {
		h.logf("client sent DATA frame with incorrect identifier")
		return h.connError(http2.ProtocolError)
	}
	h.mu.Lock()
	if size > h.recvWindow {
		h.mu.Unlock()
		h.logf("client violated connection flow control: received DATA frame length %d, available window %d", size, h.recvWindow)
		return h.connError(http2.FlowControlError)
	}
	h.recvWindow -= size
	var update int64
	if h.recvWindow < http2.MaxWindow/4 {
		update = http2.MaxWindow - h.recvWindow
		h.recvWindow = http2.MaxWindow
	}
	h.mu.Unlock()
	if update > 0 && !h.send(http2.AppendWindowUpdate(nil, 0, uint32(update))) {
		return false
	}
	h.mu.Lock()
	st := h.streams[fh.StreamID]
	if st == nil || st.rst {
		// an unknown or closed stream's data is skipped, as nginx's
		// ngx_http_v2_state_data does
		h.mu.Unlock()
		return true
	}
	if size > st.recvWindow || p == nil {
		h.mu.Unlock()
		h.logf("client violated flow control for stream %d: received DATA frame length %d, available window %d", fh.StreamID, size, st.recvWindow)
		h.resetStream(st, http2.FlowControlError)
		return true
	}
	if st.remoteClosed {
		h.mu.Unlock()
		h.logf("client sent DATA frame for half-closed stream %d", fh.StreamID)
		h.resetStream(st, http2.StreamClosed)
		return true
	}
	data, _ := http2.Unpad(fh.Flags, p) // its padding checked above
	end := fh.Flags&http2.FlagEndStream != 0
	if st.declared >= 0 && st.received+int64(len(data)) > st.declared {
		st.bodyErr, st.bodyErrNow = "client intended to send body data larger than declared", true
		st.inEnd = true
	} else if end && st.declared >= 0 && st.received+int64(len(data)) < st.declared {
		st.bodyErr = "client prematurely closed stream: only " + strconv.FormatInt(st.received+int64(len(data)), 10) +
			" out of " + strconv.FormatInt(st.declared, 10) + " bytes of request body received"
	}
	st.recvWindow -= size
	// the padding is given back at once, the data as it is read
	st.credit += size - int64(len(data))
	st.received += int64(len(data))
	st.push(data, end)
	if end {
		st.remoteClosed = true
	}
	h.mu.Unlock()
	st.wakeReader()
	return true
}

// resetStream resets a stream on an error of the client's.
func (h *h2conn) resetStream(st *h2stream, code http2.ErrCode) {
	h.mu.Lock()
	st.rst, st.rstSent, st.remoteClosed = true, true, true
	h.cond.Broadcast()
	h.mu.Unlock()
	h.rst(st.id, code)
	st.wakeReader()
}

func (h *h2conn) headers(fh http2.FrameHeader, p []byte) bool {
	size := 0
	if fh.Flags&http2.FlagPadded != 0 {
		size++
	}
	if fh.Flags&http2.FlagPriority != 0 {
		size += 5
	}
	if len(p) < size {
		h.logf("client sent HEADERS frame with incorrect length %d", len(p))
		return h.connError(http2.FrameSizeError)
	}
	if len(p) == size {
		h.logf("client sent HEADERS frame with empty header block")
		return h.connError(http2.FrameSizeError)
	}
	frag := p
	if fh.Flags&http2.FlagPadded != 0 {
		pad := int(p[0])
		if pad > len(p)-size {
			h.logf("client sent padded HEADERS frame with incorrect length: %d, padding: %d", len(p)-size, pad)
			return h.connError(http2.ProtocolError)
		}
		frag = p[1 : len(p)-pad]
	}
	if fh.Flags&http2.FlagPriority != 0 {
		dep := (uint32(frag[0])<<24 | uint32(frag[1])<<16 | uint32(frag[2])<<8 | uint32(frag[3])) & 0x7fffffff
		if dep == fh.StreamID {
			h.logf("client sent HEADERS frame for stream %d with incorrect dependency", fh.StreamID)
			return h.connError(http2.ProtocolError)
		}
		frag = frag[5:]
	}
	if fh.StreamID%2 == 0 || fh.StreamID <= h.lastID {
		h.logf("client sent HEADERS frame with incorrect identifier %d, the last was %d", fh.StreamID, h.lastID)
		return h.connError(http2.ProtocolError)
	}
	h.mu.Lock()
	h.lastID = fh.StreamID
	h.mu.Unlock()
	h.block = append(h.block[:0], frag...)
	if fh.Flags&http2.FlagEndHeaders == 0 {
		h.contID, h.contFlags = fh.StreamID, fh.Flags
		return true
	}
	return h.headerBlock(fh.StreamID, fh.Flags)
}

// headerBlock decodes a complete header block and starts its stream.
func (h *h2conn) headerBlock(id uint32, flags uint8) bool {
	h.fields, h.fieldsSize, h.tooLarge = h.fields[:0], 0, false
	// a string padded with a whole byte of ones decodes, as with nginx
	_, err := h.dec.Write(http2.TrimHuffmanPadding(h.block))
	if err == nil {
		err = h.dec.Close()
	}
	if h.tooLarge {
		h.logf("client sent too large header")
		return h.connError(http2.EnhanceYourCalm)
	}
	if err != nil {
		text, code := http2.HPACKError(err)
		h.logf("%s", text)
		return h.connError(code)
	}
	h.mu.Lock()
	if h.goaway || h.closed || id == h.deadID {
		h.mu.Unlock()
		return true
	}
	if n := len(h.streams); n >= h.srv.MaxConcurrentStreams.Get() {
		h.mu.Unlock()
		h.logf("concurrent streams exceeded %d", n)
		h.rst(id, http2.RefusedStream)
		return true
	}
	end := flags&http2.FlagEndStream != 0
	if !h.settingsAck && !end && h.srv.BodyPrereadSize.Get() < http2.DefaultWindow {
		h.mu.Unlock()
		h.logf("client sent stream with data before settings were acknowledged")
		h.rst(id, http2.RefusedStream)
		return true
	}
	h.priorityLimit += h.srv.MaxConcurrentStreams.Get()
	st := &h2stream{h: h, id: id, sendWindow: h.initWindow, recvWindow: h.srv.BodyPrereadSize.Get(),
		remoteClosed: end, wake: make(chan struct{}, 1), headLen: int64(len(h.block))}
	if end {
		st.inEnd = true
	}
	st.declared = -1
	for _, f := range h.fields {
		if f.Name == "content-length" {
			if n, ok := parseOffset(f.Value); ok {
				st.declared = n
			}
			st.hasLength = true
		}
	}
	// a body without content-length is framed as chunked, as nginx
	// marks such a request chunked
	st.chunked = !end && !st.hasLength
	h.streams[id] = st
	h.wg.Add(1)
	h.requests++
	st.number = h.requests
	// keepalive_requests and keepalive_time end the connection after
	// this stream (ngx_http_v2_state_headers)
	last := int64(h.requests) >= int64(h.cl.KeepaliveRequests.Get()) ||
		time.Since(h.c.start) > h.cl.KeepaliveTime.Get()
	if last {
		h.goaway = true
	}
	h.mu.Unlock()
	if last {
		h.send(http2.AppendGoAway(nil, id, http2.NoError))
	}
	fields := make([]http2.Field, len(h.fields))
	copy(fields, h.fields)
	go st.serve(fields)
	return true
}

// headerBlockLimit bounds a header block as it is received: the header
// limit (large_client_header_buffers) and a frame's worth more, as the
// block is HPACK-compressed and its fields are counted once decoded.
func (h *h2conn) headerBlockLimit() int { return h.headerLimit + h2ReadFrame }

// bigFrame handles a frame whose header is read and which does not fit in
// the read buffer (nginx reads any frame up to h2MaxFrame piece by piece).
// What may be read whole is: a DATA frame within the flow-control windows
// of its connection and stream, a HEADERS or CONTINUATION frame within
// the header block's limit; the read buffer grows to hold it. Any other
// frame is handled on its header, with no payload (it is either one of a
// fixed size, which fails its length check, a GOAWAY, whose debug data is
// not used, or of an unknown type), and its payload is skipped; a DATA
// frame over its windows fails their checks, and a header block over its
// limit is too large. A SETTINGS frame larger than the buffer (over 5,000
// parameters) is refused as of incorrect length.
func (h *h2conn) bigFrame(fh http2.FrameHeader) bool {
	size := int(fh.Length)
	fits := false
	switch fh.Type {
	case http2.FrameData:
		h.mu.Lock()
		st := h.streams[fh.StreamID]
		fits = int64(size) <= h.recvWindow && st != nil && !st.rst && !st.remoteClosed &&
			int64(size) <= st.recvWindow
		h.mu.Unlock()
	case http2.FrameHeaders, http2.FrameContinuation:
		if size > h.headerBlockLimit() {
			h.logf("client sent too large header")
			return h.connError(http2.EnhanceYourCalm)
		}
		fits = true
	}
	if fits {
		// windows only grow until this goroutine takes the frame; the
		// buffer is pooled (frames of a window's size may follow one
		// another on an upload)
		b := buf.Get(http2.FrameHeaderLen + size)
		h.rlast = copy(b, h.rbuf[h.rpos:h.rlast])
		h.dropLarge()
		h.rbuf, h.rpos = b, 0
		return true
	}
	h.rpos += http2.FrameHeaderLen
	h.skip = size
	return h.frame(fh, nil)
}
