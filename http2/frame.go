package http2

import "errors"

// Preface is the client connection preface (RFC 9113, 3.4).
const Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// FrameHeaderLen is the size of a frame header.
const FrameHeaderLen = 9

// DefaultMaxFrameSize is the initial SETTINGS_MAX_FRAME_SIZE (2^14);
// MaxFrameSizeLimit the largest value a peer may set (2^24-1).
const (
	DefaultMaxFrameSize = 1 << 14
	MaxFrameSizeLimit   = 1<<24 - 1
	// DefaultWindow is the initial flow-control window (65,535).
	DefaultWindow = 1<<16 - 1
	// MaxWindow is the largest flow-control window (2^31-1).
	MaxWindow = 1<<31 - 1
)

// FrameType is a frame's type octet.
type FrameType uint8

// The frame types.
const (
	FrameData         FrameType = 0x0
	FrameHeaders      FrameType = 0x1
	FramePriority     FrameType = 0x2
	FrameRSTStream    FrameType = 0x3
	FrameSettings     FrameType = 0x4
	FramePushPromise  FrameType = 0x5
	FramePing         FrameType = 0x6
	FrameGoAway       FrameType = 0x7
	FrameWindowUpdate FrameType = 0x8
	FrameContinuation FrameType = 0x9
)

// The frame flags.
const (
	FlagEndStream  = 0x1
	FlagAck        = 0x1
	FlagEndHeaders = 0x4
	FlagPadded     = 0x8
	FlagPriority   = 0x20
)

// ErrCode is an RST_STREAM or GOAWAY error code.
type ErrCode uint32

// The error codes.
const (
	NoError            ErrCode = 0x0
	ProtocolError      ErrCode = 0x1
	InternalError      ErrCode = 0x2
	FlowControlError   ErrCode = 0x3
	SettingsTimeout    ErrCode = 0x4
	StreamClosed       ErrCode = 0x5
	FrameSizeError     ErrCode = 0x6
	RefusedStream      ErrCode = 0x7
	Cancel             ErrCode = 0x8
	CompressionError   ErrCode = 0x9
	ConnectError       ErrCode = 0xa
	EnhanceYourCalm    ErrCode = 0xb
	InadequateSecurity ErrCode = 0xc
	HTTP11Required     ErrCode = 0xd
)

// FrameHeader is a parsed frame header.
type FrameHeader struct {
	Length   uint32
	Type     FrameType
	Flags    uint8
	StreamID uint32
}

// ParseFrameHeader parses the 9 octets at the start of b, which must hold
// at least FrameHeaderLen bytes. The reserved bit of the stream id is
// dropped.
func ParseFrameHeader(b []byte) FrameHeader {
	_ = b[8]
	return FrameHeader{
		Length:   uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Type:     FrameType(b[3]),
		Flags:    b[4],
		StreamID: be32(b[5:]) & 0x7fffffff,
	}
}

// AppendFrameHeader appends a frame header.
func AppendFrameHeader(b []byte, length int, t FrameType, flags uint8, stream uint32) []byte {
	return append(b, byte(length>>16), byte(length>>8), byte(length), byte(t), flags,
		byte(stream>>24), byte(stream>>16), byte(stream>>8), byte(stream))
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func append32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// ErrNeedMore is returned by ReadFrame when b holds no complete frame.
var ErrNeedMore = errors.New("http2: need more bytes")

// FrameSizeErr is a frame longer than the receiver's maximum frame size.
type FrameSizeErr struct{ Header FrameHeader }

func (e *FrameSizeErr) Error() string { return "http2: frame too large" }

// ReadFrame takes the frame at the start of b: its header, its payload (a
// slice of b) and the bytes it used. It returns ErrNeedMore when b holds
// less than a whole frame, and a *FrameSizeErr when the frame's length
// exceeds maxSize (then the header alone is valid).
func ReadFrame(b []byte, maxSize uint32) (FrameHeader, []byte, int, error) {
	if len(b) < FrameHeaderLen {
		return FrameHeader{}, nil, 0, ErrNeedMore
	}
	h := ParseFrameHeader(b)
	if h.Length > maxSize {
		return h, nil, 0, &FrameSizeErr{Header: h}
	}
	n := FrameHeaderLen + int(h.Length)
	if len(b) < n {
		return h, nil, 0, ErrNeedMore
	}
	return h, b[FrameHeaderLen:n], n, nil
}

// ErrPadding is a padded frame whose padding is not shorter than its
// payload.
var ErrPadding = errors.New("http2: padding too long")

// Unpad removes the padding of a DATA or HEADERS payload whose flags say
// PADDED.
func Unpad(flags uint8, p []byte) ([]byte, error) {
	if flags&FlagPadded == 0 {
		return p, nil
	}
	if len(p) < 1 {
		return nil, ErrPadding
	}
	pad := int(p[0])
	if pad >= len(p) {
		return nil, ErrPadding
	}
	return p[1 : len(p)-pad], nil
}

// AppendRSTStream appends an RST_STREAM frame.
func AppendRSTStream(b []byte, stream uint32, code ErrCode) []byte {
	b = AppendFrameHeader(b, 4, FrameRSTStream, 0, stream)
	return append32(b, uint32(code))
}

// AppendGoAway appends a GOAWAY frame.
func AppendGoAway(b []byte, last uint32, code ErrCode) []byte {
	b = AppendFrameHeader(b, 8, FrameGoAway, 0, 0)
	b = append32(b, last)
	return append32(b, uint32(code))
}

// AppendWindowUpdate appends a WINDOW_UPDATE frame.
func AppendWindowUpdate(b []byte, stream uint32, inc uint32) []byte {
	b = AppendFrameHeader(b, 4, FrameWindowUpdate, 0, stream)
	return append32(b, inc)
}

// AppendPing appends a PING frame with the ACK flag and data.
func AppendPingAck(b []byte, data []byte) []byte {
	b = AppendFrameHeader(b, 8, FramePing, FlagAck, 0)
	return append(b, data...)
}

// WindowIncrement parses a WINDOW_UPDATE payload (4 bytes; the caller
// checks the length).
func WindowIncrement(p []byte) uint32 { return be32(p) & 0x7fffffff }

// RSTCode parses an RST_STREAM payload (4 bytes).
func RSTCode(p []byte) ErrCode { return ErrCode(be32(p)) }
