package httpd

import (
	"strings"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
)

// Finalize ends the request with rc (ngx_http_finalize_request): Done
// means the response is complete already; an HTTP status of 300 and more
// (and 201, 204) sends the special response for it, through error_page
// when configured; Error and client-side failures close the connection.
func (r *Request) Finalize(rc Status) {
	if r.sub != nil && rc != Done && rc != Declined {
		rc = r.postSubrequest(rc)
	}
	switch {
	case rc == Done:
		return
	case rc == Declined:
		r.ContentHandler = nil
		r.runPhases()
		return
	case rc == Error || rc == 408 || rc == StatusClientClosedRequest || r.conn.failed:
		r.terminate(rc)
		return
	case rc >= 300 || rc == 201 || rc == 204:
		if rc == StatusClose {
			r.conn.timedOut = true
			r.terminate(rc)
			return
		}
		r.Finalize(r.specialResponse(int(rc)))
		return
	}
	r.done = true
	if r.sub != nil {
		r.subrequestDone()
	}
}

// FilterFinalize replaces the response being sent by the special
// response for status, sent at once, and returns Error so that whoever
// sent the header or the body gives up; the connection then closes after
// the response, as with nginx's ngx_http_filter_finalize_request (the
// not-modified filter's 412, the image filter's 415). The headers set so
// far are dropped (ngx_http_clean_header).
func (r *Request) FilterFinalize(status Status) Status {
	r.Out.Clean()
	r.Finalize(status)
	return Error
}

// terminate abandons the request: nothing more is sent and the connection
// closes (ngx_http_terminate_request).
func (r *Request) terminate(rc Status) {
	if rc > 0 && (r.Main.Out.Status == 0 || r.Main.BytesSent == 0) {
		r.Main.Out.Status = int(rc)
	}
	r.Keepalive = false
	r.LingeringClose = false
	r.conn.closeAfter = true
	r.done = true
	if r.conn.act != nil {
		// a head not written yet stays unwritten: nginx's header filter
		// output waits for body data (postpone_output) and a terminated
		// request closes without passing it on
		r.conn.act.headPending = false
	}
	if r != r.Main {
		// a failed subrequest ends the whole response: nginx closes the
		// main request, and what it had not written yet is never sent
		r.conn.failed = true
	}
}

// specialResponse answers with status code, or redirects to its error_page
// (ngx_http_special_response_handler).
func (r *Request) specialResponse(code int) Status {
	r.ErrStatus = code
	if r.Keepalive {
		switch code {
		case 400, 413, 414, 497, 495, 496, 500, 501:
			r.Keepalive = false
		}
	}
	if r.LingeringClose {
		switch code {
		case 400, 497, 495, 496:
			r.LingeringClose = false
		}
	}
	r.Out.ContentType, r.Out.ContentTypeLen = "", 0
	cl := r.Loc.core
	if !r.ErrorPage && cl.ErrorPages.IsSet() && r.URIChanges != 0 {
		if !cl.RecursiveErrPages.Get() {
			r.ErrorPage = true
		}
		for _, ep := range cl.ErrorPages.Get() {
			for _, s := range ep.Codes {
				if s == code {
					return r.sendErrorPage(ep, code)
				}
			}
		}
	}
	r.ExpectTested = true
	if r.DiscardRequestBody() != OK {
		r.Keepalive = false
	}
	if cl.MsieRefresh.Get() && r.In.MSIE && (code == 301 || code == 302) {
		return r.sendRefresh()
	}
	switch code {
	case 494, 495, 496, 497:
		r.ErrStatus = 400
	}
	return r.sendSpecial(code)
}

// ErrorPage is one error_page rule.
type ErrorPage struct {
	Codes []int
	// Overwrite is the "=code" status: -1 none, 0 "=" (the target's).
	Overwrite []int
	Value     *Complex
	Args      string
	hasArgs   bool
}

// sendErrorPage follows an error_page rule (ngx_http_send_error_page).
func (r *Request) sendErrorPage(ep *ErrorPage, code int) Status {
	overwrite := -1
	for i, c := range ep.Codes {
		if c == code {
			overwrite = ep.Overwrite[i]
		}
	}
	if overwrite != 0 && overwrite != 200 {
		r.ExpectTested = true
	}
	if overwrite >= 0 {
		r.ErrStatus = overwrite
	}
	uri := ep.Value.Eval(r)
	if strings.HasPrefix(uri, "/") {
		args := ep.Args
		if _, lit := ep.Value.Literal(); !lit {
			uri, args = splitArgs(uri)
		}
		if r.MethodBit != MethodHEAD {
			r.MethodBit, r.Method = MethodGET, "GET"
		}
		return r.InternalRedirect(uri, args)
	}
	if strings.HasPrefix(uri, "@") {
		return r.NamedLocation(uri)
	}
	r.ExpectTested = true
	if r.DiscardRequestBody() != OK {
		r.Keepalive = false
	}
	switch overwrite {
	case 301, 302, 303, 307, 308:
	default:
		r.ErrStatus = 302
	}
	r.Out.SetLocation(uri)
	if r.Loc.core.MsieRefresh.Get() && r.In.MSIE {
		return r.sendRefresh()
	}
	return r.sendSpecial(r.ErrStatus)
}

func splitArgs(uri string) (string, string) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i+1:]
	}
	return uri, ""
}

// InternalRedirect restarts processing with a new URI and arguments
// (ngx_http_internal_redirect). It returns Done.
func (r *Request) InternalRedirect(uri, args string) Status {
	r.URIChanges--
	if r.URIChanges == 0 {
		r.Log().Logf(errlog.Error, r, nil, "rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri)
		r.Finalize(500)
		return Done
	}
	r.URI, r.Args = uri, args
	r.setExten()
	r.ctx = r.ctx[:0]
	r.Loc = r.Srv.Loc
	r.updateLocationConfig()
	r.Internal = true
	r.ValidUnparsedURI = false
	r.handler()
	return Done
}

// NamedLocation continues processing in the named location "@name"
// (ngx_http_named_location). It returns Done.
func (r *Request) NamedLocation(name string) Status {
	r.URIChanges--
	if r.URIChanges == 0 {
		r.Log().Logf(errlog.Error, r, nil, "rewrite or internal redirection cycle while redirect to named location \"%s\"", name)
		r.Finalize(500)
		return Done
	}
	if r.URI == "" {
		r.Log().Logf(errlog.Error, r, nil, "empty URI in redirect to named location \"%s\"", name)
		r.Finalize(500)
		return Done
	}
	l := r.Srv.Named[name]
	if l == nil {
		r.Log().Logf(errlog.Error, r, nil, "could not find named location \"%s\"", name)
		r.Finalize(500)
		return Done
	}
	r.Internal = true
	r.ContentHandler = nil
	r.URIChanged = false
	r.Loc = l
	r.ctx = r.ctx[:0]
	r.updateLocationConfig()
	r.phase = r.Config.phases.locRewrite
	r.runPhases()
	return Done
}

// setExten sets Exten from URI (ngx_http_set_exten).
func (r *Request) setExten() {
	r.Exten = ""
	for i := len(r.URI) - 1; i > 1; i-- {
		switch r.URI[i] {
		case '.':
			if r.URI[i-1] != '/' {
				r.Exten = r.URI[i+1:]
			}
			return
		case '/':
			return
		}
	}
}

// footer is the tail of special pages: the server's name, with its version
// unless server_tokens is off.
func footer(tokens int) string {
	if tokens == TokensOff {
		return "<hr><center>sluice</center>\r\n</body>\r\n</html>\r\n"
	}
	return "<hr><center>sluice/" + core.Version + "</center>\r\n</body>\r\n</html>\r\n"
}

const msiePadding = "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// sendSpecial sends nginx's built-in page for code
// (ngx_http_send_special_response).
func (r *Request) sendSpecial(code int) Status {
	cl := r.Loc.core
	page := ""
	if code != 201 && code != 204 {
		page = errorPages[code]
	}
	tail := footer(cl.ServerTokens.Get())
	padding := ""
	if page != "" {
		if cl.MsiePadding.Get() && (r.In.MSIE || r.In.Chrome) && r.HTTPVersion >= 1000 && code >= 400 {
			padding = msiePadding
		}
		r.Out.ContentLengthN = int64(len(page) + len(tail) + len(padding))
		r.Out.ContentType, r.Out.ContentTypeLen, r.Out.Charset = "text/html", len("text/html"), ""
	} else {
		r.Out.ContentLengthN = 0
	}
	if r.Out.ContentLength >= 0 {
		r.Out.Delete(r.Out.ContentLength)
		r.Out.ContentLength = -1
	}
	r.Out.ClearAcceptRanges()
	r.Out.ClearLastModified()
	r.Out.ClearETag()
	rc := r.SendHeader()
	if rc == Error || r.HeaderOnly {
		return rc
	}
	if page == "" {
		return r.Output(&Chain{Last: true})
	}
	c := r.replyChain()
	c.Reset()
	c.AppendString(page)
	c.AppendString(tail)
	if padding != "" {
		c.AppendString(padding)
	}
	c.Last = true
	return r.Output(c)
}

// sendRefresh answers a redirect with an HTML refresh page (msie_refresh).
func (r *Request) sendRefresh() Status {
	loc := r.Out.Get(r.Out.Location)
	body := "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=" +
		string(http1.Escape(nil, []byte(loc), http1.EscapeRefresh)) +
		"\"></head><body></body></html>\r\n"
	r.ErrStatus = 200
	r.Out.ContentType, r.Out.ContentTypeLen = "text/html", len("text/html")
	r.Out.ClearLocation()
	r.Out.ContentLengthN = int64(len(body))
	if r.Out.ContentLength >= 0 {
		r.Out.Delete(r.Out.ContentLength)
		r.Out.ContentLength = -1
	}
	r.Out.ClearAcceptRanges()
	r.Out.ClearLastModified()
	r.Out.ClearETag()
	if rc := r.SendHeader(); rc == Error || r.HeaderOnly {
		return rc
	}
	c := r.replyChain()
	c.Reset()
	c.AppendString(body)
	c.Last = true
	return r.Output(c)
}
