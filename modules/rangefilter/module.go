package rangefilter

import (
	"math"
	"strconv"
	"sync/atomic"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for its per-request context.
var self httpd.Handle

// Module is the range filter module: a header filter and a body filter
// at httpd.OrderRange. It has no directives of its own; max_ranges is the
// core module's.
var Module = &httpd.Module{
	Name:   "range_filter",
	Handle: &self,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(httpd.OrderRange, headerFilter)
		cf.AddBodyFilter(httpd.OrderRange, bodyFilter)
		return nil
	},
}

// rangeCtx is the state of a response being cut into ranges.
type rangeCtx struct {
	ranges []Range
	// offset is how much of the whole body went through the body filter.
	offset int64
	// ended is set once the single range was sent completely.
	ended bool
	// boundary is the part header before each range of a multipart body,
	// CRLF "--BOUNDARY" CRLF ["Content-Type: ..." CRLF] "Content-Range:
	// bytes "; ranges' texts follow it, "S-E/LENGTH" CRLF CRLF, each
	// spanning spans[i]; tail is the closing CRLF "--BOUNDARY--" CRLF.
	boundary []byte
	texts    []byte
	spans    []int
	tail     []byte
	pieces   []httpd.Piece
	store    [1]Range
}

// boundaryCounter numbers multipart boundaries as nginx's temp number
// does: zero-padded to 20 digits, from 0.
var boundaryCounter atomic.Uint64

// boundaryLen is the width of a boundary (nginx's NGX_ATOMIC_T_LEN).
const boundaryLen = 20

// headerFilter decides how a response is cut (ngx_http_range_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	out := &r.Out
	if r.HTTPVersion < 1000 || out.Status != 200 || (r.Main != r && !r.SubrequestRanges) || out.ContentLengthN == -1 || !r.AllowRanges {
		return httpd.OK
	}
	maxRanges := r.CoreLoc().MaxRanges.Get()
	if maxRanges == 0 {
		return httpd.OK
	}
	if !wantsRanges(r) {
		acceptRanges(r)
		return httpd.OK
	}
	ctx := &rangeCtx{offset: out.ContentOffset}
	if r.SingleRange {
		maxRanges = 1
	}
	spec := r.In.Get(r.In.Range)[6:]
	ranges, res := ParseRanges(spec, out.ContentLengthN, maxRanges, ctx.store[:0])
	switch res {
	case NotSatisfiable:
		return notSatisfiable(r)
	case Whole:
		acceptRanges(r)
		return httpd.OK
	}
	ctx.ranges = ranges
	httpd.SetCtx(r, &self, ctx)
	out.Status = 206
	out.StatusLine = ""
	if len(ranges) == 1 {
		singlepartHeader(r, ctx)
	} else {
		multipartHeader(r, ctx)
	}
	return httpd.OK
}

// wantsRanges reports whether the request has a "bytes=" Range header
// that If-Range, when present, lets apply: an entity tag (a value ending
// in '"') must equal the response's ETag, a date its Last-Modified time.
func wantsRanges(r *httpd.Request) bool {
	v := r.In.Get(r.In.Range)
	if r.In.Range < 0 || len(v) < 7 || !prefixFold(v, "bytes=") {
		return false
	}
	if r.In.IfRange < 0 {
		return true
	}
	ir := r.In.Get(r.In.IfRange)
	out := &r.Out
	if len(ir) >= 2 && ir[len(ir)-1] == '"' {
		etag := out.Get(out.ETag)
		return out.ETag >= 0 && etag != "" && ir == etag
	}
	if out.LastModifiedTime == -1 {
		return false
	}
	return http1.ParseHTTPTime(ir) == out.LastModifiedTime
}

// prefixFold reports whether s starts with the lower-case prefix,
// ignoring ASCII case.
func prefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// acceptRanges announces "Accept-Ranges: bytes".
func acceptRanges(r *httpd.Request) {
	r.Out.ClearAcceptRanges()
	r.Out.AcceptRanges = r.Out.Add("Accept-Ranges", "bytes")
}

// setContentRange replaces the Content-Range header.
func setContentRange(r *httpd.Request, v string) {
	out := &r.Out
	out.Delete(out.ContentRange)
	out.ContentRange = out.Add("Content-Range", v)
}

// dropContentLength removes a Content-Length header line, keeping
// ContentLengthN (which the caller sets).
func dropContentLength(r *httpd.Request) {
	r.Out.Delete(r.Out.ContentLength)
	r.Out.ContentLength = -1
}

// notSatisfiable answers 416 with "Content-Range: bytes */LENGTH"
// (ngx_http_range_not_satisfiable).
func notSatisfiable(r *httpd.Request) httpd.Status {
	out := &r.Out
	out.Status = 416
	setContentRange(r, "bytes */"+strconv.FormatInt(out.ContentLengthN, 10))
	out.ClearContentLength()
	return 416
}

// singlepartHeader describes one range: Content-Range and the range's
// length.
func singlepartHeader(r *httpd.Request, ctx *rangeCtx) {
	out := &r.Out
	rg := ctx.ranges[0]
	b := make([]byte, 0, 64)
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, rg.Start, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, rg.End-1, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, out.ContentLengthN, 10)
	setContentRange(r, string(b))
	out.ContentOffset = rg.Start
	out.ContentLengthN = rg.End - rg.Start
	dropContentLength(r)
}

// multipartHeader turns the response into multipart/byteranges: it
// prepares each part's header and computes the body's length.
func multipartHeader(r *httpd.Request, ctx *rangeCtx) {
	out := &r.Out
	var num [boundaryLen]byte
	n := strconv.AppendUint(num[:0], boundaryCounter.Add(1)-1, 10)
	boundary := make([]byte, boundaryLen)
	for i := range boundary {
		boundary[i] = '0'
	}
	copy(boundary[boundaryLen-len(n):], n)

	b := make([]byte, 0, 4+boundaryLen+16+len(out.ContentType)+len(out.Charset)+32)
	b = append(b, "\r\n--"...)
	b = append(b, boundary...)
	b = append(b, "\r\n"...)
	switch {
	case out.ContentTypeLen == len(out.ContentType) && out.Charset != "":
		b = append(b, "Content-Type: "...)
		b = append(b, out.ContentType...)
		b = append(b, "; charset="...)
		b = append(b, out.Charset...)
		b = append(b, "\r\n"...)
	case out.ContentType != "":
		b = append(b, "Content-Type: "...)
		b = append(b, out.ContentType...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Content-Range: bytes "...)
	ctx.boundary = b

	ctx.tail = make([]byte, 0, 4+boundaryLen+4)
	ctx.tail = append(ctx.tail, "\r\n--"...)
	ctx.tail = append(ctx.tail, boundary...)
	ctx.tail = append(ctx.tail, "--\r\n"...)

	ct := "multipart/byteranges; boundary=" + string(boundary)
	out.ContentType, out.ContentTypeLen, out.Charset = ct, len(ct), ""

	total := int64(len(ctx.tail))
	ctx.spans = make([]int, 0, len(ctx.ranges)+1)
	ctx.spans = append(ctx.spans, 0)
	for _, rg := range ctx.ranges {
		start := len(ctx.texts)
		ctx.texts = strconv.AppendInt(ctx.texts, rg.Start, 10)
		ctx.texts = append(ctx.texts, '-')
		ctx.texts = strconv.AppendInt(ctx.texts, rg.End-1, 10)
		ctx.texts = append(ctx.texts, '/')
		ctx.texts = strconv.AppendInt(ctx.texts, out.ContentLengthN, 10)
		ctx.texts = append(ctx.texts, "\r\n\r\n"...)
		ctx.spans = append(ctx.spans, len(ctx.texts))
		total += int64(len(ctx.boundary)+len(ctx.texts)-start) + rg.End - rg.Start
	}
	out.ContentLengthN = total
	dropContentLength(r)
	out.Delete(out.ContentRange)
	out.ContentRange = -1
}

// maxInt32 is max_ranges' default, which means "no limit".
const maxInt32 = math.MaxInt32
