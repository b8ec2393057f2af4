package httpd

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// Status is what a phase or content handler answers (nginx's ngx_int_t
// return codes and HTTP statuses in one type).
type Status int

// The non-HTTP statuses. Any value >= 100 is an HTTP status: the request
// is finalized with it (nginx's NGX_HTTP_SPECIAL_RESPONSE and beyond).
const (
	// OK: the phase is done, go on with the next phase.
	OK Status = 0
	// Declined: this handler does not apply, try the next one.
	Declined Status = -5
	// Done: the handler answered the request (or handed it on, as an
	// internal redirect does); the phase loop stops.
	Done Status = -4
	// Error: the request failed without a response (connection error); it
	// is closed.
	Error Status = -1
	// Again: run the same phase handler again (the phase engine's
	// NGX_AGAIN, used by find-config and redirects).
	Again Status = -2
)

// Extra statuses nginx uses internally.
const (
	// StatusClose closes the connection without a response (444).
	StatusClose = 444
	// StatusRequestHeaderTooLarge is sent as 400 with its own page (494).
	StatusRequestHeaderTooLarge = 494
	// StatusClientClosedRequest is logged when the client went away (499).
	StatusClientClosedRequest = 499
)

// Header is one header line. A deleted header keeps its slot (nginx's
// hash == 0) so indexes held elsewhere stay valid.
type Header struct {
	Key, Value string
	Deleted    bool
}

// HeadersIn are the parsed request headers (ngx_http_headers_in_t).
type HeadersIn struct {
	// List is every header line in order; names keep their case.
	List []Header
	// Indexes into List of the headers the server itself interprets
	// (-1 when absent).
	Host, Connection, IfModifiedSince, IfUnmodifiedSince, IfMatch, IfNoneMatch,
	UserAgent, Referer, ContentLength, ContentRange, ContentType, Range,
	IfRange, TransferEncoding, TE, Expect, Upgrade, AcceptEncoding, Via,
	Authorization, KeepAlive, XForwardedFor, XRealIP, Cookie int

	// Server is the validated host name (from the request line or Host),
	// lowercased, without port; "" when none.
	Server string
	// Port is the port given with Server (nginx's r->port, $request_port),
	// 0 when none.
	Port int
	// ContentLengthN is the body length, -1 when unknown.
	ContentLengthN int64
	// Chunked is set for "Transfer-Encoding: chunked".
	Chunked bool
	// ConnectionType: 0 none, ConnClose or ConnKeepAlive.
	ConnectionType uint8
	// KeepAliveN is the Keep-Alive header value in seconds, -1 if absent.
	KeepAliveN                                           int64
	MSIE, MSIE6, Opera, Gecko, Chrome, Safari, Konqueror bool
}

// Connection header kinds.
const (
	ConnClose uint8 = iota + 1
	ConnKeepAlive
)

// Get returns the value of header i of the list, "" when i < 0.
func (h *HeadersIn) Get(i int) string {
	if i < 0 || i >= len(h.List) {
		return ""
	}
	return h.List[i].Value
}

// Value returns the first header named name (case-insensitively).
func (h *HeadersIn) Value(name string) (string, bool) {
	for i := range h.List {
		if !h.List[i].Deleted && ascii.EqualFold(h.List[i].Key, name) {
			return h.List[i].Value, true
		}
	}
	return "", false
}

func (h *HeadersIn) reset() {
	h.List = h.List[:0]
	h.Host, h.Connection, h.IfModifiedSince, h.IfUnmodifiedSince, h.IfMatch, h.IfNoneMatch = -1, -1, -1, -1, -1, -1
	h.UserAgent, h.Referer, h.ContentLength, h.ContentRange, h.ContentType, h.Range = -1, -1, -1, -1, -1, -1
	h.IfRange, h.TransferEncoding, h.TE, h.Expect, h.Upgrade, h.AcceptEncoding, h.Via = -1, -1, -1, -1, -1, -1, -1
	h.Authorization, h.KeepAlive, h.XForwardedFor, h.XRealIP, h.Cookie = -1, -1, -1, -1, -1
	h.Server = ""
	h.Port = 0
	h.ContentLengthN = -1
	h.Chunked = false
	h.ConnectionType = 0
	h.KeepAliveN = -1
	h.MSIE, h.MSIE6, h.Opera, h.Gecko, h.Chrome, h.Safari, h.Konqueror = false, false, false, false, false, false, false
}

// HeadersOut is the response head being built (ngx_http_headers_out_t).
type HeadersOut struct {
	Status int
	// StatusLine, when set, replaces the standard reason ("200 OK" from an
	// upstream, or a non-standard code).
	StatusLine string
	// List is every generic header line in order.
	List []Header
	// Indexes into List of headers the framework treats specially, -1 when
	// absent: a Server or Date here suppresses the one sluice adds.
	Server, Date, ContentLength, ContentEncoding, Location, Refresh,
	LastModified, ContentRange, AcceptRanges, WWWAuthenticate, Expires,
	ETag, CacheControl, Link int

	// ContentType is the full type ("text/html; charset=utf-8"), and
	// ContentTypeLen the length of the bare type; Charset, when set and
	// the type has no parameters, is appended as "; charset=".
	ContentType    string
	ContentTypeLen int
	Charset        string
	// OverrideCharset is the charset an upstream's X-Accel-Charset asks
	// the charset filter to recode into (nginx's override_charset).
	OverrideCharset string
	// ContentLengthN is the body length, -1 when unknown.
	ContentLengthN int64
	// ContentOffset is where the body starts in the whole resource
	// (nginx's content_offset): the range filter's single range sets it,
	// the slice module sets it for each slice.
	ContentOffset int64
	// LastModifiedTime is a Unix time, -1 when none.
	LastModifiedTime int64
	// Trailers are sent after a chunked body.
	Trailers []Header
}

func (h *HeadersOut) reset() {
	h.Status = 0
	h.StatusLine = ""
	h.List = h.List[:0]
	h.Server, h.Date, h.ContentLength, h.ContentEncoding, h.Location, h.Refresh = -1, -1, -1, -1, -1, -1
	h.LastModified, h.ContentRange, h.AcceptRanges, h.WWWAuthenticate, h.Expires = -1, -1, -1, -1, -1
	h.ETag, h.CacheControl, h.Link = -1, -1, -1
	h.ContentType, h.ContentTypeLen, h.Charset = "", 0, ""
	h.OverrideCharset = ""
	h.ContentLengthN = -1
	h.ContentOffset = 0
	h.LastModifiedTime = -1
	h.Trailers = h.Trailers[:0]
}

// Clean drops the response head built so far — the status, every header
// line, the content type and length — as nginx's ngx_http_clean_header
// does before a filter replaces the response (a special response, the
// image filter's JSON). Trailers stay.
func (h *HeadersOut) Clean() {
	for i := range h.List {
		h.Delete(i)
	}
	h.Server, h.Date, h.ContentLength, h.ContentEncoding, h.Location, h.Refresh = -1, -1, -1, -1, -1, -1
	h.LastModified, h.ContentRange, h.AcceptRanges, h.WWWAuthenticate, h.Expires = -1, -1, -1, -1, -1
	h.ETag, h.CacheControl, h.Link = -1, -1, -1
	h.Status, h.StatusLine = 0, ""
	h.ContentType, h.ContentTypeLen, h.Charset = "", 0, ""
	h.ContentLengthN, h.LastModifiedTime = -1, -1
}

// Add appends a header line and returns its index.
func (h *HeadersOut) Add(key, value string) int {
	h.List = append(h.List, Header{Key: key, Value: value})
	return len(h.List) - 1
}

// Get returns the value of header i, "" when i < 0 or deleted.
func (h *HeadersOut) Get(i int) string {
	if i < 0 || i >= len(h.List) || h.List[i].Deleted {
		return ""
	}
	return h.List[i].Value
}

// Delete marks header i deleted (no-op for i < 0).
func (h *HeadersOut) Delete(i int) {
	if i >= 0 && i < len(h.List) {
		h.List[i].Deleted = true
	}
}

// Value returns the first live header named name (case-insensitively).
func (h *HeadersOut) Value(name string) (string, bool) {
	for i := range h.List {
		if !h.List[i].Deleted && ascii.EqualFold(h.List[i].Key, name) {
			return h.List[i].Value, true
		}
	}
	return "", false
}

// ClearLastModified drops Last-Modified (ngx_http_clear_last_modified).
func (h *HeadersOut) ClearLastModified() {
	h.LastModifiedTime = -1
	h.Delete(h.LastModified)
	h.LastModified = -1
}

// ClearContentLength drops Content-Length.
func (h *HeadersOut) ClearContentLength() {
	h.ContentLengthN = -1
	h.Delete(h.ContentLength)
	h.ContentLength = -1
}

// ClearAcceptRanges drops Accept-Ranges.
func (h *HeadersOut) ClearAcceptRanges() {
	h.Delete(h.AcceptRanges)
	h.AcceptRanges = -1
}

// ClearETag drops ETag.
func (h *HeadersOut) ClearETag() {
	h.Delete(h.ETag)
	h.ETag = -1
}

// ClearLocation drops Location.
func (h *HeadersOut) ClearLocation() {
	h.Delete(h.Location)
	h.Location = -1
}

// SetLocation sets the Location header (made absolute when sent, as
// nginx does for values starting with "/").
func (h *HeadersOut) SetLocation(v string) {
	h.ClearLocation()
	h.Location = h.Add("Location", v)
}

// Request is one HTTP request (ngx_http_request_t). A request belongs to
// one goroutine, its connection's; nothing in it is safe for concurrent use
// unless documented.
//
// Strings taken from the request head (URI, header values...) alias the
// connection's buffer: they are valid until the request finishes; copy them
// (strings.Clone) to keep them longer.
type Request struct {
	Config *Config
	// Srv and Loc are the server and location confs in effect.
	Srv *Server
	Loc *Location
	// Main is the main request (itself, for a main request).
	Main *Request
	conn *conn

	// Method is the method name; MethodBit its bit (MethodGET...).
	Method    string
	MethodBit uint32
	// HTTPVersion is major*1000+minor (1001 for HTTP/1.1, 9 for HTTP/0.9).
	HTTPVersion int
	// RequestLine is the request line as received.
	RequestLine string
	// Protocol is "HTTP/1.1" as received ("" for HTTP/0.9).
	Protocol string
	// URI is the normalised, decoded path; Args the query string;
	// Exten the extension of the last path segment.
	URI, Args, Exten string
	// UnparsedURI is the request target as received ($request_uri).
	UnparsedURI string
	// ValidUnparsedURI is false when UnparsedURI cannot be passed on as is.
	ValidUnparsedURI bool
	// PlusInURI, QuotedURI, ComplexURI, EmptyPathInURI describe the raw URI.
	PlusInURI, QuotedURI, ComplexURI, EmptyPathInURI bool
	// Schema, HostInLine and PortInLine come from an absolute-form target.
	Schema, Port string

	In  HeadersIn
	Out HeadersOut

	// Internal marks internal requests (redirects, error pages).
	Internal bool
	// URIChanges counts down internal redirects (starts at 11).
	URIChanges int
	// URIChanged asks the phase engine to find the location again.
	URIChanged bool
	// ErrorPage is set once an error_page redirect happened.
	ErrorPage bool
	// HeaderOnly suppresses the body (HEAD, 204, 304).
	HeaderOnly bool
	// PostAction is set while the request runs its post_action, after
	// its response (nginx's r->post_action): nothing more goes to the
	// client.
	PostAction bool
	// Keepalive tells whether the connection stays open after this request.
	Keepalive bool
	// LingeringClose asks for a lingering close after the response.
	LingeringClose bool
	// Chunked marks a chunked response body.
	Chunked bool
	// HeaderSent is set once the response head went out.
	HeaderSent bool
	// ExpectTested is set once "Expect: 100-continue" was handled.
	ExpectTested bool
	// Logged is set once the access log saw the request.
	Logged bool
	// ErrStatus is the status of a special response being sent.
	ErrStatus int
	// AllowRanges lets the range filter serve byte ranges.
	AllowRanges bool
	// SingleRange restricts ranges to one (for proxied responses).
	SingleRange bool
	// SubrequestRanges lets the range filter cut a subrequest's body by
	// the client's Range, from Out.ContentOffset (nginx's
	// r->subrequest_ranges; set by the slice module).
	SubrequestRanges bool
	// DisableNotModified disables the not-modified filter.
	DisableNotModified bool
	// VaryAcceptEncoding asks the header writer for a "Vary:
	// Accept-Encoding" line, after Connection and before the other headers
	// (nginx's r->gzip_vary with gzip_vary on): the gzip filter sets it for
	// every response it could have compressed. An internal redirect clears
	// it.
	VaryAcceptEncoding bool
	// GzipTested and GzipOK cache the gzip test of the request
	// (ngx_http_gzip_ok's r->gzip_tested and r->gzip_ok): the first module
	// to ask (gzip_static in the content phase, gunzip or gzip in the
	// header filters) decides for the others. An internal redirect clears
	// them. See modules/gzip.Tested.
	GzipTested, GzipOK bool
	// Pipeline is set when the request followed another in one read.
	Pipeline bool

	// ContentHandler overrides the content phase (nginx's
	// r->content_handler).
	ContentHandler ContentHandler

	// Body is the request body once read (see ReadBody).
	Body *RequestBody
	// DiscardBody is set when the body is being discarded.
	DiscardBody bool
	// BodyInFileOnly makes ReadBody put the body in a temp file whatever
	// its size (an empty one too), without the "buffered to a temporary
	// file" log line: nginx's request_body_in_file_only with
	// request_body_file_log_level 0, as dav's PUT asks. The file is
	// removed when the request ends unless the module renamed it away.
	BodyInFileOnly bool

	// Start is when the request started; RequestLength counts bytes of the
	// request received so far (head and body).
	Start         time.Time
	RequestLength int64
	// HeaderSize is the size of the sent response head, BytesSent the
	// total bytes sent to the client for this request.
	HeaderSize int64
	BytesSent  int64

	// Upstream is free for the upstream framework (the current
	// ngx_http_upstream_t), so that log lines and variables can find it.
	Upstream any
	// UpstreamStates is free for the upstream framework to record every
	// attempt for the $upstream_* variables; unlike module contexts it
	// survives internal redirects.
	UpstreamStates any

	// LimitReq is nginx's r->main->limit_req_status, read and written on the
	// main request by the limit_req module: 0 until the module decided, then
	// its result (PASSED=1 ... REJECTED_DRY_RUN=5). It survives internal
	// redirects, so that a request is limited once.
	LimitReq uint8
	// LimitConn is nginx's r->main->limit_conn_status, kept by the
	// limit_conn module as LimitReq is: 0 until a limit had a key, then
	// PASSED=1, REJECTED=2, REJECTED_DRY_RUN=3.
	LimitConn uint8
	// stat is the request's state for the stub_status counters
	stat uint8

	// LimitRate is the response rate limit in bytes per second (0: none).
	LimitRate int64
	// LimitRateAfter is the size sent before the limit applies.
	LimitRateAfter int64
	// limitRateSet and limitRateAfterSet are set once the values are
	// known (nginx's r->limit_rate_set, r->limit_rate_after_set).
	limitRateSet, limitRateAfterSet bool

	captures        []int
	capturesSubject string
	vars            []varValue
	ctx             confs
	scratch         []byte
	phase           int
	cleanup         []func()
	endBufs         [][]byte // returned to the buffer pool after the cleanups
	endRel          []Releaser
	// action is the current action for error log lines ("while ...").
	action string
	log    *errlog.Log

	// done marks a finalized request.
	done bool
	// lastSent is set once the last body piece went through Output.
	lastSent bool
	// headerHeld is set by a header filter that keeps the head back
	// (HoldHeader).
	headerHeld bool
	// accessCode is the pending access-phase status (satisfy any).
	accessCode int
	// basic is the Authorization header's Basic credentials (BasicUser).
	basic basicAuth
	// rateDelay is when the output paced by limit_rate may go on.
	rateDelay time.Time
	// sentLocation is the absolute Location the header writer made of a
	// relative one.
	sentLocation string
	// varDepth counts variables being evaluated inside one another.
	varDepth int
	// sub is the subrequest state (subrequest.go): set on subrequests, and
	// on a main request once it started one.
	sub *subreq
	// partialLine is what was received of an incomplete request line, for
	// log lines.
	partialLine string
	// validLocation is cleared when a rewrite changed the URI inside a
	// location (an alias then cannot be used).
	validLocation bool
	// addURIToAlias is set by try_files for regex-location aliases.
	addURIToAlias bool
	bodyDiscarded bool
	// bodyStop: InterruptBody ended the reading of a streamed body
	bodyStop atomic.Bool
	// bodyAsync: a streamed body is read on another goroutine
	// (ReadBodyElsewhere): its reads log as bodyLog says, and what they
	// would change on the request and its connection waits in bodyLater
	// until ResumeBody
	bodyAsync bool
	bodyLog   ActionLog
	bodyLater bodyEffects
	// misdirected: the Host chose another server than the TLS
	// handshake's, one that verifies client certificates (421)
	misdirected bool
	discard     *bodySource
}

// Conn returns the client connection, for a caller that takes it over
// (an upgraded exchange): its deadlines are the caller's from then on.
func (r *Request) Conn() net.Conn {
	r.conn.wd.Forget()
	return r.conn.nc
}

// Context returns a context cancelled when the client connection is
// aborted (a fast shutdown) or closed: work a request waits for outside
// its sockets, such as a name resolution, ends with it.
func (r *Request) Context() context.Context {
	if r.conn == nil {
		return context.Background()
	}
	return r.conn.context()
}

// RawConn returns the client socket's raw access (cached per connection)
// for socket options such as SO_ERROR, or nil when the connection is not
// a socket (tests' pipes). Under TLS it is the socket beneath: its bytes
// belong to the TLS layer and must not be read.
func (r *Request) RawConn() syscall.RawConn { return r.conn.rawSocket() }

// TakeBuffered returns the bytes the client sent after this request (and
// its body, when that was read) that the connection has read already, and
// consumes them: a tunnel after 101 Switching Protocols relays them before
// anything it reads itself, as nginx passes on what is left in header_in.
// The slice is valid until the request ends; a subrequest has none.
func (r *Request) TakeBuffered() []byte {
	c := r.conn
	if c == nil || r.IsSubrequest() || c.pos >= c.last {
		return nil
	}
	b := c.in[c.pos:c.last]
	c.pos = c.last
	return b
}

// ConnNumber is the connection's serial number ($connection, "*N" in
// logs).
func (r *Request) ConnNumber() uint64 { return r.conn.number }

// ConnRequests is the number of requests made on this connection so far.
func (r *Request) ConnRequests() int { return r.conn.requests }

// RemoteAddr is the client's address as text ($remote_addr).
func (r *Request) RemoteAddr() string { return r.conn.remoteAddr }

// RemotePort is the client's port as text ($remote_port).
func (r *Request) RemotePort() string { return r.conn.remotePort }

// CoreLoc returns the core module's location conf in effect.
func (r *Request) CoreLoc() *CoreLocConf { return r.Loc.core }

// CoreSrv returns the core module's server conf in effect.
func (r *Request) CoreSrv() *CoreSrvConf { return r.Srv.CoreSrv() }

// Log returns the error log in effect for the request.
func (r *Request) Log() *errlog.Log { return r.log }

// AddCleanup registers f to run when the request is freed
// (ngx_http_cleanup_add); cleanups run in reverse order.
// Cleanups of a subrequest run with the main request's (nginx attaches
// them to r->main), once every request of the tree is done with its
// memory.
func (r *Request) AddCleanup(f func()) {
	if m := r.Main; m != nil && m != r {
		m.cleanup = append(m.cleanup, f)
		return
	}
	r.cleanup = append(r.cleanup, f)
}

// PutBufferAtEnd returns b (from the internal/buf pool) to its pool when
// the request ends, after the log phase and the cleanups: for buffers that
// response headers or logged variables still point into. It allocates
// nothing once the request object has been used.
func (r *Request) PutBufferAtEnd(b []byte) {
	if m := r.Main; m != nil && m != r {
		r = m
	}
	r.endBufs = append(r.endBufs, b)
}

// Releaser is an object a module returns to its own pool when the request
// that uses it ends (see ReleaseAtEnd).
type Releaser interface {
	// Release returns the object to its pool.
	Release()
}

// ReleaseAtEnd calls x.Release when the main request ends, after the log
// phase, the cleanups and PutBufferAtEnd: for per-request objects that
// variables and log lines read until then. Nothing may use x afterwards.
func (r *Request) ReleaseAtEnd(x Releaser) {
	if m := r.Main; m != nil && m != r {
		r = m
	}
	r.endRel = append(r.endRel, x)
}

// WeakETag turns the response's strong ETag into a weak one, W/"...",
// and drops one that is not quoted (ngx_http_weak_etag): for filters that
// change the body but keep its meaning. The new value lives in the
// request's scratch memory.
func (r *Request) WeakETag() {
	h := &r.Out
	v := h.Get(h.ETag)
	if h.ETag < 0 || strings.HasPrefix(v, "W/") && len(v) > 2 {
		return
	}
	if v == "" || v[0] != '"' {
		h.ClearETag()
		return
	}
	b := r.scratchBytes(2 + len(v))
	copy(b, "W/")
	copy(b[2:], v)
	h.List[h.ETag].Value = bytesconv.String(b)
}

// SetLimitRate sets the response's rate limit in bytes per second, in
// place of limit_rate (X-Accel-Limit-Rate from an upstream).
func (r *Request) SetLimitRate(n int64) {
	r.LimitRate, r.limitRateSet = n, true
}

// SetLimitRateAfter sets the number of bytes sent before the rate limit
// applies, in place of limit_rate_after (mp4_limit_rate_after).
func (r *Request) SetLimitRateAfter(n int64) {
	r.LimitRateAfter, r.limitRateAfterSet = n, true
}

// Scratch returns the request's scratch buffer for building values that
// live until the request ends; append to it and take a sub-slice.
func (r *Request) Scratch() *[]byte { return &r.scratch }
