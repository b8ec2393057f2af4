package notmodified

import (
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
)

// Module is the not-modified filter module. It has no directives: the
// core module's if_modified_since and etag say how it behaves.
var Module = &httpd.Module{
	Name: "not_modified_filter",
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(httpd.OrderNotModified, headerFilter)
		return nil
	},
}

// headerFilter answers conditional requests
// (ngx_http_not_modified_header_filter). A failed precondition is
// answered at once with 412 (see httpd.Request.FilterFinalize).
func headerFilter(r *httpd.Request) httpd.Status {
	if r.Out.Status != 200 || r.Main != r || r.DisableNotModified {
		return httpd.OK
	}
	in := &r.In
	if in.IfUnmodifiedSince >= 0 && !unmodifiedSince(r, in.Get(in.IfUnmodifiedSince)) {
		return r.FilterFinalize(412)
	}
	if in.IfMatch >= 0 && !ifMatch(r, in.Get(in.IfMatch), false) {
		return r.FilterFinalize(412)
	}
	if in.IfModifiedSince < 0 && in.IfNoneMatch < 0 {
		return httpd.OK
	}
	if in.IfModifiedSince >= 0 && modifiedSince(r, in.Get(in.IfModifiedSince)) {
		return httpd.OK
	}
	if in.IfNoneMatch >= 0 && !ifMatch(r, in.Get(in.IfNoneMatch), true) {
		return httpd.OK
	}
	out := &r.Out
	out.Status = 304
	out.StatusLine = ""
	out.ContentType, out.ContentTypeLen = "", 0
	out.ClearContentLength()
	out.ClearAcceptRanges()
	out.Delete(out.ContentEncoding)
	out.ContentEncoding = -1
	return httpd.OK
}

// ifMatch tests an If-Match (weak false) or If-None-Match (weak true)
// list against the response's ETag.
func ifMatch(r *httpd.Request, list string, weak bool) bool {
	out := &r.Out
	has := out.ETag >= 0 && out.ETag < len(out.List) && !out.List[out.ETag].Deleted
	etag := ""
	if has {
		etag = out.List[out.ETag].Value
	}
	return etagMatches(list, etag, has, weak)
}

// unmodifiedSince tests If-Unmodified-Since: true when the resource has
// a modification time no later than the date (an unparsable date fails).
func unmodifiedSince(r *httpd.Request, value string) bool {
	lm := r.Out.LastModifiedTime
	if lm == -1 {
		return false
	}
	return http1.ParseHTTPTime(value) >= lm
}

// modifiedSince tests If-Modified-Since under if_modified_since: with
// "exact" only an equal date means not modified, with "before" a date at
// or after the modification time does; "off", or a response without a
// modification time, is always modified.
func modifiedSince(r *httpd.Request, value string) bool {
	lm := r.Out.LastModifiedTime
	if lm == -1 {
		return true
	}
	mode := r.CoreLoc().IfModifiedSince.Get()
	if mode == httpd.IMSOff {
		return true
	}
	ims := http1.ParseHTTPTime(value)
	if ims == lm {
		return false
	}
	return mode == httpd.IMSExact || ims < lm
}
