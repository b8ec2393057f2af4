package headers

import (
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
)

// safeStatus reports the statuses add_header and expires apply to without
// "always".
func safeStatus(s int) bool {
	switch s {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		return true
	}
	return false
}

// trailerMarker is a deleted placeholder the header filter puts into the
// response's trailers when trailers will follow: the framework then sends
// the body chunked (nginx's r->expect_trailers), and the body filter knows
// to evaluate them.
var trailerMarker = httpd.Header{Deleted: true}

// headerFilter applies expires and add_header, and announces trailers
// (ngx_http_headers_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	if r.Main != r {
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.expires == expiresOff && lc.headers == nil && lc.trailers == nil {
		return httpd.OK
	}
	safe := safeStatus(r.Out.Status)
	if lc.expires != expiresOff && safe {
		applyExpires(r, lc)
	}
	for _, f := range lc.headers {
		if safe || f.always {
			f.apply(r, f.eval(r))
		}
	}
	for _, f := range lc.trailers {
		if safe || f.always {
			r.Out.Trailers = append(r.Out.Trailers, trailerMarker)
			break
		}
	}
	return httpd.OK
}

// apply adds or sets the field in the response head.
func (f *field) apply(r *httpd.Request, v string) {
	out := &r.Out
	switch f.kind {
	case plainField:
		if v != "" {
			out.Add(f.key, v)
		}
	case cacheControlField, linkField:
		if v == "" {
			return
		}
		i := out.Add(f.key, v)
		first := &out.CacheControl
		if f.kind == linkField {
			first = &out.Link
		}
		if *first < 0 {
			*first = i
		}
	case lastModifiedField:
		f.set(r, &out.LastModified, v)
		out.LastModifiedTime = -1
		if v != "" {
			out.LastModifiedTime = http1.ParseHTTPTime(v)
		}
	case etagField:
		f.set(r, &out.ETag, v)
	}
}

// set replaces the field the response already has (or adds it); an empty
// value removes it (ngx_http_set_response_header).
func (f *field) set(r *httpd.Request, idx *int, v string) {
	out := &r.Out
	if v == "" {
		if *idx >= 0 {
			out.Delete(*idx)
			*idx = -1
		}
		return
	}
	if *idx >= 0 && *idx < len(out.List) {
		out.List[*idx] = httpd.Header{Key: f.key, Value: v}
		return
	}
	*idx = out.Add(f.key, v)
}

// trailersFilter evaluates the trailers when the last body piece goes out
// (ngx_http_trailers_filter).
func trailersFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	if !c.Last || r.HeaderOnly {
		return httpd.OK
	}
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.trailers == nil || !expectsTrailers(r) {
		return httpd.OK
	}
	safe := safeStatus(r.Out.Status)
	for _, f := range lc.trailers {
		if !safe && !f.always {
			continue
		}
		if v := f.eval(r); v != "" {
			r.Out.Trailers = append(r.Out.Trailers, httpd.Header{Key: f.key, Value: v})
		}
	}
	return httpd.OK
}

func expectsTrailers(r *httpd.Request) bool {
	for _, h := range r.Out.Trailers {
		if h == trailerMarker {
			return true
		}
	}
	return false
}
