package http1

// hState is the header-line parser's position in the grammar.
type hState uint8

const (
	hStart hState = iota
	hName
	hSpaceBeforeValue
	hValue
	hSpaceAfterValue
	hIgnoreLine
	hAlmostDone
	hHeaderAlmostDone
	hFailed
)

// LowerNameLen is the longest header name whose lowercase form
// HeaderParser keeps in its fixed array (nginx's NGX_HTTP_LC_HEADER_LEN).
const LowerNameLen = 32

// HeaderParser parses header lines one at a time the way nginx's
// ngx_http_parse_header_line does. It serves client request headers,
// upstream response headers and chunked trailers.
//
// The zero value is ready to use; set AllowUnderscores and Upstream first.
// Offsets are relative to element 0 of the slice passed to Parse, ends are
// exclusive. After OK the parser is ready for the next line; after
// HeaderDone Pos is where the body begins; after an error call Reset
// before reusing it.
type HeaderParser struct {
	// AllowUnderscores accepts '_' in names as a valid character (nginx's
	// underscores_in_headers; the upstream side always sets it). When
	// false a '_' makes the line Invalid.
	AllowUnderscores bool
	// Upstream enables the tolerance nginx has for upstream responses:
	// a line starting "HTTP/" (IIS repeats its status line) is skipped.
	Upstream bool

	// Pos is where the next call to Parse resumes. After OK or HeaderDone
	// it is just past the line's LF; after an error it is the offset of
	// the offending byte.
	Pos int

	// NameStart and NameEnd delimit the header name of the line just
	// parsed; NameStart is also the start of the line in progress.
	NameStart, NameEnd int
	// ValueStart and ValueEnd delimit its value, without the spaces
	// around it (an empty value has ValueStart == ValueEnd). When Parse
	// returns InvalidHeader, buf[NameStart:ValueEnd] is what nginx logs as
	// the line and buf[ValueEnd] the byte it prints in hex after it.
	ValueStart, ValueEnd int
	// Invalid is set when the name has bytes nginx does not allow in a
	// name (nginx's invalid_header). With ignore_invalid_headers on (the
	// default) such a line is logged and skipped, otherwise it is kept.
	Invalid bool

	lower  [LowerNameLen]byte
	nlower int  // name bytes seen that went into lower (may exceed its size)
	lowOK  bool // every name byte went into lower
	state  hState
	err    Result
}

// Reset returns h to its zero state, keeping AllowUnderscores and Upstream,
// with Pos at 0.
func (h *HeaderParser) Reset() {
	*h = HeaderParser{AllowUnderscores: h.AllowUnderscores, Upstream: h.Upstream}
}

// Shift moves every recorded offset n bytes towards the start, for a
// caller that has moved the header line in progress into a new buffer
// dropping the n bytes in front of it.
func (h *HeaderParser) Shift(n int) {
	h.Pos -= n
	h.NameStart -= n
	h.NameEnd -= n
	h.ValueStart -= n
	h.ValueEnd -= n
}

// InProgress reports whether a header line has been started and not yet
// completed.
func (h *HeaderParser) InProgress() bool { return h.state != hStart && h.state != hFailed }

// BadLine returns what nginx logs after Parse refused a line of buf
// ("invalid header: \"%s\\x%02x...\""): the line up to the offending
// byte, and that byte (0 when the line runs to the end of buf).
func (h *HeaderParser) BadLine(buf []byte) (line []byte, bad byte) {
	s, e := h.NameStart, h.ValueEnd
	if s < 0 || e > len(buf) || s > e {
		return nil, 0
	}
	if e < len(buf) {
		bad = buf[e]
	}
	return buf[s:e], bad
}

// Name returns the header name of the line just parsed, a slice of buf.
func (h *HeaderParser) Name(buf []byte) []byte { return buf[h.NameStart:h.NameEnd] }

// Value returns the header value of the line just parsed, a slice of buf.
func (h *HeaderParser) Value(buf []byte) []byte { return buf[h.ValueStart:h.ValueEnd] }

// LowerName returns the lowercase form of the name just parsed, held in
// the parser (valid until the next Parse call), when the name is at most
// LowerNameLen bytes of letters, digits, '-' and (if allowed) '_'.
// Otherwise it returns nil and the caller lowercases the name itself, as
// nginx does; ascii.AppendLower does that.
func (h *HeaderParser) LowerName() []byte {
	if !h.lowOK || h.nlower > LowerNameLen || h.nlower != h.NameEnd-h.NameStart {
		return nil
	}
	return h.lower[:h.nlower]
}

// addLower records one more lowercase name byte.
func (h *HeaderParser) addLower(c byte) {
	if h.nlower < LowerNameLen {
		h.lower[h.nlower] = c
	}
	h.nlower++
}

// fail records an error at offset i and returns InvalidHeader. end is the
// offset nginx reports as the end of the bad line.
func (h *HeaderParser) fail(i, end int) Result {
	h.Pos = i
	h.ValueEnd = end
	h.state = hFailed
	h.err = InvalidHeader
	return InvalidHeader
}

// Parse continues parsing header lines in buf from h.Pos. It returns OK
// when one header line is complete (see the Name/Value fields), HeaderDone
// at the empty line ending the header block, NeedMore when buf ends first,
// or InvalidHeader.
//
// As in nginx: a name byte that is a control, a space or DEL, a line that
// starts with ':' or with whitespace (obsolete line folding), and a NUL in
// a value are all InvalidHeader; other odd name bytes only set Invalid; a
// line without ':' is a header with an empty value; a bare LF ends a line;
// spaces around the value are dropped, but a tab is kept as part of it.
func (h *HeaderParser) Parse(buf []byte) Result {
	if h.state == hFailed {
		return h.err
	}
	st := h.state
	i := h.Pos
	if i < 0 {
		i = 0
	}
	n := len(buf)

	for ; i < n; i++ {
		c := buf[i]

		switch st {
		case hStart:
			h.NameStart = i
			h.Invalid = false
			switch c {
			case cr:
				h.ValueEnd = i
				st = hHeaderAlmostDone
				continue
			case lf:
				h.ValueEnd = i
				return h.headerDone(i)
			}
			st = hName
			h.nlower = 0
			h.lowOK = true
			if l := nameLower[c]; l != 0 {
				h.addLower(l)
				continue
			}
			if c == '_' {
				if h.AllowUnderscores {
					h.addLower(c)
				} else {
					h.Invalid = true
					h.lowOK = false
				}
				continue
			}
			if c <= ' ' || c == 0x7f || c == ':' {
				return h.fail(i, i)
			}
			h.Invalid = true
			h.lowOK = false

		case hName:
			if l := nameLower[c]; l != 0 {
				h.addLower(l)
				// Consume the rest of a plain name without re-dispatching.
				for i+1 < n {
					l = nameLower[buf[i+1]]
					if l == 0 {
						break
					}
					h.addLower(l)
					i++
				}
				continue
			}
			switch {
			case c == '_':
				if h.AllowUnderscores {
					h.addLower(c)
				} else {
					h.Invalid = true
					h.lowOK = false
				}
			case c == ':':
				h.NameEnd = i
				st = hSpaceBeforeValue
			case c == cr:
				h.NameEnd, h.ValueStart, h.ValueEnd = i, i, i
				st = hAlmostDone
			case c == lf:
				h.NameEnd, h.ValueStart, h.ValueEnd = i, i, i
				return h.lineDone(i)
			case c == '/' && h.Upstream && i-h.NameStart == 4 &&
				string(buf[h.NameStart:i]) == "HTTP":
				st = hIgnoreLine
			case c <= ' ' || c == 0x7f:
				return h.fail(i, i)
			default:
				h.Invalid = true
				h.lowOK = false
			}

		case hSpaceBeforeValue:
			switch c {
			case ' ':
			case cr:
				h.ValueStart, h.ValueEnd = i, i
				st = hAlmostDone
			case lf:
				h.ValueStart, h.ValueEnd = i, i
				return h.lineDone(i)
			case 0:
				return h.fail(i, i)
			default:
				h.ValueStart = i
				st = hValue
			}

		case hValue:
			// Skip ordinary value bytes in one go.
			for !valueStop[c] {
				i++
				if i == n {
					h.Pos = i
					h.state = st
					return NeedMore
				}
				c = buf[i]
			}
			switch c {
			case ' ':
				h.ValueEnd = i
				st = hSpaceAfterValue
			case cr:
				h.ValueEnd = i
				st = hAlmostDone
			case lf:
				h.ValueEnd = i
				return h.lineDone(i)
			case 0:
				return h.fail(i, i)
			}

		case hSpaceAfterValue:
			switch c {
			case ' ':
			case cr:
				st = hAlmostDone
			case lf:
				return h.lineDone(i)
			case 0:
				return h.fail(i, i)
			default:
				st = hValue
			}

		case hIgnoreLine:
			if c == lf {
				st = hStart
			}

		case hAlmostDone:
			switch c {
			case lf:
				return h.lineDone(i)
			case cr:
			default:
				return h.fail(i, h.ValueEnd)
			}

		case hHeaderAlmostDone:
			if c != lf {
				return h.fail(i, h.ValueEnd)
			}
			return h.headerDone(i)
		}
	}

	h.Pos = i
	h.state = st
	return NeedMore
}

// lineDone finishes a header line whose LF is at offset i.
func (h *HeaderParser) lineDone(i int) Result {
	h.Pos = i + 1
	h.state = hStart
	return OK
}

// headerDone finishes the header block whose final LF is at offset i.
func (h *HeaderParser) headerDone(i int) Result {
	h.Pos = i + 1
	h.state = hStart
	h.NameEnd, h.ValueStart = h.NameStart, h.ValueEnd
	return HeaderDone
}
