package proxy

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

// ProcessHeader parses the status line, then the header lines
// (ngx_http_proxy_process_status_line and ngx_http_proxy_process_header).
//
// When the head is complete it decides the body framing as nginx's
// input_filter_init does. A chunked body needs the chunked decoder: the
// exchange then continues with the chunkedProto view of this protocol,
// which adds upstream.BodyFilter; other bodies (Content-Length, or up to
// the connection close) use the framework's own length-counting filter.
func (p *proto) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	for {
		if !p.inLines {
			switch p.status.Parse(u.Buffer[:u.Last]) {
			case http1.NeedMore:
				return upstream.NeedMore
			case http1.OK:
			default:
				return p.http09(u)
			}
			in := &u.HeadersIn
			in.StatusN = p.status.Code
			in.StatusLine = bytesconv.String(u.Buffer[p.status.Start:p.status.End])
			if p.status.Version < 1001 {
				if p.status.Code == 103 {
					u.Logf(errlog.Error, nil, "upstream sent HTTP/1.0 response with early hints")
					return upstream.Invalid
				}
				in.ConnectionClose = true
			}
			u.Pos = p.status.Pos
			p.inLines = true
			p.header.Reset()
			p.header.AllowUnderscores, p.header.Upstream = true, true
			p.header.Pos = u.Pos
		}
		switch p.headerLines(u) {
		case http1.NeedMore:
			return upstream.NeedMore
		case http1.HeaderDone:
		default:
			return upstream.Invalid
		}
		if u.HeadersIn.StatusN == 103 {
			// early hints are not passed (no early_hints): drop them and
			// parse the final response head in their place
			p.skipEarlyHints(u)
			continue
		}
		p.headerDone(u)
		return upstream.HeaderDone
	}
}

// headerLines parses header lines until the head ends; it returns
// HeaderDone, NeedMore, or an error result (logged).
func (p *proto) headerLines(u *upstream.Upstream) http1.Result {
	buf := u.Buffer[:u.Last]
	for {
		switch res := p.header.Parse(buf); res {
		case http1.OK:
			u.Pos = p.header.Pos
			if u.HeadersIn.StatusN == 103 {
				continue
			}
			if !u.AddHeader(bytesconv.String(p.header.Name(buf)), bytesconv.String(p.header.Value(buf))) {
				return http1.InvalidHeader
			}
		case http1.HeaderDone:
			u.Pos = p.header.Pos
			return res
		case http1.NeedMore:
			return res
		default:
			line, bad := "", 0
			if s, e := p.header.NameStart, p.header.ValueEnd; s >= 0 && e <= len(buf) && s <= e {
				line = string(buf[s:e])
				if e < len(buf) {
					bad = int(buf[e])
				}
			}
			u.Logf(errlog.Error, nil, "upstream sent invalid header: \"%s\\x%02x...\"", line, bad)
			return res
		}
	}
}

// skipEarlyHints forgets a 103 head and moves what follows it to the
// start of the buffer (ngx_http_upstream_process_early_hints).
func (p *proto) skipEarlyHints(u *upstream.Upstream) {
	n := copy(u.Buffer, u.Buffer[u.Pos:u.Last])
	u.Pos, u.Last = 0, n
	u.HeadersIn = upstream.HeadersIn{List: u.HeadersIn.List[:0], Trailers: u.HeadersIn.Trailers[:0],
		ContentLengthN: -1, LastModifiedTime: -1}
	p.status.Reset()
	p.header.Reset()
	p.inLines = false
}

// http09 takes a response without a valid status line as an HTTP/0.9
// answer: no header, the bytes are the body up to the connection close;
// the client gets them as they are.
func (p *proto) http09(u *upstream.Upstream) upstream.HeaderResult {
	u.Logf(errlog.Error, nil, "upstream sent no valid HTTP/1.0 header")
	u.Pos = p.status.LineStart
	if u.Pos < 0 || u.Pos > u.Last {
		u.Pos = 0
	}
	if u.R != nil {
		// no header for the client either: the bytes go out as they are
		u.R.HTTPVersion = 9
	}
	in := &u.HeadersIn
	in.StatusN = 0 // nginx leaves the status unset: $status is "009"
	in.ConnectionClose = true
	u.Length = -1
	u.Keepalive = false
	u.Proto = p
	return upstream.HeaderDone
}

// headerDone applies the end of nginx's process_header and
// input_filter_init: Server and Date come only from the upstream, the
// keepalive decision, the body length, 101 Switching Protocols.
func (p *proto) headerDone(u *upstream.Upstream) {
	in := &u.HeadersIn
	u.OwnServerDate = true
	if in.Chunked {
		in.ContentLengthN = -1
	}
	keep := !in.ConnectionClose
	u.Keepalive = false
	u.Proto = p
	switch {
	case in.StatusN == 204 || in.StatusN == 304 || p.head:
		u.Length = 0
		u.Keepalive = keep
	case in.Chunked:
		u.Length = 1
		p.chunked.Reset()
		p.chunked.KeepTrailers = p.lc.U.PassTrailers.Get()
		p.inTrailers = false
		u.Proto = p.filtered
	case in.ContentLengthN == 0:
		u.Length = 0
		u.Keepalive = keep
	default:
		// Content-Length, or up to the close (-1); the framework's filter
		// counts the length down, and the connection is reused only once
		// it reached 0
		u.Length = in.ContentLengthN
		u.Keepalive = keep && in.ContentLengthN > 0
	}
	if p.head {
		u.NoStore()
	}
	if in.StatusN == 101 {
		u.Keepalive = false
		if u.R != nil && u.R.In.Upgrade >= 0 {
			u.Upgrade = true
		}
	}
}

// Reinit resets the parse state before the next peer
// (ngx_http_proxy_reinit_request).
func (p *proto) Reinit(u *upstream.Upstream) error {
	p.status.Reset()
	p.header.Reset()
	p.inLines = false
	p.chunked.Reset()
	p.inTrailers = false
	p.tbuf = p.tbuf[:0]
	u.Proto = p
	return nil
}
