package http1

// Result is what a parser step returns. The values mirror nginx's return
// codes; the errors are the distinct classes nginx distinguishes.
type Result uint8

const (
	// OK means one unit was parsed: the request line, the status line, one
	// header line, or one span of chunk data (nginx's NGX_OK).
	OK Result = iota
	// NeedMore means the bytes so far are a valid but incomplete prefix;
	// call again with more bytes (nginx's NGX_AGAIN).
	NeedMore
	// HeaderDone means the empty line ending a header block was parsed
	// (nginx's NGX_HTTP_PARSE_HEADER_DONE).
	HeaderDone
	// Done means the chunked body is complete (nginx's NGX_DONE).
	Done

	// InvalidMethod means the method token has a byte outside A-Z, '_'
	// and '-' (NGX_HTTP_PARSE_INVALID_METHOD).
	InvalidMethod
	// InvalidRequest means the request line or request target is malformed
	// (NGX_HTTP_PARSE_INVALID_REQUEST).
	InvalidRequest
	// InvalidVersion means the request's major version is above 1
	// (NGX_HTTP_PARSE_INVALID_VERSION); nginx answers 505.
	InvalidVersion
	// Invalid09Method means an HTTP/0.9 request (no version) used a method
	// other than GET (NGX_HTTP_PARSE_INVALID_09_METHOD).
	Invalid09Method
	// InvalidHeader means a header line is malformed
	// (NGX_HTTP_PARSE_INVALID_HEADER).
	InvalidHeader
	// Invalid is the plain NGX_ERROR of the status-line parser, the chunked
	// decoder and the URI checks.
	Invalid
)

var resultNames = [...]string{
	OK:              "ok",
	NeedMore:        "need more",
	HeaderDone:      "header done",
	Done:            "done",
	InvalidMethod:   "invalid method",
	InvalidRequest:  "invalid request",
	InvalidVersion:  "invalid version",
	Invalid09Method: "invalid method in HTTP/0.9 request",
	InvalidHeader:   "invalid header",
	Invalid:         "invalid",
}

// String returns a short lowercase name for r.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown result"
}

// IsError reports whether r is one of the error results.
func (r Result) IsError() bool { return r >= InvalidMethod }

// Status returns the HTTP status nginx answers a client with when parsing
// its request ends with r: 505 (Version Not Supported) for InvalidVersion,
// 400 (Bad Request) for every other error, and 0 for results that are not
// errors. Errors in an upstream's response are not the client's fault: the
// upstream framework answers those with 502 on its own.
func (r Result) Status() int {
	switch {
	case r == InvalidVersion:
		return 505
	case r.IsError():
		return 400
	}
	return 0
}

// LogText returns the text nginx writes to the error log (at the info
// level) when a client request fails with r, e.g. "client sent invalid
// method". It is empty for results that are not request errors. For
// InvalidHeader nginx writes the offending line too, see HeaderParser.
func (r Result) LogText() string {
	switch r {
	case InvalidMethod:
		return "client sent invalid method"
	case InvalidRequest:
		return "client sent invalid request"
	case InvalidVersion:
		return "client sent invalid version"
	case Invalid09Method:
		return "client sent invalid method in HTTP/0.9 request"
	case InvalidHeader:
		return "client sent invalid header line"
	}
	return ""
}
