package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/ascii"
)

// ErrIncomplete is returned by ParseResponse when the bytes so far do not hold
// a whole response and the peer has not closed the connection.
var ErrIncomplete = errors.New("testutil: incomplete response")

// ErrTruncated is returned (wrapped) when the peer closed the connection
// before the response's framing was complete. The partial response is
// returned alongside it.
var ErrTruncated = errors.New("testutil: response truncated by close")

// ErrMalformed is returned (wrapped) when the bytes cannot be read as an
// HTTP/1.x response at all. The response parsed so far is returned alongside.
var ErrMalformed = errors.New("testutil: malformed response")

// Framing says how a response's body was delimited.
type Framing int

// Body framings, in the order HTTP/1.1 decides them.
const (
	// FramingNone means the response has no body (HEAD, 1xx, 204, 304).
	FramingNone Framing = iota
	// FramingLength means the body was delimited by Content-Length.
	FramingLength
	// FramingChunked means the body used the chunked transfer coding.
	FramingChunked
	// FramingClose means the body ran until the server closed the connection.
	FramingClose
)

// String returns the framing's name.
func (f Framing) String() string {
	switch f {
	case FramingNone:
		return "none"
	case FramingLength:
		return "content-length"
	case FramingChunked:
		return "chunked"
	case FramingClose:
		return "close"
	}
	return "framing(" + strconv.Itoa(int(f)) + ")"
}

// Header is one header line as received: name and value keep their case, the
// value is trimmed of surrounding blanks, and Raw is the whole line without
// its line ending (continuation lines included, joined by their line ends).
type Header struct {
	Name  string
	Value string
	Raw   string
}

// Chunk is one chunk of a chunked body as received.
type Chunk struct {
	// SizeLine is the chunk-size line without its line ending, extensions
	// included (e.g. "1a;name=value").
	SizeLine string
	// Size is the decoded chunk size.
	Size int64
	// Data is the chunk's payload.
	Data []byte
}

// Response is one HTTP/1.x response as a server sent it.
type Response struct {
	// StatusLine is the first line without its line ending.
	StatusLine string
	// Proto is the protocol version, e.g. "HTTP/1.1"; empty for HTTP/0.9.
	Proto string
	// StatusCode is the three-digit status; 0 for HTTP/0.9.
	StatusCode int
	// Reason is the reason phrase, possibly empty.
	Reason string
	// HTTP09 is true when the server answered with a bare body (no status
	// line), as nginx does to an HTTP/0.9 request.
	HTTP09 bool
	// Headers are the header lines in the order received, duplicates kept.
	Headers []Header
	// Head is the raw status line and header block, blank line included.
	Head []byte
	// BareLF is true when some line of the head (or of the chunk framing)
	// ended with LF alone instead of CRLF.
	BareLF bool

	// Framing says how the body was delimited.
	Framing Framing
	// ContentLength is the declared Content-Length, or -1 if there was none.
	ContentLength int64
	// Body is the decoded body (chunk framing removed).
	Body []byte
	// RawBody is the body exactly as on the wire (chunk framing included).
	RawBody []byte
	// Chunks lists the chunks of a chunked body, the last (zero) chunk
	// included when it arrived.
	Chunks []Chunk
	// LastChunk is true when the terminating zero-size chunk arrived.
	LastChunk bool
	// Trailers are the trailer fields after the last chunk.
	Trailers []Header
	// Complete is true when the body's framing was satisfied: all
	// Content-Length bytes, the last chunk and the trailer section's end, or
	// (for FramingClose) the close itself.
	Complete bool

	// Closed is true when the server had closed the connection by the time
	// this response was returned (EOF or reset seen), as far as the reader
	// observed it.
	Closed bool
	// Reset is true when the close was a reset (ECONNRESET).
	Reset bool
	// Remaining holds bytes received after this response that belong to no
	// response yet (the start of a pipelined one, or garbage).
	Remaining []byte
}

// Get returns the value of the first header named name (case-insensitive),
// or "" if there is none.
func (r *Response) Get(name string) string {
	for _, h := range r.Headers {
		if ascii.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Values returns the values of every header named name (case-insensitive),
// in the order received.
func (r *Response) Values(name string) []string {
	var vs []string
	for _, h := range r.Headers {
		if ascii.EqualFold(h.Name, name) {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// Has reports whether a header named name (case-insensitive) was received.
func (r *Response) Has(name string) bool {
	for _, h := range r.Headers {
		if ascii.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// String renders the response as received, for failure messages.
func (r *Response) String() string {
	var b strings.Builder
	b.Write(r.Head)
	b.Write(r.RawBody)
	fmt.Fprintf(&b, "\n[framing=%s complete=%v closed=%v", r.Framing, r.Complete, r.Closed)
	if r.Framing == FramingChunked {
		fmt.Fprintf(&b, " chunks=%d last-chunk=%v", len(r.Chunks), r.LastChunk)
	}
	if len(r.Remaining) > 0 {
		fmt.Fprintf(&b, " remaining=%q", r.Remaining)
	}
	b.WriteString("]")
	return b.String()
}

// ParseOptions changes how ParseResponse delimits a body.
type ParseOptions struct {
	// NoBody says the response cannot carry a body whatever its headers
	// say, as for a response to HEAD.
	NoBody bool
}

// ParseResponse reads one response from the start of data. atEOF says the
// peer closed the connection after data. It returns the response and the
// number of bytes it used.
//
// When more bytes are needed and atEOF is false it returns ErrIncomplete.
// When atEOF is true and the response is cut short it returns the partial
// response with an error wrapping ErrTruncated; malformed input gives the
// response parsed so far and an error wrapping ErrMalformed.
//
// The parser is loose where servers differ harmlessly (bare LF line ends,
// missing reason phrase, obsolete line folding) and precise in what it
// records: raw head, header order and case, chunk sizes and extensions, and
// whether the last chunk arrived.
func ParseResponse(data []byte, atEOF bool, opts ParseOptions) (*Response, int, error) {
	r := &Response{ContentLength: -1}
	if !hasHTTPPrefix(data) {
		if len(data) < len("HTTP/") && strings.HasPrefix("HTTP/", string(data)) && !atEOF {
			return nil, 0, ErrIncomplete
		}
		if len(data) == 0 {
			if atEOF {
				return nil, 0, fmt.Errorf("%w: connection closed before any byte", ErrTruncated)
			}
			return nil, 0, ErrIncomplete
		}
		// An HTTP/0.9 answer: the body alone, until the close.
		r.HTTP09 = true
		r.Framing = FramingClose
		if !atEOF {
			return nil, 0, ErrIncomplete
		}
		r.Body = append([]byte(nil), data...)
		r.RawBody = r.Body
		r.Complete = true
		return r, len(data), nil
	}

	headEnd, err := r.parseHead(data, atEOF)
	if err != nil {
		return r, 0, err
	}
	r.Head = append([]byte(nil), data[:headEnd]...)
	if err := r.decideFraming(opts); err != nil {
		return r, headEnd, err
	}
	n, err := r.parseBody(data[headEnd:], atEOF)
	return r, headEnd + n, err
}

func hasHTTPPrefix(data []byte) bool {
	return bytes.HasPrefix(data, []byte("HTTP/"))
}

// nextLine returns the line at the start of data without its ending, the
// number of bytes including the ending, and whether the ending was a bare LF.
// ok is false when no line end has arrived yet.
func nextLine(data []byte) (line []byte, n int, bareLF bool, ok bool) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return nil, 0, false, false
	}
	if i > 0 && data[i-1] == '\r' {
		return data[:i-1], i + 1, false, true
	}
	return data[:i], i + 1, true, true
}

// parseHead parses the status line and header block and returns the head's
// length.
func (r *Response) parseHead(data []byte, atEOF bool) (int, error) {
	line, n, lf, ok := nextLine(data)
	if !ok {
		return 0, r.needMore(atEOF, "status line")
	}
	r.BareLF = r.BareLF || lf
	r.StatusLine = string(line)
	if err := r.parseStatusLine(line); err != nil {
		return 0, err
	}
	headers, m, lf, err := parseFields(data[n:], atEOF, "header")
	r.Headers = headers
	r.BareLF = r.BareLF || lf
	if err != nil {
		return 0, err
	}
	return n + m, nil
}

func (r *Response) needMore(atEOF bool, what string) error {
	if atEOF {
		return fmt.Errorf("%w: in %s", ErrTruncated, what)
	}
	return ErrIncomplete
}

func (r *Response) parseStatusLine(line []byte) error {
	s := string(line)
	proto, rest, _ := strings.Cut(s, " ")
	r.Proto = proto
	if !strings.HasPrefix(proto, "HTTP/") || len(proto) < len("HTTP/x") {
		return fmt.Errorf("%w: status line %q", ErrMalformed, s)
	}
	code, reason, _ := strings.Cut(rest, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' {
		return fmt.Errorf("%w: status code in %q", ErrMalformed, s)
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return fmt.Errorf("%w: status code in %q", ErrMalformed, s)
	}
	r.StatusCode = n
	r.Reason = reason
	return nil
}

// parseFields parses header (or trailer) lines up to and including the blank
// line that ends them.
func parseFields(data []byte, atEOF bool, what string) ([]Header, int, bool, error) {
	var (
		fields []Header
		pos    int
		bareLF bool
	)
	for {
		line, n, lf, ok := nextLine(data[pos:])
		if !ok {
			if atEOF {
				return fields, pos, bareLF, fmt.Errorf("%w: in %s block", ErrTruncated, what)
			}
			return fields, pos, bareLF, ErrIncomplete
		}
		bareLF = bareLF || lf
		start := pos
		pos += n
		if len(line) == 0 {
			return fields, pos, bareLF, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return fields, pos, bareLF, fmt.Errorf("%w: %s continuation line %q before any field", ErrMalformed, what, line)
			}
			last := &fields[len(fields)-1]
			last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(string(line)))
			last.Raw = last.Raw + string(data[start-lineEndLen(data, start):start]) + string(line)
			continue
		}
		name, value, found := strings.Cut(string(line), ":")
		if !found || name == "" || strings.ContainsAny(name, " \t") {
			return fields, pos, bareLF, fmt.Errorf("%w: %s line %q", ErrMalformed, what, line)
		}
		fields = append(fields, Header{Name: name, Value: strings.Trim(value, " \t"), Raw: string(line)})
	}
}

// lineEndLen returns the length of the line ending just before data[end].
func lineEndLen(data []byte, end int) int {
	if end >= 2 && data[end-2] == '\r' {
		return 2
	}
	return 1
}

// decideFraming applies HTTP/1.1's rules for delimiting the body.
func (r *Response) decideFraming(opts ParseOptions) error {
	if opts.NoBody || r.StatusCode/100 == 1 || r.StatusCode == 204 || r.StatusCode == 304 {
		r.Framing = FramingNone
		r.recordContentLength()
		return nil
	}
	if te := r.Values("Transfer-Encoding"); len(te) > 0 {
		codings := strings.Split(strings.Join(te, ","), ",")
		if ascii.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked") {
			r.Framing = FramingChunked
		} else {
			r.Framing = FramingClose
		}
		r.recordContentLength()
		return nil
	}
	cls := r.Values("Content-Length")
	if len(cls) == 0 {
		r.Framing = FramingClose
		return nil
	}
	n, err := parseContentLength(cls)
	if err != nil {
		return err
	}
	r.ContentLength = n
	r.Framing = FramingLength
	return nil
}

// recordContentLength notes a declared Content-Length that does not delimit
// the body; an unparsable one is left at -1.
func (r *Response) recordContentLength() {
	if cls := r.Values("Content-Length"); len(cls) > 0 {
		if n, err := parseContentLength(cls); err == nil {
			r.ContentLength = n
		}
	}
}

func parseContentLength(values []string) (int64, error) {
	var n int64 = -1
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			m, err := strconv.ParseInt(part, 10, 64)
			if err != nil || m < 0 || part == "" || part[0] == '+' {
				return -1, fmt.Errorf("%w: Content-Length %q", ErrMalformed, v)
			}
			if n >= 0 && m != n {
				return -1, fmt.Errorf("%w: conflicting Content-Length values %q", ErrMalformed, values)
			}
			n = m
		}
	}
	return n, nil
}

// parseBody reads the body that starts at data and returns the bytes used.
func (r *Response) parseBody(data []byte, atEOF bool) (int, error) {
	switch r.Framing {
	case FramingNone:
		r.Complete = true
		return 0, nil
	case FramingLength:
		if int64(len(data)) >= r.ContentLength {
			r.Body = append([]byte(nil), data[:r.ContentLength]...)
			r.RawBody = r.Body
			r.Complete = true
			return int(r.ContentLength), nil
		}
		if !atEOF {
			return 0, ErrIncomplete
		}
		r.Body = append([]byte(nil), data...)
		r.RawBody = r.Body
		return len(data), fmt.Errorf("%w: body has %d of %d bytes", ErrTruncated, len(data), r.ContentLength)
	case FramingClose:
		if !atEOF {
			return 0, ErrIncomplete
		}
		r.Body = append([]byte(nil), data...)
		r.RawBody = r.Body
		r.Complete = true
		return len(data), nil
	}
	body, n, err := decodeChunked(data, atEOF)
	r.Chunks = body.chunks
	r.LastChunk = body.last
	r.Trailers = body.trailers
	r.BareLF = r.BareLF || body.bareLF
	r.Body = body.data
	if err == ErrIncomplete {
		return 0, err
	}
	r.RawBody = append([]byte(nil), data[:n]...)
	r.Complete = err == nil
	return n, err
}
