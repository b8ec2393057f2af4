package upstream

import (
	"errors"

	"github.com/sluicehq/sluice/httpd"
)

// Protocol is what an upstream module implements (create_request and
// process_header). It does no I/O.
type Protocol interface {
	// CreateRequest fills u.Request with what to send upstream
	// (create_request). It is called once; Reinit prepares retries. An
	// error finalizes the request with 500; the protocol logs the reason
	// itself (the framework adds no line of its own).
	CreateRequest(u *Upstream) error
	// ProcessHeader parses the response head from u.Buffer[u.Pos:u.Last],
	// advancing u.Pos over what it consumed, and fills u.HeadersIn
	// (process_header). It is called every time new bytes arrive.
	ProcessHeader(u *Upstream) HeaderResult
}

// HeaderResult is ProcessHeader's answer.
type HeaderResult uint8

// The answers of ProcessHeader.
const (
	// NeedMore: the head is not complete yet (NGX_AGAIN). With a full
	// buffer it is "upstream sent too big header".
	NeedMore HeaderResult = iota
	// HeaderDone: the head is complete; body bytes, if any, start at u.Pos.
	HeaderDone
	// Invalid: the upstream sent something that is not a valid head
	// (NGX_HTTP_UPSTREAM_INVALID_HEADER). The protocol logs why; the
	// framework tries the next upstream or answers 502.
	Invalid
	// Failed: an internal error (NGX_ERROR); the request ends with 500.
	Failed
)

// BodyFilter is implemented by protocols whose body has framing to decode
// (chunked, memcached's END), or that consume the body themselves
// (input_filter_init and input_filter).
type BodyFilter interface {
	// InitBody is called once the head was processed, before any body
	// bytes (input_filter_init). u.Length holds the expected body length
	// (-1 unknown).
	InitBody(u *Upstream) error
	// FilterBody receives raw body bytes as they arrive and appends the
	// decoded pieces to u.Out (slices of raw are fine: they stay valid
	// until the next call). It sets u.Length to 0 once the body is complete,
	// and sets u.Keepalive when the connection may be reused. An error ends
	// the exchange: the response is cut, as nginx does.
	FilterBody(u *Upstream, raw []byte) error
}

// ErrBodyShort is what FilterBody returns when the upstream's own framing
// ended the body before the length its head announced (fastcgi's stdout
// closed short of Content-Length; nginx's p->upstream_error or u->error
// set by the input filter): the pieces FilterBody appended to u.Out still
// go to the client, then the response is cut as after an upstream error
// (502), the protocol having logged why. Any other error cuts the
// response at once, without what is pending (NGX_ABORT / NGX_ERROR).
var ErrBodyShort = errors.New("upstream body ended short")

// Reiniter is implemented by protocols with per-attempt state to reset
// before a retry on the next peer (reinit_request).
type Reiniter interface {
	Reinit(u *Upstream) error
}

// Finalizer is implemented by protocols that need to know when the
// exchange ends (finalize_request). Finalize is called exactly once per
// Run, with the status the request is finalized with (0 for a complete
// response).
type Finalizer interface {
	Finalize(u *Upstream, status int)
}

// RedirectRewriter rewrites Location and Refresh headers of the response
// (rewrite_redirect). prefix is the length of the part before the URL
// ("5; url=" for Refresh, 0 for Location). It returns false to keep the
// header unchanged.
type RedirectRewriter interface {
	RewriteRedirect(u *Upstream, h *httpd.Header, prefix int) (ok bool, err error)
}

// CookieRewriter rewrites Set-Cookie headers of the response
// (rewrite_cookie).
type CookieRewriter interface {
	RewriteCookie(u *Upstream, h *httpd.Header) error
}

// Writer is implemented by protocols that write to the upstream on their
// own account besides the request CreateRequest built, and whose request
// depends on the connection it goes over: HTTP/2 (grpc) answers SETTINGS
// and PING frames, opens its receive window with WINDOW_UPDATE, holds
// request body bytes back until the peer's flow-control window allows
// them, and on a kept-alive connection skips the connection preface and
// takes the next stream id. Protocols without it (proxy, fastcgi...) take
// none of these paths.
//
// The framework stays the only one doing I/O: it calls Connected once the
// attempt's connection is up (before the request is sent), and after each
// ProcessHeader call (unless Invalid or Failed) and each FilterBody call
// that returned no error it writes what Outgoing returns, within
// send_timeout. A failed write is an attempt failure as any other send.
type Writer interface {
	// Connected adapts u.Request to the attempt's connection;
	// u.ConnData holds what the protocol keeps with the connection. An
	// error ends the request with 500 (the protocol logged why).
	Connected(u *Upstream) error
	// Outgoing returns the bytes to send now, nil when none; they stay
	// untouched until the next call. An error (reading a streamed
	// request body from the client) ends the attempt as a failed send
	// does.
	Outgoing(u *Upstream) ([]httpd.Piece, error)
}

// ConnData returns the slot where a Writer keeps state with the attempt's
// connection across the requests the connection carries (HTTP/2's last
// stream id and windows): nil on a new connection, what the previous
// request left there on a kept-alive one (Upstream.ConnCached tells which).
// It must be called only while the attempt has its connection (Connected,
// ProcessHeader, FilterBody).
func (u *Upstream) ConnData() *any { return &u.conn.data }

// ConnCached reports whether the attempt's connection came from the
// keepalive pool (nginx's pc->cached).
func (u *Upstream) ConnCached() bool { return u.conn != nil && u.conn.Cached }
