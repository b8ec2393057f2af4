package grpc

import "fmt"

// The HTTP/2 frame layer (RFC 9113 section 4): the 9-byte frame header,
// frame types, flags, settings and error codes, what nginx's grpc module
// needs of them. No I/O: the parser takes the bytes it is given, split
// anywhere.

// Frame types.
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoaway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9
)

// Frame flags.
const (
	flagEndStream  = 0x01
	flagAck        = 0x01
	flagEndHeaders = 0x04
	flagPadded     = 0x08
	flagPriority   = 0x20
)

// Settings identifiers.
const (
	settingHeaderTableSize   = 0x1
	settingEnablePush        = 0x2
	settingInitialWindowSize = 0x4
)

// Sizes and limits (nginx's NGX_HTTP_V2_*).
const (
	frameHeaderSize  = 9
	defaultFrameSize = 1 << 14 // the largest frame nginx sends or accepts
	defaultWindow    = 65535
	maxWindow        = 1<<31 - 1
)

// preface is the connection preface nginx's grpc sends on a new
// connection (ngx_http_grpc_connection_start): the client magic, a
// SETTINGS frame (header table size 0, push disabled, initial window
// 2^31-1) and a WINDOW_UPDATE opening the connection window to 2^31-1.
const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
	"\x00\x00\x12\x04\x00\x00\x00\x00\x00" +
	"\x00\x01\x00\x00\x00\x00" +
	"\x00\x02\x00\x00\x00\x00" +
	"\x00\x04\x7f\xff\xff\xff" +
	"\x00\x00\x04\x08\x00\x00\x00\x00\x00" +
	"\x7f\xff\x00\x00"

// frameHeader is a parsed frame header.
type frameHeader struct {
	Length   int
	Type     byte
	Flags    byte
	StreamID uint32
}

// appendFrameHeader appends a frame header.
func appendFrameHeader(dst []byte, length int, typ, flags byte, stream uint32) []byte {
	return append(dst, byte(length>>16), byte(length>>8), byte(length), typ, flags,
		byte(stream>>24)&0x7f, byte(stream>>16), byte(stream>>8), byte(stream))
}

// putStreamID rewrites the stream id of the frame header at b[0:9].
func putStreamID(b []byte, stream uint32) {
	b[5], b[6], b[7], b[8] = byte(stream>>24)&0x7f, byte(stream>>16), byte(stream>>8), byte(stream)
}

// frameParser reads frame headers incrementally (ngx_http_grpc_parse_frame):
// Parse consumes header bytes until a whole header is in, then the caller
// handles the payload, Rest bytes, and calls Next.
type frameParser struct {
	hdr  [frameHeaderSize]byte
	n    int // header bytes collected
	Head frameHeader
	// Rest is what remains of the current frame's payload.
	Rest int
	// InPayload is set between a complete header and Next.
	InPayload bool
}

// Parse consumes header bytes from b. It returns how many it consumed and
// whether the header is complete. A frame longer than nginx accepts is an
// error with nginx's wording.
func (p *frameParser) Parse(b []byte) (int, bool, error) {
	i := 0
	for i < len(b) && p.n < frameHeaderSize {
		p.hdr[p.n] = b[i]
		p.n++
		i++
		if p.n == 3 {
			if l := int(p.hdr[0])<<16 | int(p.hdr[1])<<8 | int(p.hdr[2]); l > defaultFrameSize {
				return i, false, fmt.Errorf("upstream sent too large http2 frame: %d", l)
			}
		}
	}
	if p.n < frameHeaderSize {
		return i, false, nil
	}
	h := &p.hdr
	p.Head = frameHeader{
		Length:   int(h[0])<<16 | int(h[1])<<8 | int(h[2]),
		Type:     h[3],
		Flags:    h[4],
		StreamID: uint32(h[5]&0x7f)<<24 | uint32(h[6])<<16 | uint32(h[7])<<8 | uint32(h[8]),
	}
	p.Rest = p.Head.Length
	p.InPayload = true
	p.n = 0
	return i, true, nil
}

// Next ends the current frame: the next bytes are a frame header.
func (p *frameParser) Next() {
	p.InPayload = false
	p.Rest = 0
}

// Reset forgets any partial header.
func (p *frameParser) Reset() { *p = frameParser{} }

// collector gathers a fixed number of payload bytes that may arrive split
// (the fields of RST_STREAM, GOAWAY, WINDOW_UPDATE, SETTINGS and PING).
type collector struct {
	buf [8]byte
	n   int
}

// fill takes bytes from b until want are gathered, returning how many it
// took and whether the field is complete.
func (c *collector) fill(b []byte, want int) (int, bool) {
	k := copy(c.buf[c.n:want], b)
	c.n += k
	return k, c.n == want
}

func (c *collector) reset() { c.n = 0 }

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
