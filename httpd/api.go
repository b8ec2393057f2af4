package httpd

import (
	"strconv"

	"github.com/sluicehq/sluice/conf"
)

// ReadBlock creates an anonymous nested location-level conf for a block
// directive such as "if" (kind LocIf) inside the current server or
// location, and applies the block's statements to it in the right context
// (if in server or if in location). The new location inherits from the
// enclosing one at merge time.
func ReadBlock(c *conf.Cmd, kind LocKind) (*Location, error) {
	cf, srv, parent := BlockOf(c)
	ctx := conf.HTTPLif
	if parent.Kind == LocServer {
		ctx = conf.HTTPSif
	}
	if kind == LocLimitExcept {
		ctx = conf.HTTPLmt
	}
	n := parent.newChild(kind, parent.Name, c)
	n.Regex = parent.Regex
	if err := c.Loader.Walk(cf.scope(ctx, &block{cf: cf, srv: srv, loc: n}, c.Scope), c.Block); err != nil {
		return nil, err
	}
	return n, nil
}

// SetLocation makes l the location conf in effect for the request (an
// "if" block whose condition held) and applies its settings
// (ngx_http_update_location_config).
func (r *Request) SetLocation(l *Location) {
	r.Loc = l
	r.updateLocationConfig()
}

// InvalidateLocation records that the URI was rewritten inside the
// location, so an "alias" there can no longer map it (nginx's
// r->valid_location = 0).
func (r *Request) InvalidateLocation() { r.validLocation = false }

// Done reports whether the request was finalized.
func (r *Request) Done() bool { return r.done }

// Failed reports whether the client connection failed (write error,
// timeout, reset): nothing more can be sent.
func (r *Request) Failed() bool { return r.conn.failed }

// MarkLast records that the last body piece went out (handlers that write
// bodies themselves call Output with a Last chain, which sets it).
func (r *Request) MarkLast() { r.lastSent = true }

// CoreLocOf returns the core module's location conf of the block a
// directive is read in, for directives that install a content handler
// (clcf->handler) or inspect the location.
func CoreLocOf(c *conf.Cmd) *CoreLocConf {
	_, _, l := BlockOf(c)
	return l.core
}

// ResetCaptures forgets the captures of the last regex match ($1..$9).
func (r *Request) ResetCaptures() {
	r.captures = r.captures[:0]
	r.capturesSubject = ""
}

// SetURI changes the request's URI and recomputes its extension
// (ngx_http_set_exten).
func (r *Request) SetURI(uri string) {
	r.URI = uri
	r.setExten()
}

// SetContentType sets the response Content-Type from the URI's extension
// and the types of the location, else default_type
// (ngx_http_set_content_type). An already set type is kept.
func (r *Request) SetContentType() {
	if r.Out.ContentType != "" {
		return
	}
	cl := r.Loc.core
	if r.Exten != "" {
		ext := r.Exten
		for i := 0; i < len(ext); i++ {
			if ext[i] >= 'A' && ext[i] <= 'Z' {
				ext = toLower(ext)
				break
			}
		}
		if t, ok := cl.Types[ext]; ok {
			r.Out.ContentType, r.Out.ContentTypeLen = t, len(t)
			return
		}
	}
	t := cl.DefaultType.Get()
	r.Out.ContentType, r.Out.ContentTypeLen = t, len(t)
}

// SetETag sets the ETag of a file response from its Last-Modified time
// and Content-Length, "<mtime hex>-<length hex>" in quotes, unless "etag
// off" (ngx_http_set_etag). Call it after setting both.
func (r *Request) SetETag() {
	if !r.Loc.core.Etag.Get() {
		return
	}
	out := &r.Out
	b := make([]byte, 0, 2+16+1+16)
	b = append(b, '"')
	b = strconv.AppendInt(b, out.LastModifiedTime, 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, out.ContentLengthN, 16)
	b = append(b, '"')
	out.ClearETag()
	out.ETag = out.Add("ETag", string(b))
}

// toLower lowercases the ASCII letters of s; other bytes are kept as they
// are (s itself when it has no upper-case letter).
func toLower(s string) string {
	upper := false
	for i := 0; i < len(s) && !upper; i++ {
		upper = s[i] >= 'A' && s[i] <= 'Z'
	}
	if !upper {
		return s
	}
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

// SendResponse answers with status and a body, as nginx's
// ngx_http_send_response used by "return": the request body is discarded
// first, then text is evaluated; for 301, 302, 303, 307 and 308 text is the
// Location and the special page is sent. contentType "" means the type from
// the URI (SetContentType).
func (r *Request) SendResponse(status int, contentType string, text *Complex) Status {
	if st := r.DiscardRequestBody(); st != OK {
		return st
	}
	r.Out.Status = status
	val := ""
	if text != nil {
		val = text.Eval(r)
	}
	switch status {
	case 301, 302, 303, 307, 308:
		r.Out.SetLocation(val)
		return Status(status)
	}
	r.Out.ContentLengthN = int64(len(val))
	if contentType != "" {
		r.Out.ContentType, r.Out.ContentTypeLen = contentType, len(contentType)
	} else {
		r.SetContentType()
	}
	if rc := r.SendHeader(); rc == Error || rc > OK || r.HeaderOnly {
		return rc
	}
	c := r.replyChain()
	c.Reset()
	c.AppendString(val)
	c.Last = true // for a subrequest: the end of its body, not of the response (see passSubrequest)
	return r.Output(c)
}

// replyChain is the chain a request's own short answers (return, special
// pages) go out in: the connection's for the main request, a fresh one for
// a subrequest, so that a filter holding the main request's chain while it
// starts a subrequest does not see it overwritten.
func (r *Request) replyChain() *Chain {
	if r.Main != r || r.conn.act == nil {
		return new(Chain)
	}
	return &r.conn.act.chain
}
