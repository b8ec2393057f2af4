package fastcgi

// The FastCGI record layer (FastCGI 1.0, section 3.3): every record is an
// 8-byte header — version, type, request id, content length, padding
// length, reserved — then the content and the padding. sluice, as nginx,
// sends one request per connection with id 1.

// Record types.
const (
	typeBeginRequest = 1
	typeAbortRequest = 2
	typeEndRequest   = 3
	typeParams       = 4
	typeStdin        = 5
	typeStdout       = 6
	typeStderr       = 7
)

// headerLen is the size of a record header.
const headerLen = 8

// maxContent is the most content one record carries.
const maxContent = 65535

// roleResponder is FCGI_RESPONDER; flagKeepConn is FCGI_KEEP_CONN.
const (
	roleResponder = 1
	flagKeepConn  = 1
)

// appendHeader appends a record header of type typ for n content bytes
// with pad bytes of padding.
func appendHeader(b []byte, typ byte, n, pad int) []byte {
	return append(b, 1, typ, 0, 1, byte(n>>8), byte(n), byte(pad), 0)
}

// padding is the padding that aligns n content bytes on 8 bytes, as
// nginx pads its records.
func padding(n int) int { return (8 - n%8) % 8 }

var zeros [8]byte

// appendBeginRequest appends FCGI_BEGIN_REQUEST for the responder role.
func appendBeginRequest(b []byte, keepConn bool) []byte {
	b = appendHeader(b, typeBeginRequest, 8, 0)
	var flags byte
	if keepConn {
		flags = flagKeepConn
	}
	return append(b, 0, roleResponder, flags, 0, 0, 0, 0, 0)
}

// appendLength appends a name-value pair length: one byte up to 127, else
// four bytes with the high bit set.
func appendLength(b []byte, n int) []byte {
	if n > 127 {
		return append(b, byte(n>>24)|0x80, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, byte(n))
}

// pairLen is the encoded size of a name-value pair.
func pairLen(k, v int) int {
	n := k + v + 2
	if k > 127 {
		n += 3
	}
	if v > 127 {
		n += 3
	}
	return n
}

// recState is the decoder's position in a record.
type recState uint8

const (
	stVersion recState = iota
	stType
	stIDHi
	stIDLo
	stLenHi
	stLenLo
	stPadLen
	stReserved
	stData
	stPadding
)

// recResult is what decoding a record header gives.
type recResult uint8

const (
	recMore       recResult = iota // the header is not complete yet
	recHeader                      // a header was decoded: typ, length, pad
	recBadVersion                  // unsupported version (bad holds it)
	recBadType                     // a type a response cannot have
	recBadIDHi                     // a request id other than 1
	recBadIDLo                     //
)

// decoder decodes the records of a response incrementally
// (ngx_http_fastcgi_process_record): it holds the header in progress and,
// once one is decoded, what remains of the record's content and padding.
// It does no I/O and allocates nothing.
type decoder struct {
	state  recState
	typ    byte
	length int // content bytes left
	pad    int // padding bytes left (after the content)
	bad    byte
}

// header decodes record header bytes from b, returning how many it used.
// After recHeader the decoder is in stData for the record's content.
func (d *decoder) header(b []byte) (int, recResult) {
	for i, c := range b {
		switch d.state {
		case stVersion:
			if c != 1 {
				d.bad = c
				return i, recBadVersion
			}
			d.state = stType
		case stType:
			switch c {
			case typeStdout, typeStderr, typeEndRequest:
				d.typ = c
			default:
				d.bad = c
				return i, recBadType
			}
			d.state = stIDHi
		case stIDHi:
			if c != 0 {
				d.bad = c
				return i, recBadIDHi
			}
			d.state = stIDLo
		case stIDLo:
			if c != 1 {
				d.bad = c
				return i, recBadIDLo
			}
			d.state = stLenHi
		case stLenHi:
			d.length = int(c) << 8
			d.state = stLenLo
		case stLenLo:
			d.length |= int(c)
			d.state = stPadLen
		case stPadLen:
			d.pad = int(c)
			d.state = stReserved
		case stReserved:
			d.state = stData
			return i + 1, recHeader
		}
	}
	return len(b), recMore
}

// data takes the record's content bytes available at the start of b: it
// returns them, and moves to stPadding once the content is complete.
func (d *decoder) data(b []byte) []byte {
	n := min(d.length, len(b))
	d.length -= n
	if d.length == 0 {
		d.state = stPadding
	}
	return b[:n]
}

// skipPadding drops the padding bytes available at the start of b,
// returning how many it used; the decoder is at the next record's header
// once the padding is complete.
func (d *decoder) skipPadding(b []byte) int {
	n := min(d.pad, len(b))
	d.pad -= n
	if d.pad == 0 {
		d.state = stVersion
	}
	return n
}
