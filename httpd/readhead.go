package httpd

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/buf"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// readHead reads and parses the request line and headers from the
// connection (ngx_http_process_request_line and
// ngx_http_process_request_headers). It returns OK when the head is
// complete, an HTTP status to answer with, or Done when the request ended
// without an answer (timeout, closed connection).
func (r *Request) readHead() Status {
	c := r.conn
	cs := r.CoreSrv()
	// client_header_timeout is armed by the first read that waits: most
	// heads arrive whole, and a deadline costs a timer change each way
	c.headArmed = false
	defer c.disarmHead()

	var rl http1.RequestLine
	rl.Pos = c.pos
	r.action = "reading client request line"
	if r.Pipeline {
		r.action = "reading client pipelined request line"
	}
	for {
		res := rl.Parse(c.in[:c.last])
		if res == http1.OK {
			break
		}
		if res != http1.NeedMore {
			if rl.Version >= 1000 || res == http1.Invalid09Method {
				// an HTTP/0.9 request gets its error page as HTTP/0.9:
				// the body alone (nginx sets the version before it checks
				// the method)
				r.HTTPVersion = rl.Version
			}
			r.partialLine = r.lineSoFar(rl.RequestStart)
			r.logf(errlog.Info, nil, "%s", res.LogText())
			return Status(res.Status())
		}
		if c.last == len(c.in) {
			if !rl.InProgress() {
				// the client fills the buffer with CR LF: start over
				c.pos, c.last = 0, 0
				rl.Reset()
			} else if !c.growHead(rl.RequestStart, cs, func(n int) { rl.Shift(n) }) {
				r.RequestLine = bytesconv.String(c.in[rl.RequestStart:c.last])
				r.logf(errlog.Info, nil, "client sent too long URI")
				r.LingeringClose = true
				return 414
			}
		}
		if st := r.readMore(rl.RequestStart); st != OK {
			return st
		}
	}
	if st := r.setRequestLine(&rl); st != OK {
		return st
	}
	r.RequestLength = int64(rl.Pos - rl.RequestStart)
	if r.HTTPVersion < 1000 {
		c.pos = rl.Pos
		if r.In.Server == "" {
			r.setVirtualServer("")
		}
		return OK
	}

	r.action = "reading client request headers"
	var hp http1.HeaderParser
	hp.Pos = rl.Pos
	// lineStart is where the header line being parsed starts: each line
	// counts in $request_length once parsed, as nginx counts them
	lineStart := rl.Pos
	lowBuf := make([]byte, 0, 64)
	// an HTTP/2 head has lines nginx does not count against max_headers
	uncounted := 0
	if h2 := c.act.h2; h2 != nil {
		uncounted = h2.uncounted
	}
	for {
		cs = r.CoreSrv() // the Host header may change the server
		hp.AllowUnderscores = cs.UnderscoresInHeaders.Get()
		res := hp.Parse(c.in[:c.last])
		switch res {
		case http1.OK:
			r.RequestLength += int64(hp.Pos - lineStart)
			lineStart = hp.Pos
			line := c.in[:c.last]
			if hp.Invalid && cs.IgnoreInvalidHeaders.Get() {
				r.logf(errlog.Info, nil, "client sent invalid header line: \"%s\"", line[hp.NameStart:hp.ValueEnd])
				continue
			}
			if len(r.In.List) >= cs.MaxHeaders.Get()+uncounted {
				r.LingeringClose = true
				r.logf(errlog.Info, nil, "client sent too many header lines")
				return StatusRequestHeaderTooLarge
			}
			name := hp.Name(line)
			low := hp.LowerName()
			if low == nil {
				lowBuf = ascii.AppendLower(lowBuf[:0], name)
				low = lowBuf
			}
			if st := r.addHeader(bytesconv.String(name), string(low), bytesconv.String(hp.Value(line))); st != OK {
				return st
			}
			continue
		case http1.HeaderDone:
			c.pos = hp.Pos
			r.RequestLength += int64(hp.Pos - lineStart)
			// the action stays "reading client request headers" for the
			// checks of the complete head (processRequestHeader)
			return OK
		case http1.NeedMore:
			if c.last == len(c.in) {
				start := hp.NameStart
				if !hp.InProgress() {
					start = c.last
				}
				if !c.growHead(start, cs, func(n int) { hp.Shift(n); lineStart -= n }) {
					r.LingeringClose = true
					if !hp.InProgress() {
						r.logf(errlog.Info, nil, "client sent too large request")
					} else {
						l := c.in[hp.NameStart:c.last]
						if len(l) > 2048-300 {
							l = l[:2048-300]
						}
						r.logf(errlog.Info, nil, "client sent too long header line: \"%s...\"", l)
					}
					return StatusRequestHeaderTooLarge
				}
			}
			if st := r.readMore(-1); st != OK {
				return st
			}
		default:
			line := c.in[:c.last]
			end := hp.ValueEnd
			if end < hp.NameStart {
				end = hp.NameStart
			}
			if end >= len(line) {
				end = len(line) - 1
			}
			r.logf(errlog.Info, nil, "client sent invalid header line: \"%s\\x%02x...\"", line[hp.NameStart:end], line[end])
			return 400
		}
	}
}

// lineSoFar is the request line received so far, for log lines.
func (r *Request) lineSoFar(start int) string {
	c := r.conn
	if start < 0 {
		return ""
	}
	end := start
	for end < c.last && c.in[end] != '\r' && c.in[end] != '\n' {
		end++
	}
	return bytesconv.String(c.in[start:end])
}

// readMore reads more of the head into the current buffer. It returns OK,
// or Done after logging when the client timed out or went away.
func (r *Request) readMore(lineStart int) Status {
	c := r.conn
	if !c.headArmed {
		if c.requests == 1 {
			c.nc.SetReadDeadline(c.firstDeadline())
		} else {
			c.nc.SetReadDeadline(time.Now().Add(r.CoreSrv().ClientHeaderTimeout.Get()))
		}
		c.headArmed = true
	}
	n, err := c.nc.Read(c.in[c.last:])
	if n > 0 {
		c.last += n
		return OK
	}
	if lineStart >= 0 {
		r.partialLine = r.lineSoFar(lineStart)
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.logf(errlog.Info, errTimedOut, "client timed out")
		c.timedOut = true
		r.terminate(408)
	case err == nil || errors.Is(err, io.EOF):
		r.logf(errlog.Info, nil, "client prematurely closed connection")
		c.failed = true
		r.terminate(400)
	default:
		r.logf(errlog.Info, err, "%s failed", c.readCall())
		c.failed = true
		r.terminate(400)
	}
	return Done
}

// growHead moves the part of the head from start onwards into a large
// header buffer (ngx_http_alloc_large_header_buffer). It fails when the
// part does not fit one large buffer or all of them are in use.
func (c *conn) growHead(start int, cs *CoreSrvConf, shift func(int)) bool {
	lb := cs.LargeClientHeaderBuffers.Get()
	used := c.last - start
	if used >= int(lb.Size) || len(c.large) >= lb.Num {
		return false
	}
	nb := buf.Get(int(lb.Size))
	copy(nb, c.in[start:c.last])
	// The old buffer may hold strings of headers already parsed: keep it
	// until the request ends (a large buffer is kept by c.large already:
	// listing it twice would return it to the pool twice).
	if !c.isLarge(c.in) {
		c.retired = append(c.retired, c.in)
	}
	c.large = append(c.large, nb)
	c.in = nb
	c.last = used
	c.pos = 0
	shift(start)
	return true
}

// isLarge reports whether b is one of the request's large header buffers.
func (c *conn) isLarge(b []byte) bool {
	for _, l := range c.large {
		if sameBuffer(l, b) {
			return true
		}
	}
	return false
}

// setRequestLine fills the request from a parsed request line
// (ngx_http_process_request_line / ngx_http_process_request_uri).
func (r *Request) setRequestLine(rl *http1.RequestLine) Status {
	c := r.conn
	b := c.in[:c.last]
	r.RequestLine = bytesconv.String(b[rl.RequestStart:rl.RequestEnd])
	r.Method = bytesconv.String(b[rl.RequestStart:rl.MethodEnd])
	r.MethodBit = methodBit(rl.Method)
	r.HTTPVersion = rl.Version
	if rl.ProtocolStart >= 0 {
		r.Protocol = bytesconv.String(b[rl.ProtocolStart:rl.RequestEnd])
	}
	r.UnparsedURI = bytesconv.String(b[rl.URIStart:rl.URIEnd])
	r.ValidUnparsedURI = !rl.EmptyPathInURI
	r.ComplexURI, r.QuotedURI, r.PlusInURI, r.EmptyPathInURI = rl.ComplexURI, rl.QuotedURI, rl.PlusInURI, rl.EmptyPathInURI
	if rl.ComplexURI || rl.QuotedURI || rl.EmptyPathInURI {
		src := b[rl.URIStart:rl.URIEnd]
		dst := r.scratchBytes(http1.ComplexURIDstLen(src))
		res, st := http1.ParseComplexURI(dst, src, rl.EmptyPathInURI, r.CoreSrv().MergeSlashes.Get())
		if st != http1.OK {
			r.logf(errlog.Info, nil, "client sent invalid request")
			return 400
		}
		r.URI = bytesconv.String(dst[:res.Len])
		r.QuotedURI = res.QuotedURI
		r.PlusInURI = r.PlusInURI || res.PlusInURI
		if res.ExtStart >= 0 {
			r.Exten = bytesconv.String(dst[res.ExtStart:res.Len])
		}
		if res.ArgsStart >= 0 {
			r.Args = bytesconv.String(src[res.ArgsStart:res.ArgsEnd])
		}
	} else {
		end := rl.URIEnd
		if rl.ArgsStart >= 0 {
			end = rl.ArgsStart - 1
			r.Args = bytesconv.String(b[rl.ArgsStart:rl.URIEnd])
		}
		r.URI = bytesconv.String(b[rl.URIStart:end])
		if rl.ExtStart >= 0 {
			r.Exten = bytesconv.String(b[rl.ExtStart:end])
		}
	}
	if rl.SchemaStart >= 0 {
		r.Schema = bytesconv.String(b[rl.SchemaStart:rl.SchemaEnd])
	}
	if rl.HostStart >= 0 {
		host, port, ok := http1.ValidateHost(nil, b[rl.HostStart:rl.HostEnd])
		if !ok {
			r.logf(errlog.Info, nil, "client sent invalid host in request line")
			return 400
		}
		h := bytesconv.String(host)
		r.setVirtualServer(h)
		r.In.Server, r.In.Port = h, port
	}
	return OK
}

// scratchBytes returns n bytes of request scratch memory.
func (r *Request) scratchBytes(n int) []byte {
	start := len(r.scratch)
	for cap(r.scratch)-start < n {
		r.scratch = append(r.scratch[:cap(r.scratch)], 0)[:start]
	}
	r.scratch = r.scratch[:start+n]
	return r.scratch[start : start+n : start+n]
}

func methodBit(m http1.Method) uint32 {
	switch m {
	case http1.MethodGet:
		return MethodGET
	case http1.MethodHead:
		return MethodHEAD
	case http1.MethodPost:
		return MethodPOST
	case http1.MethodPut:
		return MethodPUT
	case http1.MethodDelete:
		return MethodDELETE
	case http1.MethodMkcol:
		return MethodMKCOL
	case http1.MethodCopy:
		return MethodCOPY
	case http1.MethodMove:
		return MethodMOVE
	case http1.MethodOptions:
		return MethodOPTIONS
	case http1.MethodPropfind:
		return MethodPROPFIND
	case http1.MethodProppatch:
		return MethodPROPPATCH
	case http1.MethodLock:
		return MethodLOCK
	case http1.MethodUnlock:
		return MethodUNLOCK
	case http1.MethodPatch:
		return MethodPATCH
	case http1.MethodTrace:
		return MethodTRACE
	case http1.MethodConnect:
		return MethodCONNECT
	}
	return MethodUnknown
}

// disarmHead clears the deadline readMore set.
func (c *conn) disarmHead() {
	if c.headArmed {
		c.nc.SetReadDeadline(time.Time{})
		c.headArmed = false
	}
}
