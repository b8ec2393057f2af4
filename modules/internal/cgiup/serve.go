package cgiup

import (
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// Serve is the content handler's work once the module has its protocol
// value p, which embeds x (ngx_http_scgi_handler, ngx_http_uwsgi_handler):
// where the request goes, the client's body read first or streamed
// (X_request_buffering off, a body of known length passed on), then the
// exchange. It returns the status the content phase ends with.
func Serve(r *httpd.Request, c *upstream.Conf, pass *Pass, x *Exchange, p upstream.Protocol) httpd.Status {
	w, st := pass.Resolve(r)
	if st != 0 {
		return st
	}
	x.where = w
	if !c.RequestBuffering.Get() && c.PassRequestBody.Get() && !r.In.Chunked {
		s, st := r.StreamBody(int(c.BufferSize.Get()))
		if st != httpd.OK {
			return st
		}
		x.Stream = s
	} else if st := r.ReadBody(); st != httpd.OK {
		return st
	}
	return upstream.Run(r, c, w.Target, p)
}

// BodyLength is the length of the body the request carries: the client's
// Content-Length when it is streamed, else what was read (also when
// X_pass_request_body is off: nginx's CONTENT_LENGTH counts it).
func (x *Exchange) BodyLength(r *httpd.Request) int64 {
	if x.Stream != nil {
		return r.In.ContentLengthN
	}
	if r.Body != nil {
		return r.Body.Size
	}
	return 0
}

// Send queues head, the encoded params, and the body after it as the
// request to send, and names the exchange for log lines (schema, TLS).
// What of a streamed body arrived with the request head goes in the same
// write.
func (x *Exchange) Send(u *upstream.Upstream, head []byte) {
	r := u.R
	u.Schema, u.TLS, u.TLSName = x.where.Schema, x.where.TLS, x.where.Host
	switch {
	case x.Stream != nil:
		u.RequestBodyNoBuffering = true
		head = append(head, x.Stream.TakePreread()...)
		u.Request.Append(head)
	case u.Conf.PassRequestBody.Get() && r.Body != nil && r.Body.File == nil:
		head = append(head, r.Body.Data...)
		u.Request.Append(head)
	case u.Conf.PassRequestBody.Get() && r.Body != nil && r.Body.File != nil:
		u.Request.Append(head)
		u.Request.AppendFile(r.Body.File, 0, r.Body.Size)
	default:
		u.Request.Append(head)
	}
}
