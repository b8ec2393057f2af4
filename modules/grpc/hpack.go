package grpc

import (
	"fmt"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/internal/ascii"
)

// HPACK (RFC 7541) as nginx's grpc module speaks it. nginx announces a
// header table size of 0, so the response may use the static table only:
// the decoder rejects dynamic indexes and table size updates as nginx
// does, with its messages. Huffman coding is golang.org/x/net's.

// staticTable is RFC 7541 Appendix A (index 1 to 61).
var staticTable = [62][2]string{
	{},
	{":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
	{":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
	{":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
	{":status", "404"}, {":status", "500"}, {"accept-charset", ""}, {"accept-encoding", "gzip, deflate"},
	{"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""}, {"access-control-allow-origin", ""},
	{"age", ""}, {"allow", ""}, {"authorization", ""}, {"cache-control", ""},
	{"content-disposition", ""}, {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
	{"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
	{"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""},
	{"from", ""}, {"host", ""}, {"if-match", ""}, {"if-modified-since", ""},
	{"if-none-match", ""}, {"if-range", ""}, {"if-unmodified-since", ""}, {"last-modified", ""},
	{"link", ""}, {"location", ""}, {"max-forwards", ""}, {"proxy-authenticate", ""},
	{"proxy-authorization", ""}, {"range", ""}, {"referer", ""}, {"refresh", ""},
	{"retry-after", ""}, {"server", ""}, {"set-cookie", ""}, {"strict-transport-security", ""},
	{"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""},
	{"www-authenticate", ""},
}

// Static table indexes nginx's request uses.
const (
	idxAuthority = 1
	idxMethodGET = 2
	idxMethodPOS = 3
	idxPath      = 4
	idxPathRoot  = 4
	idxSchemeHTP = 6
	idxSchemeTLS = 7
	idxMethod    = 2
)

// appendInt appends an HPACK integer with an n-bit prefix whose high bits
// are first (ngx_http_v2_write_int).
func appendInt(dst []byte, first byte, n uint, v int) []byte {
	max := 1<<n - 1
	if v < max {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(max))
	v -= max
	for v >= 128 {
		dst = append(dst, byte(v%128)|0x80)
		v /= 128
	}
	return append(dst, byte(v))
}

// appendString appends an HPACK string, Huffman-coded when that is shorter
// (ngx_http_v2_string_encode); lower lowercases it first (header names).
func appendString(dst []byte, s string, lower bool) []byte {
	if lower {
		s = ascii.ToLower(s)
	}
	if n := int(hpack.HuffmanEncodeLength(s)); n < len(s) {
		dst = appendInt(dst, 0x80, 7, n)
		return hpack.AppendHuffmanString(dst, s)
	}
	dst = appendInt(dst, 0, 7, len(s))
	return append(dst, s...)
}

// appendIncIndexed appends a literal field with incremental indexing whose
// name is the static entry idx (ngx_http_v2_inc_indexed + write_value).
func appendIncIndexed(dst []byte, idx int, value string) []byte {
	dst = appendInt(dst, 0x40, 6, idx)
	return appendString(dst, value, false)
}

// appendLiteral appends a literal field without indexing with a new name
// (nginx's 0 byte, then name and value).
func appendLiteral(dst []byte, name, value string) []byte {
	dst = append(dst, 0)
	dst = appendString(dst, name, true)
	return appendString(dst, value, false)
}

// Decoder states (ngx_http_grpc_parse_fragment).
const (
	hsStart = iota
	hsIndex
	hsNameLen
	hsNameLenMore
	hsName
	hsValueLen
	hsValueLenMore
	hsValue
)

// fieldDecoder decodes a header block's fields incrementally: Write takes
// fragment bytes split anywhere and calls emit for each complete field.
type fieldDecoder struct {
	state   int
	index   int
	literal bool
	huff    bool
	length  int
	shift   uint
	want    int
	buf     []byte
	name    string
	value   string
}

// errHeader is a header block nginx rejects with its own message.
type errHeader struct{ msg string }

func (e *errHeader) Error() string { return e.msg }

func headerErr(format string, args ...any) error {
	return &errHeader{msg: fmt.Sprintf(format, args...)}
}

// Pending reports whether a field is partly decoded (at the end of the
// block: "upstream sent truncated http2 header").
func (d *fieldDecoder) Pending() bool { return d.state != hsStart }

// Reset forgets any partial field.
func (d *fieldDecoder) Reset() {
	buf := d.buf[:0]
	*d = fieldDecoder{buf: buf}
}

// Write decodes b; emit receives each field. An error is nginx's message.
func (d *fieldDecoder) Write(b []byte, emit func(name, value string) error) error {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch d.state {
		case hsStart:
			d.index, d.literal = 0, false
			switch {
			case ch&0x80 == 0x80:
				idx := int(ch & 0x7f)
				if idx == 0 || idx > 61 {
					return headerErr("upstream sent invalid http2 table index: %d", idx)
				}
				d.index = idx
				if err := d.done(emit); err != nil {
					return err
				}
			case ch&0xc0 == 0x40:
				idx := int(ch &^ 0xc0)
				if idx > 61 {
					return headerErr("upstream sent invalid http2 table index: %d", idx)
				}
				if idx == 0 {
					d.state = hsNameLen
					break
				}
				d.index, d.literal, d.state = idx, true, hsValueLen
			case ch&0xe0 == 0x20:
				if size := int(ch &^ 0xe0); size > 0 {
					return headerErr("upstream sent invalid http2 dynamic table size update: %d", size)
				}
			default: // never indexed (0x10) or without indexing (0x00)
				idx := int(ch & 0x0f)
				switch idx {
				case 0x0f:
					d.index, d.literal, d.state = idx, true, hsIndex
				case 0:
					d.state = hsNameLen
				default:
					d.index, d.literal, d.state = idx, true, hsValueLen
				}
			}
		case hsIndex:
			d.index += int(ch & 0x7f)
			if ch&0x80 != 0 {
				return headerErr("upstream sent http2 table index with continuation flag")
			}
			if d.index > 61 {
				return headerErr("upstream sent invalid http2 table index: %d", d.index)
			}
			d.state = hsValueLen
		case hsNameLen, hsValueLen:
			d.huff = ch&0x80 != 0
			d.length = int(ch & 0x7f)
			d.shift = 0
			name := d.state == hsNameLen
			if d.length == 0x7f {
				d.state++ // ...LenMore
				break
			}
			if d.length == 0 {
				if name {
					return headerErr("upstream sent zero http2 header name length")
				}
				d.value = ""
				if err := d.done(emit); err != nil {
					return err
				}
				break
			}
			d.begin(name)
		case hsNameLenMore, hsValueLenMore:
			name := d.state == hsNameLenMore
			d.length += int(ch&0x7f) << d.shift
			if ch&0x80 != 0 {
				d.shift += 7
				if d.shift > 14 {
					if name {
						return headerErr("upstream sent too large http2 header name length")
					}
					return headerErr("upstream sent too large http2 header value length")
				}
				break
			}
			d.begin(name)
		case hsName, hsValue:
			k := min(len(b)-i, d.want-len(d.buf))
			d.buf = append(d.buf, b[i:i+k]...)
			i += k - 1
			if len(d.buf) < d.want {
				break
			}
			s := string(d.buf)
			if d.huff {
				var err error
				if s, err = huffmanDecode(d.buf); err != nil {
					return headerErr("upstream sent invalid encoded header")
				}
			}
			if d.state == hsName {
				d.name, d.state = s, hsValueLen
				break
			}
			d.value = s
			if err := d.done(emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// begin starts collecting a string of d.length bytes.
func (d *fieldDecoder) begin(name bool) {
	d.want, d.buf = d.length, d.buf[:0]
	if name {
		d.state = hsName
	} else {
		d.state = hsValue
	}
}

// done completes a field: names and values from the static table,
// nginx's validation, then emit.
func (d *fieldDecoder) done(emit func(name, value string) error) error {
	d.state = hsStart
	if d.index > 0 {
		d.name = staticTable[d.index][0]
		if !d.literal {
			d.value = staticTable[d.index][1]
		}
	}
	if d.index == 0 && !validName(d.name) || (d.index == 0 || d.literal) && !validValue(d.value) {
		return headerErr("upstream sent invalid header: \"%s: %s\"", d.name, d.value)
	}
	return emit(d.name, d.value)
}

// validName is ngx_http_grpc_validate_header_name.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == ':' && i > 0 || ch >= 'A' && ch <= 'Z' || ch <= 0x20 || ch == 0x7f {
			return false
		}
	}
	return true
}

// validValue is ngx_http_grpc_validate_header_value.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch == 0 || ch == '\r' || ch == '\n' {
			return false
		}
	}
	return true
}

// huffmanDecode decodes a Huffman-coded string as nginx's
// ngx_http_huff_decode accepts it: besides RFC 7541's padding of up to 7
// bits, a last byte of all ones (8 bits of EOS prefix, as Test::Nginx's
// encoder pads a string whose code ends on a byte boundary).
func huffmanDecode(b []byte) (string, error) {
	s, err := hpack.HuffmanDecodeToString(b)
	if err != nil && len(b) > 0 && b[len(b)-1] == 0xff {
		return hpack.HuffmanDecodeToString(b[:len(b)-1])
	}
	return s, err
}
