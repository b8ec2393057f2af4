package slice

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// headerFilter checks a slice's head and presents it as part of the whole
// response (ngx_http_slice_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	ctx := httpd.Ctx[sliceCtx](r, &self)
	if ctx == nil {
		return httpd.OK
	}
	out := &r.Out
	if out.Status != 206 {
		if r == r.Main {
			httpd.SetCtx[sliceCtx](r, &self, nil)
			return httpd.OK
		}
		return fail(r, "unexpected status code %d in slice response", out.Status)
	}
	etag, hasETag := out.Get(out.ETag), out.ETag >= 0
	if ctx.etag != "" && (!hasETag || etag != ctx.etag) {
		return fail(r, "etag mismatch in slice response")
	}
	if hasETag {
		ctx.etag = etag
	}
	cr, ok := parseContentRange(out.Get(out.ContentRange))
	if out.ContentRange < 0 || !ok {
		return fail(r, "invalid range in slice response")
	}
	if cr.Complete == -1 {
		return fail(r, "no complete length in slice response")
	}
	size := httpd.LocConf[LocConf](r, &self).Size.Get()
	end := min(cr.Start+size, cr.Complete)
	if cr.Start != ctx.start || cr.End != end {
		return fail(r, "unexpected range in slice response: %d-%d", cr.Start, cr.End)
	}
	ctx.start = end
	ctx.active = true
	ctx.complete = cr.Complete

	out.Status = 200
	out.StatusLine = ""
	out.ContentLengthN = cr.Complete
	out.ContentOffset = cr.Start
	out.Delete(out.ContentRange)
	out.ContentRange = -1
	out.ClearAcceptRanges()
	r.AllowRanges = true
	r.SubrequestRanges = true
	r.SingleRange = true
	return httpd.OK
}

// fail logs why a slice is refused and fails the request: the response
// is cut and the connection closed.
func fail(r *httpd.Request, format string, args ...any) httpd.Status {
	r.Log().Logf(errlog.Error, r, nil, format, args...)
	return httpd.Error
}

// bodyFilter fetches the following slices once the main request's body
// ended (ngx_http_slice_body_filter).
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	ctx := httpd.Ctx[sliceCtx](r, &self)
	if ctx == nil || r != r.Main {
		return httpd.OK
	}
	if !ctx.endKnown {
		// what the filters after this one made of the head
		// (the end of nginx's header filter, for the main request)
		ctx.endKnown = true
		size := httpd.LocConf[LocConf](r, &self).Size.Get()
		switch out := &r.Out; out.Status {
		case 206:
			if ctx.start+size <= out.ContentOffset {
				ctx.start = size * (out.ContentOffset / size)
			}
			ctx.end = out.ContentOffset + out.ContentLengthN
		case 200:
			ctx.end = ctx.complete
		default:
			// a special response replaced the head (nginx's
			// ngx_http_filter_finalize_request forgets every context)
			httpd.SetCtx[sliceCtx](r, &self, nil)
			return httpd.OK
		}
	}
	if !c.Last || r.HeaderOnly {
		return httpd.OK
	}
	// this slice's body goes on; the response ends after the last slice
	if rc := r.PassBodyOn(order, c); rc != httpd.OK {
		return rc
	}
	size := httpd.LocConf[LocConf](r, &self).Size.Get()
	for {
		if !ctx.active {
			r.Log().Logf(errlog.Error, r, nil, "missing slice response")
			return httpd.Error
		}
		if ctx.start >= ctx.end {
			break
		}
		ctx.setRange(size)
		ctx.active = false
		_, rc := r.SubrequestPrepared("", "", httpd.SubrequestClone, nil, func(sr *httpd.Request) {
			httpd.SetCtx(sr, &self, ctx)
		})
		if rc != httpd.OK {
			return httpd.Error
		}
	}
	httpd.SetCtx[sliceCtx](r, &self, nil)
	c.Last = true
	return httpd.OK
}
