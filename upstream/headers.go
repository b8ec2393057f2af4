package upstream

import (
	"strings"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// respond processes a complete response head and sends the response
// (ngx_http_upstream_process_header's tail, ngx_http_upstream_send_response).
func (u *Upstream) respond() httpd.Status {
	r := u.R
	status := u.HeadersIn.StatusN
	u.cacheHeaders()
	if status >= 300 {
		if st, handled := u.testNext(); handled {
			return st
		}
		if st, handled := u.cacheTestNext(); handled {
			return st
		}
		if st, handled := u.interceptErrors(); handled {
			return st
		}
	}
	if st, done := u.processHeaders(); done {
		return st
	}
	if u.store != nil {
		u.store.arm(u)
	}
	u.cacheResponse()
	rc := r.SendHeader()
	if rc == httpd.Error || rc > 0 {
		return u.finalize(int(rc))
	}
	u.headerSent = true
	if r.PostAction {
		// nothing of it goes to the client: the exchange ends with the
		// head (ngx_http_upstream_send_response)
		return u.finalize(0)
	}
	if u.Upgrade {
		if st, refused := u.upgradeInSubrequest(); refused {
			return st
		}
		return u.tunnel()
	}
	if r.HeaderOnly && (!u.Buffering || u.cacheSkipBody()) {
		return u.finalize(0)
	}
	return u.relayBody()
}

// statusFt is the next_upstream (and cache_use_stale) flag of a response
// status, 0 for a status that has none.
func statusFt(status int) uint32 {
	switch status {
	case 500:
		return FtHTTP500
	case 502:
		return FtHTTP502
	case 503:
		return FtHTTP503
	case 504:
		return FtHTTP504
	case 403:
		return FtHTTP403
	case 404:
		return FtHTTP404
	case 429:
		return FtHTTP429
	}
	return 0
}

// testNext tries the next peer for statuses listed in next_upstream
// (ngx_http_upstream_test_next).
func (u *Upstream) testNext() (httpd.Status, bool) {
	r := u.R
	mask := statusFt(u.HeadersIn.StatusN)
	if mask == 0 {
		return 0, false
	}
	m := mask
	if u.sent && r.MethodBit&(httpd.MethodPOST|httpd.MethodLOCK|httpd.MethodPATCH) != 0 {
		m |= FtNonIdempotent
	}
	timeout := u.Conf.NextUpstreamTimeout.Get()
	if u.tries > 1 && u.Conf.NextUpstream.Get()&m == m && !(u.sent && u.RequestBodyNoBuffering) &&
		!(timeout > 0 && time.Since(u.start) >= timeout) {
		u.state.Status = u.HeadersIn.StatusN
		st, retry := u.next(mask)
		if !retry {
			return st, true
		}
		for {
			ft := u.attempt()
			if ft == 0 {
				return u.respond(), true
			}
			if st, retry := u.next(ft); !retry {
				return st, true
			}
		}
	}
	return 0, false
}

// interceptErrors hands 300+ answers to error_page when
// intercept_errors is on (ngx_http_upstream_intercept_errors).
func (u *Upstream) interceptErrors() (httpd.Status, bool) {
	r := u.R
	status := u.HeadersIn.StatusN
	if status == 404 && u.Conf.Intercept404 {
		u.state.Status = status
		return u.finalize(status), true
	}
	if !u.Conf.InterceptErrors.Get() {
		return 0, false
	}
	pages := r.CoreLoc().ErrorPages
	if !pages.IsSet() {
		return 0, false
	}
	for _, ep := range pages.Get() {
		for _, code := range ep.Codes {
			if code != status {
				continue
			}
			if status == 401 {
				for _, h := range u.HeadersIn.List {
					if !h.Deleted && ascii.EqualFold(h.Key, "WWW-Authenticate") {
						r.Out.WWWAuthenticate = r.Out.Add(h.Key, h.Value)
					}
				}
			}
			u.cacheError(status)
			u.state.Status = status
			return u.finalize(status), true
		}
	}
	return 0, false
}

// redirectedFrom is what a request redirected by X-Accel-Redirect keeps
// of its Upstream: the `upstream: "..."` of its log lines.
type redirectedFrom string

// LogUpstream implements httpd.UpstreamLogger.
func (s redirectedFrom) LogUpstream() string { return string(s) }

// processHeaders copies the upstream head to the client response with
// nginx's per-header rules (ngx_http_upstream_process_headers). done means
// the request went elsewhere (X-Accel-Redirect) or failed.
func (u *Upstream) processHeaders() (httpd.Status, bool) {
	r := u.R
	in := &u.HeadersIn
	ign := u.Conf.IgnoreHeaders.Get()
	u.state.Status = in.StatusN
	if in.StatusN == 0 {
		// an HTTP/0.9 answer: $upstream_status 200, $status "009" (no
		// status for the client)
		u.state.Status = 200
	}
	if xar, ok := in.Value("X-Accel-Redirect"); ok && ign&IgnXAccelRedirect == 0 {
		u.Keepalive = u.Keepalive && u.Length == 0
		u.finalize(declined)
		for _, h := range in.List {
			if h.Deleted {
				continue
			}
			// the headers nginx keeps across the redirect
			switch low := u.lowerName(h.Key); low {
			case "content-type", "set-cookie", "content-disposition", "cache-control", "expires", "accept-ranges":
				if u.Conf.Hidden[low] {
					continue
				}
				u.copyHeader(h)
			}
		}
		u.ctx.last = u
		// the Upstream goes back to its pool; the redirected request's log
		// lines still name the peer, as nginx's (r->upstream stays)
		r.Upstream = redirectedFrom(u.LogUpstream())
		if strings.HasPrefix(xar, "@") {
			return r.NamedLocation(xar), true
		}
		path, args, ok := http1.ParseUnsafeURI(nil, []byte(xar))
		if !ok {
			return 404, true
		}
		if r.MethodBit != httpd.MethodHEAD {
			r.MethodBit, r.Method = httpd.MethodGET, "GET"
		}
		return r.InternalRedirect(string(path), string(args)), true
	}
	for i := range in.List {
		h := &in.List[i]
		if h.Deleted {
			continue
		}
		low := u.lowerName(h.Key)
		if u.Conf.Hidden[low] {
			continue
		}
		if err := u.copyByName(low, h); err != nil {
			r.Log().Logf(errlog.Error, r, err, "processing upstream header failed")
			return u.finalize(500), true
		}
	}
	if u.OwnServerDate {
		// a passed Server or Date the upstream did not send is absent, not
		// replaced by sluice's own
		if r.Out.Server < 0 && !u.Conf.Hidden["server"] {
			r.Out.Server = r.Out.Add("Server", "")
			r.Out.Delete(r.Out.Server)
		}
		if r.Out.Date < 0 && !u.Conf.Hidden["date"] {
			r.Out.Date = r.Out.Add("Date", "")
			r.Out.Delete(r.Out.Date)
		}
	}
	r.Out.Status = in.StatusN
	r.Out.StatusLine = in.StatusLine
	r.Out.ContentLengthN = in.ContentLengthN
	r.DisableNotModified = true
	if u.Conf.ForceRanges.Get() {
		r.AllowRanges, r.SingleRange = true, true
	}
	u.ctx.last = u
	return 0, false
}

// copyByName applies the copy rule of one header (the copy_handler of
// ngx_http_upstream_headers_in).
func (u *Upstream) copyByName(low string, h *httpd.Header) error {
	r := u.R
	out := &r.Out
	switch low {
	case "content-length", "connection", "keep-alive", "transfer-encoding":
		return nil
	case "content-type":
		out.ContentType = h.Value
		out.ContentTypeLen, out.Charset = splitContentType(h.Value)
		return nil
	case "last-modified":
		out.LastModified = out.Add(h.Key, h.Value)
		// -1 when it is no date (ngx_http_upstream_copy_last_modified)
		out.LastModifiedTime = http1.ParseHTTPTime(h.Value)
		return nil
	case "date":
		out.Date = out.Add(h.Key, h.Value)
	case "server":
		out.Server = out.Add(h.Key, h.Value)
	case "etag":
		out.ETag = out.Add(h.Key, h.Value)
	case "location", "refresh":
		// As ngx_http_upstream_rewrite_location/refresh: a value the
		// module rewrote becomes the Location proper (made absolute by the
		// header writer when relative); an untouched relative Location stays
		// an ordinary header so that it is not made absolute.
		hh := *h
		rewritten := false
		if rw, ok := u.Proto.(RedirectRewriter); ok && hh.Value != "" {
			prefix := 0
			if low == "refresh" {
				i := ascii.IndexFold(hh.Value, "url=")
				if i >= 0 {
					prefix = i + 4
				}
			}
			if low == "location" || prefix > 0 {
				changed, err := rw.RewriteRedirect(u, &hh, prefix)
				if err != nil {
					return err
				}
				rewritten = changed
			}
		}
		if hh.Deleted {
			return nil
		}
		i := out.Add(hh.Key, hh.Value)
		if low == "location" {
			if rewritten || (hh.Value != "" && hh.Value[0] != '/') {
				out.Location = i
			}
		} else {
			out.Refresh = i
		}
		return nil
	case "set-cookie":
		hh := *h
		if cr, ok := u.Proto.(CookieRewriter); ok {
			if err := cr.RewriteCookie(u, &hh); err != nil {
				return err
			}
		}
		if !hh.Deleted {
			out.Add(hh.Key, hh.Value)
		}
		return nil
	case "accept-ranges":
		if u.Conf.ForceRanges.Get() {
			return nil
		}
		out.AcceptRanges = out.Add(h.Key, h.Value)
		return nil
	case "content-range":
		out.ContentRange = out.Add(h.Key, h.Value)
		return nil
	case "content-encoding":
		out.ContentEncoding = out.Add(h.Key, h.Value)
		return nil
	case "cache-control":
		i := out.Add(h.Key, h.Value)
		if out.CacheControl < 0 {
			out.CacheControl = i
		}
		return nil
	case "expires":
		out.Expires = out.Add(h.Key, h.Value)
		return nil
	case "link":
		i := out.Add(h.Key, h.Value)
		if out.Link < 0 {
			out.Link = i
		}
		return nil
	case "www-authenticate":
		i := out.Add(h.Key, h.Value)
		if out.WWWAuthenticate < 0 {
			out.WWWAuthenticate = i
		}
		return nil
	default:
		out.Add(h.Key, h.Value)
		return nil
	}
	return nil
}

func (u *Upstream) copyHeader(h httpd.Header) {
	low := u.lowerName(h.Key)
	u.copyByName(low, &h)
}

// lowerName returns s in lower case. A name with capitals is lowered into
// u's scratch buffer: the result is valid only until the next call, which
// suits its users (comparisons and map lookups, one header at a time).
func (u *Upstream) lowerName(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	if len(s) > len(u.lowBuf) {
		return ascii.ToLower(s)
	}
	return bytesconv.String(ascii.AppendLower(u.lowBuf[:0], s))
}

// passTrailers copies the upstream's trailers to the response when
// pass_trailers is on (ngx_http_upstream_process_trailers).
func (u *Upstream) passTrailers() {
	if !u.Conf.PassTrailers.Get() {
		return
	}
	for _, h := range u.HeadersIn.Trailers {
		if h.Deleted || u.Conf.Hidden[u.lowerName(h.Key)] {
			continue
		}
		u.R.Out.Trailers = append(u.R.Out.Trailers, h)
	}
}

// splitContentType splits an upstream's Content-Type as nginx does
// (ngx_http_upstream_copy_content_type): the charset parameter's value,
// and the length of what comes before the ';' that starts it, which is
// the whole value when there is no charset (nginx's content_type_len: a
// type with other parameters is not one of charset_types, gzip_types...).
// The scan is nginx's: after a ';' and its spaces, the next byte is not
// looked at again.
func splitContentType(v string) (typeLen int, charset string) {
	typeLen = len(v)
	for i := 0; i < len(v); i++ {
		if v[i] != ';' {
			continue
		}
		last := i
		i++
		for i < len(v) && v[i] == ' ' {
			i++
		}
		if i == len(v) {
			return typeLen, ""
		}
		p := v[i:]
		if len(p) < 8 || !ascii.EqualFold(p[:8], "charset=") {
			continue
		}
		p = p[8:]
		if p != "" && p[0] == '"' {
			p = p[1:]
		}
		if p != "" && p[len(p)-1] == '"' {
			p = p[:len(p)-1]
		}
		return last, p
	}
	return typeLen, ""
}
