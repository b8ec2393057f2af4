package imagefilter

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// phase is where a response is in the filter (nginx's NGX_HTTP_IMAGE_*).
type phase uint8

const (
	phaseStart phase = iota // nothing seen yet
	phaseRead               // gathering the image
	phasePass               // the head is out; the rest goes through
	phaseDone               // the answer is complete; nothing more goes out
)

// ctx is the state of one response in the filter.
type ctx struct {
	phase phase
	typ   Type
	// limit is how much may be gathered: the Content-Length, or
	// image_filter_buffer when there is none.
	limit int64
	data  []byte
	// fileBuf reads file pieces.
	fileBuf []byte
}

// headerFilter holds the response head back until the body tells what
// the answer is (ngx_http_image_header_filter). It lets through a 304, the
// special response that replaces a failed image (the context is there
// already: it is dropped), and any response where image_filter is off.
// A multipart/x-mixed-replace response fails (an error line, the
// connection closes); one whose Content-Length is over
// image_filter_buffer is answered 415.
func headerFilter(r *httpd.Request) httpd.Status {
	out := &r.Out
	if out.Status == 304 {
		return httpd.OK
	}
	if x := httpd.Ctx[ctx](r, &self); x != nil {
		httpd.SetCtx[ctx](r, &self, nil)
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc.Filter.Get().Mode == Off {
		return httpd.OK
	}
	const multipart = "multipart/x-mixed-replace"
	if len(out.ContentType) >= len(multipart) && ascii.EqualFold(out.ContentType[:len(multipart)], multipart) {
		r.Log().Logf(errlog.Error, r, nil, "image filter: multipart/x-mixed-replace response")
		return httpd.Error
	}
	x := &ctx{}
	httpd.SetCtx(r, &self, x)
	n, limit := out.ContentLengthN, lc.Buffer.Get()
	if n != -1 && n > limit {
		r.Log().Logf(errlog.Error, r, nil, "image filter: too big response: %d", n)
		return 415
	}
	x.limit = limit
	if n != -1 {
		x.limit = n
	}
	if out.Refresh >= 0 {
		out.Delete(out.Refresh)
		out.Refresh = -1
	}
	r.AllowRanges = false
	r.HoldHeader()
	return httpd.OK
}

// bodyFilter gathers the image and sends the answer
// (ngx_http_image_body_filter).
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil {
		return httpd.OK
	}
	if len(c.Pieces) == 0 && !c.Last {
		if x.phase != phasePass {
			c.Flush = false // nothing goes out before the head
		}
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	switch x.phase {
	case phaseStart:
		x.typ = Sniff(firstBytes(c))
		mode := lc.Filter.Get().Mode
		if x.typ == None {
			if mode == SizeJSON {
				x.phase = phaseDone
				return x.send(r, c, jsonBody(r, nil))
			}
			c.Reset()
			return r.FilterFinalize(415)
		}
		r.Out.ContentType = x.typ.MIME()
		r.Out.ContentTypeLen = len(r.Out.ContentType)
		if mode == Test {
			x.phase = phasePass
			if rc := r.NextHeaderFilter(order); rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
				c.Reset()
				return httpd.Error
			}
			return httpd.OK
		}
		x.phase = phaseRead
		fallthrough
	case phaseRead:
		last := c.Last
		if rc := x.read(r, c); rc != httpd.OK {
			return rc
		}
		if !last {
			return httpd.OK
		}
		body := x.process(r, lc)
		if body == nil {
			return r.FilterFinalize(415)
		}
		x.phase = phasePass
		return x.send(r, c, body)
	case phasePass:
		return httpd.OK
	}
	c.Reset()
	return httpd.Error
}

// firstBytes returns the first bytes of the chain's first piece, enough to tell
// the format: nginx looks at its first buffer only.
func firstBytes(c *httpd.Chain) []byte {
	if len(c.Pieces) == 0 {
		return nil
	}
	p := &c.Pieces[0]
	if p.File == nil {
		return p.Data
	}
	var b [16]byte
	n, _ := p.File.ReadAt(b[:min(p.N, int64(len(b)))], p.Off)
	return b[:n]
}

// read gathers the chain's bytes into the image and empties the chain
// (ngx_http_image_read). More than the limit is "too big": 415.
func (x *ctx) read(r *httpd.Request, c *httpd.Chain) httpd.Status {
	add := func(b []byte, _ int64) httpd.Status {
		if int64(len(x.data))+int64(len(b)) > x.limit {
			r.Log().Logf(errlog.Error, r, nil, "image filter: too big response")
			return 415
		}
		x.data = append(x.data, b...)
		return httpd.OK
	}
	for i := range c.Pieces {
		p := &c.Pieces[i]
		rc := httpd.OK
		if p.File == nil {
			rc = add(p.Data, 0)
		} else {
			if x.fileBuf == nil {
				x.fileBuf = make([]byte, fileChunk)
			}
			rc = p.ReadFile(r, x.fileBuf, add)
		}
		if rc != httpd.OK {
			c.Reset()
			if rc == 415 {
				return r.FilterFinalize(415)
			}
			return rc
		}
	}
	c.Reset()
	return httpd.OK
}

// fileChunk is how much of a file body is read at once (nginx's
// output_buffers default).
const fileChunk = 32768

// send sends the held head, then body as the whole response
// (ngx_http_image_send). A HEAD request ends with the head. After the
// JSON for a response that is no image (phaseDone) the connection closes,
// as nginx returns NGX_ERROR there.
func (x *ctx) send(r *httpd.Request, c *httpd.Chain, body []byte) httpd.Status {
	c.Reset()
	if rc := r.NextHeaderFilter(order); rc == httpd.Error || rc > httpd.OK || r.HeaderOnly {
		return httpd.Error
	}
	out := httpd.Chain{Last: true}
	out.Append(body)
	rc := r.NextBodyFilter(order, &out)
	if x.phase == phaseDone && rc == httpd.OK {
		return httpd.Error
	}
	return rc
}
