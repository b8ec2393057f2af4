package http1

// rlState is the request-line parser's position in the grammar.
type rlState uint8

const (
	rlStart rlState = iota
	rlMethod
	rlSpacesBeforeURI
	rlSchema
	rlSchemaSlash
	rlSchemaSlashSlash
	rlSpacesBeforeHost
	rlHostStart
	rlHost
	rlHostEnd
	rlHostIPLiteral
	rlPortStart
	rlPort
	rlAfterSlashInURI
	rlCheckURI
	rlURI
	rlHTTP09
	rlH
	rlHT
	rlHTT
	rlHTTP
	rlFirstMajorDigit
	rlMajorDigit
	rlFirstMinorDigit
	rlMinorDigit
	rlSpacesAfterDigit
	rlAlmostDone
	rlFailed
)

// RequestLine parses a client's request line the way nginx's
// ngx_http_parse_request_line does, a byte at a time, resumable.
//
// The zero value is ready to use. All offsets are relative to element 0 of
// the slice passed to Parse (see the package documentation); ends are
// exclusive; -1 means absent. Fields other than Pos are meaningful once
// Parse has returned OK (they are partly filled while NeedMore is
// returned). After OK the parser is ready for the next request: set Pos to
// where it begins and call Parse again. After an error, call Reset before
// reusing it.
type RequestLine struct {
	// Pos is where the next call to Parse resumes. After OK it is just past
	// the line feed ending the request line (where headers begin); after an
	// error it is the offset of the offending byte.
	Pos int

	// RequestStart is the first byte of the method; CR and LF bytes before
	// a request are skipped, as nginx does.
	RequestStart int
	// RequestEnd ends the request line, before its CR LF (or bare LF).
	RequestEnd int
	// MethodEnd ends the method token: buf[RequestStart:MethodEnd].
	MethodEnd int
	// Method is the method's enum value, MethodOther for unknown tokens.
	Method Method

	// SchemaStart and SchemaEnd delimit the scheme of an absolute-form
	// target ("http" in "http://host/"), or are -1.
	SchemaStart, SchemaEnd int
	// HostStart and HostEnd delimit the authority of an absolute-form or
	// CONNECT target, port included ("host:8080"), or are -1. nginx hands
	// this to ngx_http_validate_host; see ValidateHost.
	HostStart, HostEnd int
	// PortStart and PortEnd delimit the digits after the authority's ':'
	// (possibly none), or are -1 when there is no ':'.
	PortStart, PortEnd int

	// URIStart and URIEnd delimit the request target's path and query (the
	// unparsed URI, nginx's $request_uri). For an absolute-form target
	// without a path they point at a single "/" inside the "://" so that
	// the offsets stay within the request line; for CONNECT they point at
	// the "/" of "HTTP/".
	URIStart, URIEnd int
	// ArgsStart is just past the first '?' of the target, or -1.
	ArgsStart int
	// ExtStart is just past the last '.' of the last path segment (the
	// start of nginx's $exten for simple URIs), or -1.
	ExtStart int
	// ProtocolStart is the 'H' of "HTTP/x.y", or -1 for HTTP/0.9.
	ProtocolStart int

	// Major and Minor are the version numbers; Version is
	// Major*1000+Minor, and 9 for an HTTP/0.9 request (no version).
	Major, Minor, Version int

	// ComplexURI is set when the path has "//", "/.", or '#' and needs
	// ParseComplexURI; QuotedURI when it has a '%'; PlusInURI when it has
	// a '+'; EmptyPathInURI when an absolute-form target has a query but
	// no path ("http://host?a"), which ParseComplexURI turns into "/".
	ComplexURI, QuotedURI, PlusInURI, EmptyPathInURI bool

	state rlState
	err   Result
}

// Reset returns p to its zero state with Pos at 0.
func (p *RequestLine) Reset() { *p = RequestLine{} }

// InProgress reports whether a request line has been started (a byte other
// than CR or LF was seen) and not yet completed. nginx discards a buffer
// full of bare CR LF instead of growing it; this tells the two apart.
func (p *RequestLine) InProgress() bool { return p.state != rlStart }

// Shift moves every recorded offset n bytes towards the start, for a
// caller that has moved the request into a new buffer dropping the n bytes
// in front of it (see the package documentation).
func (p *RequestLine) Shift(n int) {
	p.Pos -= n
	for _, f := range [...]*int{
		&p.RequestStart, &p.RequestEnd, &p.MethodEnd, &p.SchemaStart,
		&p.SchemaEnd, &p.HostStart, &p.HostEnd, &p.PortStart, &p.PortEnd,
		&p.URIStart, &p.URIEnd, &p.ArgsStart, &p.ExtStart, &p.ProtocolStart,
	} {
		if *f >= 0 {
			*f -= n
		}
	}
}

// begin clears the results when the first byte of a method arrives.
func (p *RequestLine) begin(i int) {
	*p = RequestLine{
		Pos:          p.Pos,
		RequestStart: i,
		RequestEnd:   -1, MethodEnd: -1, Method: MethodOther,
		SchemaStart: -1, SchemaEnd: -1, HostStart: -1, HostEnd: -1,
		PortStart: -1, PortEnd: -1, URIStart: -1, URIEnd: -1,
		ArgsStart: -1, ExtStart: -1, ProtocolStart: -1,
		state: rlMethod,
	}
}

// methodByte reports whether c may appear in a method token.
func methodByte(c byte) bool { return c >= 'A' && c <= 'Z' || c == '_' || c == '-' }

// fail records an error at offset i and returns it.
func (p *RequestLine) fail(i int, r Result) Result {
	p.Pos = i
	p.state = rlFailed
	p.err = r
	return r
}

// Parse continues parsing the request line in buf from p.Pos. It returns
// OK when the line is complete, NeedMore when buf ends first, or one of
// InvalidMethod, InvalidRequest, InvalidVersion and Invalid09Method.
func (p *RequestLine) Parse(buf []byte) Result {
	if p.state == rlFailed {
		return p.err
	}
	st := p.state
	i := p.Pos
	n := len(buf)
	if i < 0 {
		i = 0
	}

	for ; i < n; i++ {
		c := buf[i]

		switch st {
		case rlStart:
			p.RequestStart = i
			if c == cr || c == lf {
				continue
			}
			if !methodByte(c) {
				return p.fail(i, InvalidMethod)
			}
			p.begin(i)
			st = rlMethod

		case rlMethod:
			if c == ' ' {
				p.MethodEnd = i
				p.Method = LookupMethod(buf[p.RequestStart:i])
				if p.Method == MethodConnect {
					st = rlSpacesBeforeHost
				} else {
					st = rlSpacesBeforeURI
				}
				continue
			}
			if !methodByte(c) {
				return p.fail(i, InvalidMethod)
			}

		case rlSpacesBeforeURI:
			switch {
			case c == '/':
				p.URIStart = i
				st = rlAfterSlashInURI
			case isAlpha(c):
				p.SchemaStart = i
				st = rlSchema
			case c != ' ':
				return p.fail(i, InvalidRequest)
			}

		case rlSchema:
			switch {
			case isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.':
			case c == ':':
				p.SchemaEnd = i
				st = rlSchemaSlash
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlSchemaSlash, rlSchemaSlashSlash:
			if c != '/' {
				return p.fail(i, InvalidRequest)
			}
			if st == rlSchemaSlash {
				st = rlSchemaSlashSlash
			} else {
				st = rlHostStart
			}

		case rlSpacesBeforeHost, rlHostStart:
			if c == ' ' && st == rlSpacesBeforeHost {
				continue
			}
			p.HostStart = i
			if c == '[' {
				st = rlHostIPLiteral
				continue
			}
			st = rlHost
			if isAlpha(c) || isDigit(c) || c == '.' || c == '-' {
				continue
			}
			if r := p.afterHost(c, i, &st); r != OK {
				return r
			}

		case rlHost:
			if isAlpha(c) || isDigit(c) || c == '.' || c == '-' {
				continue
			}
			if r := p.afterHost(c, i, &st); r != OK {
				return r
			}

		case rlHostEnd:
			if r := p.afterHost(c, i, &st); r != OK {
				return r
			}

		case rlHostIPLiteral:
			switch {
			case isAlpha(c) || isDigit(c) || c == ':':
			case c == ']':
				st = rlHostEnd
			case ipLiteralExtra(c):
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlPortStart:
			p.PortStart = i
			if isDigit(c) {
				st = rlPort
				continue
			}
			if p.Method == MethodConnect {
				return p.fail(i, InvalidRequest)
			}
			st = rlPort
			if r := p.afterPort(c, i, &st); r != OK {
				return r
			}

		case rlPort:
			if isDigit(c) {
				continue
			}
			if r := p.afterPort(c, i, &st); r != OK {
				return r
			}

		case rlAfterSlashInURI:
			if plainURI[c] {
				st = rlCheckURI
				continue
			}
			switch c {
			case ' ':
				p.URIEnd = i
				st = rlHTTP09
			case cr:
				p.URIEnd = i
				p.Minor = 9
				st = rlAlmostDone
			case lf:
				p.URIEnd = i
				p.Minor = 9
				return p.done(i)
			case '.', '/', '#':
				p.ComplexURI = true
				st = rlURI
			case '%':
				p.QuotedURI = true
				st = rlURI
			case '?':
				p.ArgsStart = i + 1
				st = rlURI
			case '+':
				p.PlusInURI = true
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlCheckURI:
			if plainURI[c] {
				// Skip the run of plain bytes in one go.
				for i+1 < n && plainURI[buf[i+1]] {
					i++
				}
				continue
			}
			switch c {
			case '/':
				p.ExtStart = -1
				st = rlAfterSlashInURI
			case '.':
				p.ExtStart = i + 1
			case ' ':
				p.URIEnd = i
				st = rlHTTP09
			case cr:
				p.URIEnd = i
				p.Minor = 9
				st = rlAlmostDone
			case lf:
				p.URIEnd = i
				p.Minor = 9
				return p.done(i)
			case '%':
				p.QuotedURI = true
				st = rlURI
			case '?':
				p.ArgsStart = i + 1
				st = rlURI
			case '#':
				p.ComplexURI = true
				st = rlURI
			case '+':
				p.PlusInURI = true
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlURI:
			if plainURI[c] {
				for i+1 < n && plainURI[buf[i+1]] {
					i++
				}
				continue
			}
			switch c {
			case ' ':
				p.URIEnd = i
				st = rlHTTP09
			case cr:
				p.URIEnd = i
				p.Minor = 9
				st = rlAlmostDone
			case lf:
				p.URIEnd = i
				p.Minor = 9
				return p.done(i)
			case '#':
				p.ComplexURI = true
			default:
				if isCtl(c) {
					return p.fail(i, InvalidRequest)
				}
			}

		case rlHTTP09:
			switch c {
			case ' ':
			case cr:
				p.Minor = 9
				st = rlAlmostDone
			case lf:
				p.Minor = 9
				return p.done(i)
			case 'H':
				p.ProtocolStart = i
				st = rlH
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlH, rlHT:
			if c != 'T' {
				return p.fail(i, InvalidRequest)
			}
			st++

		case rlHTT:
			if c != 'P' {
				return p.fail(i, InvalidRequest)
			}
			st = rlHTTP

		case rlHTTP:
			if c != '/' {
				return p.fail(i, InvalidRequest)
			}
			if p.Method == MethodConnect {
				// A CONNECT target has no path; like nginx, point the
				// URI at a "/" inside the request line.
				p.URIStart = i
				p.URIEnd = i + 1
			}
			st = rlFirstMajorDigit

		case rlFirstMajorDigit:
			if c < '1' || c > '9' {
				return p.fail(i, InvalidRequest)
			}
			p.Major = int(c - '0')
			if p.Major > 1 {
				return p.fail(i, InvalidVersion)
			}
			st = rlMajorDigit

		case rlMajorDigit:
			if c == '.' {
				st = rlFirstMinorDigit
				continue
			}
			if !isDigit(c) {
				return p.fail(i, InvalidRequest)
			}
			p.Major = p.Major*10 + int(c-'0')
			if p.Major > 1 {
				return p.fail(i, InvalidVersion)
			}

		case rlFirstMinorDigit:
			if !isDigit(c) {
				return p.fail(i, InvalidRequest)
			}
			p.Minor = int(c - '0')
			st = rlMinorDigit

		case rlMinorDigit:
			switch {
			case c == cr:
				st = rlAlmostDone
			case c == lf:
				return p.done(i)
			case c == ' ':
				st = rlSpacesAfterDigit
			case !isDigit(c) || p.Minor > 99:
				return p.fail(i, InvalidRequest)
			default:
				p.Minor = p.Minor*10 + int(c-'0')
			}

		case rlSpacesAfterDigit:
			switch c {
			case ' ':
			case cr:
				st = rlAlmostDone
			case lf:
				return p.done(i)
			default:
				return p.fail(i, InvalidRequest)
			}

		case rlAlmostDone:
			p.RequestEnd = i - 1
			if c != lf {
				return p.fail(i, InvalidRequest)
			}
			return p.done(i)
		}
	}

	p.Pos = i
	p.state = st
	return NeedMore
}

// afterHost handles the byte that ends a host name or IP literal: either
// ':' (a port follows) or the start of the path, the query, or the space
// before the version.
func (p *RequestLine) afterHost(c byte, i int, st *rlState) Result {
	if c == ':' {
		*st = rlPortStart
		return OK
	}
	p.HostEnd = i
	if p.Method == MethodConnect {
		return p.fail(i, InvalidRequest)
	}
	return p.targetAfterAuthority(c, i, st)
}

// afterPort handles the byte that ends the port digits.
func (p *RequestLine) afterPort(c byte, i int, st *rlState) Result {
	p.HostEnd = i
	p.PortEnd = i
	if p.Method == MethodConnect {
		if c == ' ' {
			*st = rlHTTP09
			return OK
		}
		return p.fail(i, InvalidRequest)
	}
	return p.targetAfterAuthority(c, i, st)
}

// targetAfterAuthority handles the byte following the authority of an
// absolute-form target.
func (p *RequestLine) targetAfterAuthority(c byte, i int, st *rlState) Result {
	switch c {
	case '/':
		p.URIStart = i
		*st = rlAfterSlashInURI
	case '?':
		p.URIStart = i
		p.ArgsStart = i + 1
		p.EmptyPathInURI = true
		*st = rlURI
	case ' ':
		// No path: use the first '/' of "://" as the URI "/".
		p.URIStart = p.SchemaEnd + 1
		p.URIEnd = p.SchemaEnd + 2
		*st = rlHTTP09
	default:
		return p.fail(i, InvalidRequest)
	}
	return OK
}

// ipLiteralExtra reports whether c is an unreserved or sub-delim byte
// allowed inside "[...]" besides letters, digits and ':'.
func ipLiteralExtra(c byte) bool {
	switch c {
	case '-', '.', '_', '~',
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// done finishes a request line whose final LF is at offset i.
func (p *RequestLine) done(i int) Result {
	p.Pos = i + 1
	if p.RequestEnd < 0 {
		p.RequestEnd = i
	}
	p.Version = p.Major*1000 + p.Minor
	p.state = rlStart
	if p.Version == 9 && p.Method != MethodGet {
		p.state = rlFailed
		p.err = Invalid09Method
		return Invalid09Method
	}
	return OK
}

// PathEnd returns where the path of the request target ends: before the
// '?' when there is a query, else URIEnd. For a target that needs no
// normalisation (none of ComplexURI, QuotedURI, EmptyPathInURI is set)
// buf[URIStart:PathEnd()] is nginx's $uri; otherwise ParseComplexURI
// produces it.
func (p *RequestLine) PathEnd() int {
	if p.ArgsStart >= 0 {
		return p.ArgsStart - 1
	}
	return p.URIEnd
}

// Args returns the offsets of the query (nginx's $args) as nginx sets them
// for a target that needs no normalisation, or -1, -1 when there is no
// query or it is empty.
func (p *RequestLine) Args() (start, end int) {
	if p.ArgsStart >= 0 && p.URIEnd > p.ArgsStart {
		return p.ArgsStart, p.URIEnd
	}
	return -1, -1
}

// Ext returns the offsets of the extension of the last path segment
// (nginx's $exten) for a target that needs no normalisation, or -1, -1.
func (p *RequestLine) Ext() (start, end int) {
	if p.ExtStart < 0 {
		return -1, -1
	}
	return p.ExtStart, p.PathEnd()
}
