package httpd

import "github.com/sluicehq/sluice/errlog"

// The postpone stage: where a subrequest's body leaves its own filters
// (ngx_http_postpone_filter). nginx's postpone filter keeps the output of
// requests that are not yet "active" until their turn; subrequests here run
// synchronously, in document order, so the stage only routes: the body of
// an in-memory subrequest is collected, any other goes through the main
// request's remaining filters, its chunked framing and its writer.

// OrderPostpone is the order of the postpone stage among body filters:
// filters up to it see a subrequest's body with the subrequest as the
// request, filters after it (and the chunked framing) with the main
// request. Filters that issue subrequests (SSI, addition) sit before it.
const OrderPostpone = 80

// NextBodyFilter passes c to the body filters after order — the filters
// that follow the caller's, then the postpone stage and the writer — the
// way an nginx filter calls ngx_http_next_body_filter. A filter that
// sends output itself before returning (SSI before a subrequest, addition
// after the body) uses it, then empties the chain it was given.
func (r *Request) NextBodyFilter(order int, c *Chain) Status {
	fs := r.Config.filters.body
	i := 0
	for i < len(fs) && fs[i].order <= order {
		i++
	}
	return r.outputFrom(i, c)
}

// PassBodyOn sends c through the filters after order without marking the
// end of the response, then empties c: what a filter that adds output
// after a body (a subrequest's, at its Last) does first (the addition and
// slice filters). The caller ends the response later with a chain whose
// Last is set.
func (r *Request) PassBodyOn(order int, c *Chain) Status {
	c.Last = false
	rc := r.NextBodyFilter(order, c)
	c.Reset()
	return rc
}

// outputSub runs a subrequest's body from filter i on.
func (r *Request) outputSub(i int, c *Chain) Status {
	s := r.sub
	if s.flags&(SubrequestBackground|SubrequestHeaderOnly) != 0 {
		// nothing of a background or header-only subrequest reaches the
		// client
		c.Pieces = c.Pieces[:0]
		return OK
	}
	if !s.output && c.Size() > 0 {
		s.output = true
	}
	fs := r.Config.filters.body
	rc := OK
	for ; i < len(fs) && fs[i].order <= OrderPostpone; i++ {
		if rc = fs[i].f(r, c); rc != OK {
			break
		}
	}
	if rc == OK {
		if s.flags&SubrequestInMemory != 0 {
			rc = r.collect(c)
		} else {
			rc = r.Main.passSubrequest(i, c)
		}
	}
	if rc == Error {
		// as ngx_http_output_filter: an error from any filter fails the
		// connection
		r.conn.failed = true
	}
	return rc
}

// passSubrequest sends a subrequest's body through the main request's
// filters from i on, its chunked framing and writer. The end of a
// subrequest's body is not the end of the response: Last is withheld.
// r is the main request.
func (r *Request) passSubrequest(i int, c *Chain) Status {
	last := c.Last
	c.Last = false
	defer func() { c.Last = last }()
	fs := r.Config.filters.body
	for ; i < len(fs); i++ {
		if rc := fs[i].f(r, c); rc != OK {
			return rc
		}
	}
	if r.HeaderOnly {
		c.Pieces = c.Pieces[:0]
	}
	if len(c.Pieces) == 0 && !c.Flush {
		return OK
	}
	if r.Chunked {
		r.chunkBody(c)
	}
	return r.write(c)
}

// collect keeps an in-memory subrequest's body
// (ngx_http_postpone_filter_in_memory): one buffer of
// subrequest_output_buffer_size, or of the Content-Length when it is known
// and smaller.
func (r *Request) collect(c *Chain) Status {
	s := r.sub
	if !s.outSet {
		size := r.Loc.core.SubrequestOutputBufferSize.Get()
		if n := r.Out.ContentLengthN; n != -1 {
			if n > size {
				r.logf(errlog.Error, nil, "too big subrequest response: %d", n)
				return Error
			}
			size = n
		}
		s.out = make([]byte, 0, size)
		s.outSet = true
	}
	for k := range c.Pieces {
		p := &c.Pieces[k]
		n := p.Len()
		if n > int64(cap(s.out)-len(s.out)) {
			r.logf(errlog.Error, nil, "too big subrequest response")
			return Error
		}
		if p.File == nil {
			s.out = append(s.out, p.Data...)
			continue
		}
		at := len(s.out)
		s.out = s.out[:at+int(n)]
		if _, err := p.File.ReadAt(s.out[at:], p.Off); err != nil {
			s.out = s.out[:at]
			r.logf(errlog.Crit, err, "pread() \"%s\" failed", p.File.Name())
			return Error
		}
	}
	c.Pieces = c.Pieces[:0]
	return OK
}
