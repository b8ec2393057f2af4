package rangefilter

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// bodyFilter cuts the body (ngx_http_range_body_filter).
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	ctx := httpd.Ctx[rangeCtx](r, &self)
	if ctx == nil {
		return httpd.OK
	}
	if len(ctx.ranges) == 1 {
		ctx.singlepart(r, c)
		return httpd.OK
	}
	if len(c.Pieces) == 0 {
		return httpd.OK
	}
	if !ctx.covered(c) {
		r.Log().Logf(errlog.Alert, r, nil, "range in overlapped buffers")
		return httpd.Error
	}
	ctx.multipart(c)
	return httpd.OK
}

// singlepart keeps what of the pieces falls in the range, in place; the
// chain that completes the range is marked last, and anything after it
// is dropped.
func (ctx *rangeCtx) singlepart(r *httpd.Request, c *httpd.Chain) {
	rg := ctx.ranges[0]
	wasEnded := ctx.ended
	kept := c.Pieces[:0]
	for _, p := range c.Pieces {
		start := ctx.offset
		last := start + p.Len()
		ctx.offset = last
		if rg.End <= start || rg.Start >= last {
			continue
		}
		if rg.Start > start {
			cutFront(&p, rg.Start-start)
		}
		if rg.End <= last {
			cutBack(&p, last-rg.End)
			ctx.ended = true
		}
		kept = append(kept, p)
	}
	c.Pieces = kept
	switch {
	case ctx.ended && !wasEnded:
		// a subrequest's range ends its part only (nginx's last_in_chain)
		c.Last = r == r.Main
	case wasEnded:
		c.Last = false
	}
}

// covered reports whether the chain, the first output of the body, holds
// every range (nginx serves several ranges only from a single buffer).
func (ctx *rangeCtx) covered(c *httpd.Chain) bool {
	if ctx.offset != 0 {
		return false
	}
	size := c.Size()
	for _, rg := range ctx.ranges {
		if rg.End > size {
			return false
		}
	}
	ctx.offset = size
	return true
}

// multipart replaces the chain's pieces with the multipart body: each
// range's part header and bytes, then the closing boundary.
func (ctx *rangeCtx) multipart(c *httpd.Chain) {
	ps := ctx.pieces[:0]
	for i, rg := range ctx.ranges {
		ps = append(ps, httpd.Piece{Data: ctx.boundary})
		ps = append(ps, httpd.Piece{Data: ctx.texts[ctx.spans[i]:ctx.spans[i+1]]})
		ps = appendSlice(ps, c.Pieces, rg.Start, rg.End)
	}
	ps = append(ps, httpd.Piece{Data: ctx.tail})
	ctx.pieces = ps
	c.Pieces = ps
	c.Last = true
}

// appendSlice appends the pieces that make up bytes [start, end) of the
// concatenation of src.
func appendSlice(dst, src []httpd.Piece, start, end int64) []httpd.Piece {
	var off int64
	for _, p := range src {
		pStart, pEnd := off, off+p.Len()
		off = pEnd
		if pEnd <= start || pStart >= end {
			continue
		}
		if start > pStart {
			cutFront(&p, start-pStart)
		}
		if end < pEnd {
			cutBack(&p, pEnd-end)
		}
		dst = append(dst, p)
	}
	return dst
}

// cutFront drops n bytes from the start of a piece.
func cutFront(p *httpd.Piece, n int64) {
	if p.File != nil {
		p.Off += n
		p.N -= n
		return
	}
	p.Data = p.Data[n:]
}

// cutBack drops n bytes from the end of a piece.
func cutBack(p *httpd.Piece, n int64) {
	if p.File != nil {
		p.N -= n
		return
	}
	p.Data = p.Data[:int64(len(p.Data))-n]
}
