package proxy

import (
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// reqCtx is the proxy module's per-request context (ngx_http_proxy_ctx_t):
// what the $proxy_* variables show.
type reqCtx struct {
	vars proxyVars
	// internalBodyLength is $proxy_internal_body_length (-1: none);
	// internalChunked is $proxy_internal_chunked.
	internalBodyLength int64
	internalChunked    bool

	// url is an evaluated proxy_pass with variables.
	url *balancer.URL
}

// handler is the content handler proxy_pass installs
// (ngx_http_proxy_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.pass == nil {
		return 500
	}
	// the request's whole proxy state in one object, pooled
	x := exchangePool.Get().(*exchange)
	*x = exchange{}
	r.ReleaseAtEnd(x)
	ctx := &x.ctx
	ctx.internalBodyLength = -1
	httpd.SetCtx(r, &self, ctx)
	pc := lc.pass
	target := pc.target
	if pc.dynamic != nil {
		if !evalPass(r, pc, ctx) {
			return 500
		}
		t, st := balancer.Dynamic(r, ctx.url)
		if st != 0 {
			return st
		}
		target = t
	} else {
		ctx.vars = pc.vars
	}

	p := &x.proto
	p.lc, p.ctx = lc, ctx
	x.chunked.proto = p
	p.filtered = &x.chunked
	p.headBuf = x.head[:]
	stream := !lc.U.RequestBuffering.Get() && lc.body.Get() == nil && lc.U.PassRequestBody.Get() &&
		(!r.In.Chunked || lc.version.Get() == 1001)
	s, st := upstream.ReadBody(r, &lc.U, stream)
	if st != httpd.OK {
		return st
	}
	p.stream = s
	return upstream.Run(r, &lc.U, target, p)
}

// exchangePool keeps exchanges between requests.
var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

// Release clears the exchange and returns it to the pool (httpd calls it
// when the request ends).
func (x *exchange) Release() {
	*x = exchange{}
	exchangePool.Put(x)
}

// exchange is the proxy module's state for one request, allocated at once:
// the context the variables show, the protocol, its chunked view, and
// room for a usual request head.
type exchange struct {
	ctx     reqCtx
	proto   proto
	chunked chunkedProto
	head    [1024]byte
}

// proto is one request's HTTP/1.x exchange with the proxied server: the
// upstream.Protocol and its optional hooks.
type proto struct {
	lc  *LocConf
	ctx *reqCtx
	// head is set when the method sent is HEAD (no body follows).
	head bool
	// stream is the request body being passed on unbuffered.
	stream *httpd.BodyStream

	status  http1.StatusLine
	header  http1.HeaderParser
	inLines bool

	// filtered is the same protocol with a body filter, for chunked
	// responses (see response.go).
	filtered *chunkedProto
	chunked  http1.Chunked
	// headBuf is where the request head is built (the exchange's room).
	headBuf []byte
	// trailer state (proxy_pass_trailers)
	inTrailers bool
	tbuf       []byte
	tparser    http1.HeaderParser
}

var errZeroURI = errors.New("zero length URI to proxy")

// CreateRequest builds the request line, the header and the body
// (ngx_http_proxy_create_request).
func (p *proto) CreateRequest(u *upstream.Upstream) error {
	r, lc, ctx := u.R, p.lc, p.ctx
	method := r.Method
	if u.Method != "" {
		// HEAD was changed to GET to fill the cache
		method = u.Method
	} else if x := lc.method.Get(); x != nil {
		method = x.Eval(r)
	}
	p.head = ascii.EqualFold(method, "HEAD")

	uri := p.requestURI(r)
	if uri == "" {
		r.Log().Logf(errlog.Error, r, nil, "zero length URI to proxy")
		return errZeroURI
	}

	var body string
	hasBody := false
	switch {
	case lc.body.Get() != nil:
		body = lc.body.Get().Eval(r)
		hasBody = true
		ctx.internalBodyLength = int64(len(body))
	case r.In.Chunked && p.stream != nil:
		ctx.internalBodyLength = -1
		ctx.internalChunked = true
	default:
		ctx.internalBodyLength = r.In.ContentLengthN
	}

	b := p.headBuf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	if lc.version.Get() == 1001 {
		b = append(b, " HTTP/1.1\r\n"...)
	} else {
		b = append(b, " HTTP/1.0\r\n"...)
	}
	hs := lc.headers
	if u.Cacheable() {
		hs = lc.headersCache
	}
	for i := range hs.lines {
		l := &hs.lines[i]
		v := l.value(r, ctx)
		if v == "" {
			continue
		}
		b = append(b, l.key...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	if lc.U.PassRequestHeaders.Get() {
		for _, h := range r.In.List {
			if h.Deleted || hs.listed(h.Key) {
				continue
			}
			b = append(b, h.Key...)
			b = append(b, ": "...)
			b = append(b, h.Value...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	// the head and what of the body is in memory go in one write, as
	// nginx's writev sends them
	switch {
	case hasBody:
		b = append(b, body...)
	case p.stream != nil:
		u.RequestBodyNoBuffering = true
		if pre := p.stream.TakePreread(); len(pre) > 0 {
			if ctx.internalChunked {
				b = chunkFrame(b, pre)
			} else {
				b = append(b, pre...)
			}
		}
	case lc.U.PassRequestBody.Get() && r.Body != nil && r.Body.File == nil:
		b = append(b, r.Body.Data...)
	}
	u.Request.Append(b)
	if !hasBody && p.stream == nil && lc.U.PassRequestBody.Get() && r.Body != nil && r.Body.File != nil {
		u.Request.AppendFile(r.Body.File, 0, r.Body.Size)
	}
	u.Schema = ctx.vars.schema
	u.TLS, u.TLSName = ctx.vars.tls, ctx.vars.host
	u.URI = uri
	return nil
}

// requestURI is the URI of the request line, by nginx's rules: the URI of
// a proxy_pass with variables as evaluated; the client's URI unchanged when
// proxy_pass has no URI part; else the location's prefix replaced by the
// URI part, escaped when the URI was decoded or changed internally, with
// the arguments.
func (p *proto) requestURI(r *httpd.Request) string {
	pc, ctx := p.lc.pass, p.ctx
	if pc.dynamic != nil && ctx.vars.uri != "" {
		return ctx.vars.uri
	}
	if ctx.vars.uri == "" && r.ValidUnparsedURI {
		return r.UnparsedURI
	}
	valid := r.ValidLocation()
	locLen := 0
	if valid && ctx.vars.uri != "" {
		locLen = min(len(pc.location), len(r.URI))
	}
	rest := r.URI[locLen:]
	b := make([]byte, 0, len(ctx.vars.uri)+len(rest)+1+len(r.Args)+16)
	if valid {
		b = append(b, ctx.vars.uri...)
	}
	if r.QuotedURI || r.Internal {
		b = http1.Escape(b, []byte(rest), http1.EscapeURI)
	} else {
		b = append(b, rest...)
	}
	if r.Args != "" {
		b = append(b, '?')
		b = append(b, r.Args...)
	}
	return string(b)
}

// SendBody streams the client's body to the upstream as it arrives
// (proxy_request_buffering off), re-chunked when the client sent it
// chunked (ngx_http_proxy_body_output_filter).
func (p *proto) SendBody(u *upstream.Upstream) error {
	write := u.WriteBody
	s := p.stream
	if s == nil {
		return nil
	}
	var frame []byte
	for {
		b, err := s.Read()
		if err == io.EOF {
			if p.ctx.internalChunked {
				return write([]byte("0\r\n\r\n"))
			}
			return nil
		}
		if err != nil {
			return err
		}
		// what arrived with it goes in the same write (one chunk)
		data, last, err := s.AppendReady(append(frame[:0], b...))
		if err != nil {
			return err
		}
		if p.ctx.internalChunked {
			framed := chunkFrame(nil, data)
			if last {
				framed = append(framed, "0\r\n\r\n"...)
			}
			if err := write(framed); err != nil {
				return err
			}
		} else if err := write(data); err != nil {
			return err
		}
		frame = data
		if last {
			return nil
		}
	}
}

// chunkFrame appends b as one chunk of the chunked coding.
func chunkFrame(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 16)
	dst = append(dst, "\r\n"...)
	dst = append(dst, b...)
	return append(dst, "\r\n"...)
}

// Finalize ends a body stream the exchange no longer reads
// (finalize_request).
func (p *proto) Finalize(u *upstream.Upstream, status int) {
	if p.stream != nil {
		p.stream.Stop()
	}
}
