package proxy

import (
	"errors"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

// chunkedProto is the protocol while it decodes a chunked response body:
// proto plus upstream.BodyFilter (nginx's chunked input filters, the same
// in buffered and unbuffered modes).
type chunkedProto struct {
	*proto
}

var (
	errInvalidChunked                   = errors.New("upstream sent invalid chunked response")
	errInvalidTrailer                   = errors.New("upstream sent invalid trailer")
	errTooBigTrailers                   = errors.New("upstream sent too big trailers")
	_                                   = upstream.BodyFilter(&chunkedProto{})
	_                                   = upstream.Reiniter(&proto{})
	_                                   = upstream.Finalizer(&proto{})
	_                                   = upstream.BodySender(&proto{})
	_                                   = upstream.RedirectRewriter(&proto{})
	_                 upstream.Protocol = &proto{}
)

// InitBody implements upstream.BodyFilter (input_filter_init): the length
// was decided with the head.
func (c *chunkedProto) InitBody(u *upstream.Upstream) error { return nil }

// FilterBody decodes chunked body bytes into u.Out
// (ngx_http_proxy_chunked_filter / non_buffered_chunked_filter). A body
// that breaks the chunked syntax ends the response cut (the client never
// sees it completed).
func (c *chunkedProto) FilterBody(u *upstream.Upstream, raw []byte) error {
	p := c.proto
	if len(raw) == 0 {
		return nil
	}
	if u.Length == 0 {
		u.Logf(errlog.Warn, nil, "upstream sent data after final chunk")
		u.Keepalive = false
		return nil
	}
	if p.inTrailers {
		return p.trailers(u, raw)
	}
	p.chunked.Pos = 0
	for {
		switch p.chunked.Parse(raw) {
		case http1.OK:
			if p.chunked.DataEnd > p.chunked.DataStart {
				u.Out = append(u.Out, raw[p.chunked.DataStart:p.chunked.DataEnd])
			}
		case http1.NeedMore:
			return nil
		case http1.Done:
			rest := raw[p.chunked.Pos:]
			if p.chunked.KeepTrailers {
				p.inTrailers = true
				if p.tbuf == nil {
					p.tbuf = make([]byte, 0, p.lc.U.BufferSize.Get())
				}
				p.tparser = http1.HeaderParser{AllowUnderscores: true, Upstream: true}
				if len(rest) == 0 {
					return nil
				}
				return p.trailers(u, rest)
			}
			p.bodyDone(u, len(rest), "upstream sent data after final chunk")
			return nil
		default:
			u.Logf(errlog.Error, nil, "upstream sent invalid chunked response")
			return errInvalidChunked
		}
	}
}

// bodyDone records a complete body; extra bytes after it forbid reusing the
// connection.
func (p *proto) bodyDone(u *upstream.Upstream, extra int, warning string) {
	u.Length = 0
	u.Keepalive = !u.HeadersIn.ConnectionClose
	if extra > 0 {
		u.Logf(errlog.Warn, nil, "%s", warning)
		u.Keepalive = false
	}
}

// trailers collects the trailer section into a buffer of
// proxy_buffer_size and parses its fields (ngx_http_proxy_process_trailer).
func (p *proto) trailers(u *upstream.Upstream, raw []byte) error {
	room := cap(p.tbuf) - len(p.tbuf)
	n := min(room, len(raw))
	start := len(p.tbuf)
	p.tbuf = append(p.tbuf, raw[:n]...)
	buf := p.tbuf
	for {
		switch p.tparser.Parse(buf) {
		case http1.OK:
			u.HeadersIn.Trailers = append(u.HeadersIn.Trailers, httpd.Header{
				Key: bytesconv.String(p.tparser.Name(buf)), Value: bytesconv.String(p.tparser.Value(buf))})
		case http1.HeaderDone:
			used := p.tparser.Pos - start
			p.bodyDone(u, len(raw)-used, "upstream sent data after trailers")
			return nil
		case http1.NeedMore:
			if len(p.tbuf) == cap(p.tbuf) {
				u.Logf(errlog.Error, nil, "upstream sent too big trailers")
				return errTooBigTrailers
			}
			return nil
		default:
			line, bad := p.tparser.BadLine(buf)
			u.Logf(errlog.Error, nil, "upstream sent invalid trailer: \"%s\\x%02x...\"", line, bad)
			return errInvalidTrailer
		}
	}
}
