package fastcgi

import (
	"errors"
	"strings"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// The response: records decoded as they arrive. Before the head is
// complete, ProcessHeader takes the FCGI_STDOUT content out of its records
// and gathers it, in place, right after the first 8 bytes of the buffer,
// where the CGI head parser reads it (a header line split across records
// is whole there); FCGI_STDERR content is logged and dropped. Once the
// head is parsed, the first 8 bytes become one FCGI_STDOUT record header
// framing the head, so that Buffer[:Pos] is a record stream again (the
// cache stores it and parses it back with ProcessHeader); the body bytes
// gathered after the head and the raw bytes not yet decoded are joined at
// Pos, and the decoder goes on from there in FilterBody.

// ProcessHeader parses the response head
// (ngx_http_fastcgi_process_header).
func (p *proto) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	buf := u.Buffer
	if !p.started {
		p.started = true
		p.w = headerLen
		p.head.Reset(headerLen)
	}
	pos := u.Pos
	p.raw += u.Last - pos // what this read added
	for {
		switch {
		case p.dec.state < stData:
			n, res := p.dec.header(buf[pos:u.Last])
			pos += n
			if res == recMore {
				return p.needMore(u)
			}
			if res != recHeader {
				p.logBadRecord(u, res)
				return upstream.Invalid
			}
			switch p.dec.typ {
			case typeStdout, typeStderr:
			default:
				u.Logf(errlog.Error, nil, "upstream sent unexpected FastCGI record: %d", p.dec.typ)
				return upstream.Invalid
			}
			if p.dec.typ == typeStdout && p.dec.length == 0 {
				u.Logf(errlog.Error, nil, "upstream prematurely closed FastCGI stdout")
				return upstream.Invalid
			}
		case p.dec.state == stPadding:
			pos += p.dec.skipPadding(buf[pos:u.Last])
			if p.dec.state == stPadding {
				return p.needMore(u)
			}
		case p.dec.typ == typeStderr:
			if p.dec.length == 0 {
				p.dec.state = stPadding
				continue
			}
			if pos == u.Last {
				return p.needMore(u)
			}
			msg := p.dec.data(buf[pos:u.Last])
			pos += len(msg)
			if p.stderr(u, msg, true) {
				return upstream.Invalid
			}
			if pos == u.Last && !p.stdout {
				p.raw = 0
			}
		default: // FCGI_STDOUT content
			p.stdout = true
			if pos == u.Last && p.dec.length > 0 {
				return p.needMore(u)
			}
			chunk := p.dec.data(buf[pos:u.Last])
			pos += len(chunk)
			p.w += copy(buf[p.w:], chunk)
			switch rc := p.head.Parse(u, buf[:p.w]); rc {
			case upstream.NeedMore:
				continue
			case upstream.HeaderDone:
				p.headerDone(u, pos)
				return rc
			default:
				return rc
			}
		}
	}
}

// needMore keeps the gathered head and drops the decoded record bytes
// after it. The room left for the next reads is what nginx, which keeps
// the records as read, has left in its buffer of the same size.
func (p *proto) needMore(u *upstream.Upstream) upstream.HeaderResult {
	u.Pos, u.Last = p.w, p.w
	u.End = p.w + p.roomLeft(u)
	return upstream.NeedMore
}

// roomLeft is what nginx's buffer of buffer_size has left once it holds
// the raw bytes read so far. The head's gathered bytes take at most those
// raw bytes plus the headerLen bytes before them (Conf.HeadExtra), so
// that the end it gives is within the buffer.
func (p *proto) roomLeft(u *upstream.Upstream) int {
	return len(u.Buffer) - headerLen - p.raw
}

// headerDone frames the head as one FCGI_STDOUT record, joins the body
// bytes gathered after it with the raw bytes at pos, and leaves the
// decoder inside that record's content for FilterBody.
func (p *proto) headerDone(u *upstream.Upstream, pos int) {
	end := p.head.Pos()
	n := min(end-headerLen, maxContent)
	appendHeader(u.Buffer[:0], typeStdout, n, 0)
	rawLen := copy(u.Buffer[p.w:], u.Buffer[pos:u.Last])
	after := p.w - end
	u.Pos, u.Last = end, p.w+rawLen
	// the room nginx's buffer has left after the head: the body's first
	// buffer (Upstream.FilterFullBuffers)
	u.End = u.Last + p.roomLeft(u)
	if p.dec.state == stPadding {
		p.dec.state, p.dec.length = stData, 0
	}
	p.dec.length += after
}

// logBadRecord logs a record header the decoder refused.
func (p *proto) logBadRecord(u *upstream.Upstream, res recResult) {
	switch res {
	case recBadVersion:
		u.Logf(errlog.Error, nil, "upstream sent unsupported FastCGI protocol version: %d", p.dec.bad)
	case recBadType:
		u.Logf(errlog.Error, nil, "upstream sent invalid FastCGI record type: %d", p.dec.bad)
	case recBadIDHi:
		u.Logf(errlog.Error, nil, "upstream sent unexpected FastCGI request id high byte: %d", p.dec.bad)
	case recBadIDLo:
		u.Logf(errlog.Error, nil, "upstream sent unexpected FastCGI request id low byte: %d", p.dec.bad)
	}
}

// stderr logs FCGI_STDERR content as nginx does (trailing CR, LF, dots
// and spaces dropped). Before the head, it reports whether the content
// holds a fastcgi_catch_stderr string.
func (p *proto) stderr(u *upstream.Upstream, msg []byte, inHead bool) bool {
	end := len(msg)
	for end > 1 {
		c := msg[end-1]
		if c != '\n' && c != '\r' && c != '.' && c != ' ' {
			break
		}
		end--
	}
	u.Logf(errlog.Error, nil, "FastCGI sent in stderr: \"%s\"", msg[:end])
	if !inHead {
		return false
	}
	s := bytesconv.String(msg[:end])
	for _, pat := range p.lc.catch.Get() {
		if strings.Contains(s, pat) {
			return true
		}
	}
	return false
}

// InitBody decides what the body may hold
// (ngx_http_fastcgi_input_filter_init): nothing for 204 and 304, up to
// Content-Length otherwise. With fastcgi_keep_conn and buffering the body
// ends with FCGI_END_REQUEST; otherwise the connection's close may end it
// too.
func (p *proto) InitBody(u *upstream.Upstream) error {
	in := &u.HeadersIn
	switch {
	case in.StatusN == 204 || in.StatusN == 304:
		p.rest = 0
	case u.R != nil && u.R.MethodBit == httpd.MethodHEAD:
		p.rest = -2
	default:
		p.rest = in.ContentLengthN
	}
	u.Keepalive = false
	u.Length = -1
	u.FilterFullBuffers = true
	if p.lc.keepConn.Get() && u.Buffering {
		// the pipe's length is then what the records still need, a
		// record header at first: a close before FCGI_END_REQUEST cuts
		// the response; unbuffered, nginx's u->length stays -1 and a
		// close ends it
		u.Length = headerLen
	}
	return nil
}

var errRecord = errors.New("invalid FastCGI record")

// FilterBody decodes the records of the body: FCGI_STDOUT content is the
// body, FCGI_STDERR content is logged, FCGI_END_REQUEST ends it
// (ngx_http_fastcgi_input_filter and ..._non_buffered_filter). The
// connection is reusable only when FCGI_END_REQUEST's padding is the last
// byte received. With fastcgi_keep_conn and buffering, Length is then the
// least the records need next, as nginx sets its pipe's length: a byte of
// a record header, the padding left, or the content left.
func (p *proto) FilterBody(u *upstream.Upstream, raw []byte) error {
	err := p.filterBody(u, raw)
	if err == nil && p.stdoutEnded && !p.done {
		p.finish(u, false)
	}
	if err == nil && !p.done && u.Buffering && p.lc.keepConn.Get() {
		switch {
		case p.dec.state == stPadding && p.dec.pad > 0:
			u.Length = int64(p.dec.pad)
		case p.dec.state == stData && p.dec.length > 0:
			u.Length = int64(p.dec.length)
		default:
			u.Length = 1
		}
	}
	return err
}

func (p *proto) filterBody(u *upstream.Upstream, raw []byte) error {
	if p.done {
		if len(raw) > 0 {
			u.Keepalive = false // data after the end
		}
		return nil
	}
	for {
		switch {
		case p.dec.state < stData:
			n, res := p.dec.header(raw)
			raw = raw[n:]
			if res == recMore {
				return nil
			}
			if res != recHeader {
				p.logBadRecord(u, res)
				return errRecord
			}
			// the buffered filter ends the body at the end of stdout or
			// at FCGI_END_REQUEST; the unbuffered one only after the
			// latter's padding (ngx_http_fastcgi_input_filter and
			// ..._non_buffered_filter differ there)
			if p.dec.typ == typeStdout && p.dec.length == 0 {
				p.dec.state = stPadding
				if !u.Buffering {
					continue
				}
				if p.rest > 0 {
					u.Logf(errlog.Error, nil, "upstream prematurely closed FastCGI stdout")
					return upstream.ErrBodyShort
				}
				if !p.lc.keepConn.Get() {
					// nginx marks its pipe done and goes on through the
					// rest of the buffer
					p.stdoutEnded = true
				}
				continue
			}
			if p.dec.typ == typeEndRequest && u.Buffering {
				if p.rest > 0 {
					u.Logf(errlog.Error, nil, "upstream prematurely closed FastCGI request")
					return upstream.ErrBodyShort
				}
				if !p.lc.keepConn.Get() {
					p.finish(u, false)
					return nil
				}
			}
		case p.dec.state == stPadding:
			if p.dec.typ == typeEndRequest {
				if !u.Buffering && p.rest > 0 {
					u.Logf(errlog.Error, nil, "upstream prematurely closed FastCGI request")
					return upstream.ErrBodyShort
				}
				if len(raw) < p.dec.pad {
					p.dec.pad -= len(raw)
					return nil
				}
				p.finish(u, len(raw) == p.dec.pad)
				return nil
			}
			raw = raw[p.dec.skipPadding(raw):]
			if p.dec.state == stPadding {
				return nil
			}
		case p.dec.typ == typeStderr:
			if p.dec.length == 0 {
				p.dec.state = stPadding
				continue
			}
			if len(raw) == 0 {
				return nil
			}
			msg := p.dec.data(raw)
			raw = raw[len(msg):]
			p.stderr(u, msg, false)
		case p.dec.typ == typeEndRequest:
			raw = raw[len(p.dec.data(raw)):]
			if p.dec.state == stData {
				return nil
			}
		default: // FCGI_STDOUT content
			if len(raw) == 0 && p.dec.length > 0 {
				return nil
			}
			if p.rest == -2 {
				p.rest = u.HeadersIn.ContentLengthN
			}
			chunk := p.dec.data(raw)
			raw = raw[len(chunk):]
			if len(chunk) == 0 {
				continue
			}
			if p.rest == 0 {
				u.Logf(errlog.Warn, nil, "upstream sent more data than specified in \"Content-Length\" header")
				p.finish(u, false)
				return nil
			}
			if p.rest > 0 {
				if int64(len(chunk)) > p.rest {
					u.Logf(errlog.Warn, nil, "upstream sent more data than specified in \"Content-Length\" header")
					u.Out = append(u.Out, chunk[:p.rest])
					p.finish(u, false)
					return nil
				}
				p.rest -= int64(len(chunk))
			}
			u.Out = append(u.Out, chunk)
		}
	}
}

// finish marks the body complete; keep tells whether the connection may
// be reused. A buffered response without fastcgi_keep_conn still ends
// with the connection's close: nginx's pipe, whose length is unknown
// then, passes what it reads to the filter only once a buffer is full or
// the upstream closed, so the server's last records are read, not cut
// off by an early close.
func (p *proto) finish(u *upstream.Upstream, keep bool) {
	p.done = true
	u.Keepalive = keep && p.lc.keepConn.Get()
	if u.Buffering && !p.lc.keepConn.Get() {
		return
	}
	u.Length = 0
}

// Reinit resets the response state before the next peer
// (ngx_http_fastcgi_reinit_request).
func (p *proto) Reinit(u *upstream.Upstream) error {
	p.dec = decoder{}
	p.head = cgi.Head{}
	p.started = false
	p.w = 0
	p.raw, p.stdout = 0, false
	p.rest = 0
	p.done, p.stdoutEnded = false, false
	return nil
}
