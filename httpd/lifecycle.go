package httpd

import (
	"github.com/sluicehq/sluice/internal/buf"
	"time"
	"unsafe"

	"github.com/sluicehq/sluice/errlog"
)

// newRequest prepares the connection's request object for the next
// request (ngx_http_create_request).
func (c *conn) newRequest(r *Request) {
	srv := c.addr.def
	if c.tls != nil && c.tls.sniServer != nil {
		srv = c.tls.sniServer
	}
	r.Config = c.cf
	r.Srv = srv
	r.Loc = srv.Loc
	r.Main = r
	r.conn = c
	r.log = srv.Loc.core.ErrorLog
	r.Start = time.Now()
	r.URIChanges = 11
	r.HTTPVersion = 1000
	r.In.reset()
	r.Out.reset()
	r.phase = 0
	r.validLocation = true
	r.Pipeline = c.pipelined
}

// clear resets a finished request, keeping its storage for the next one.
func (r *Request) clear() {
	in, out, vars, scratch, caps, ctx, cleanup, endBufs, endRel := r.In, r.Out, r.vars[:0], r.scratch[:0], r.captures[:0], r.ctx[:0], r.cleanup[:0], r.endBufs[:0], r.endRel[:0]
	for i := range vars[:cap(vars)] {
		vars[:cap(vars)][i] = varValue{}
	}
	*r = Request{}
	r.In, r.Out, r.vars, r.scratch, r.captures, r.ctx, r.cleanup, r.endBufs, r.endRel = in, out, vars, scratch, caps, ctx, cleanup, endBufs, endRel
	r.In.List = r.In.List[:0]
	r.Out.List = r.Out.List[:0]
	r.Out.Trailers = r.Out.Trailers[:0]
}

// readAndProcess reads the request head and runs the request
// (ngx_http_process_request_line/headers, ngx_http_process_request).
func (r *Request) readAndProcess() {
	rc := r.readHead()
	if rc == Done {
		return
	}
	if rc != OK {
		r.Finalize(rc)
		return
	}
	if r.conn.act.h2 != nil {
		if st := r.h2Request(); st != OK {
			r.Finalize(st)
			return
		}
	}
	if r.HTTPVersion >= 1000 {
		if st := r.processRequestHeader(); st != OK {
			r.Finalize(st)
			return
		}
	}
	if r.conn.addr.ssl && r.conn.tlsc() == nil {
		r.logf(errlog.Info, nil, "client sent plain HTTP request to HTTPS port")
		r.Finalize(497)
		return
	}
	if r.conn.tlsc() != nil {
		if st := r.checkClientCert(); st != OK {
			r.Finalize(st)
			return
		}
	}
	r.statProcess()
	r.handler()
}

// handler starts the phases for a fresh or redirected request
// (ngx_http_handler).
func (r *Request) handler() {
	r.action = ""
	if !r.Internal {
		if r.MethodBit != MethodCONNECT {
			switch r.In.ConnectionType {
			case 0:
				r.Keepalive = r.HTTPVersion > 1000
			case ConnClose:
				r.Keepalive = false
			case ConnKeepAlive:
				r.Keepalive = true
			}
		}
		r.LingeringClose = r.In.ContentLengthN > 0 || r.In.Chunked
		r.phase = 0
	} else {
		r.phase = r.Config.phases.serverRewrite
	}
	r.validLocation = true
	r.VaryAcceptEncoding = false
	r.GzipTested, r.GzipOK = false, false
	r.runPhases()
}

// finishRequest completes a request: a response head not yet written goes
// out, an unread body is discarded, the log phase runs, cleanups run
// (ngx_http_finalize_connection, ngx_http_free_request).
func (c *conn) finishRequest(r *Request) {
	if !c.failed && r.HeaderSent && c.act.headPending {
		r.flushHead()
	}
	if r.HeaderSent && !c.failed && r.Chunked && !r.lastSent && !r.HeaderOnly && r.done && !c.closeAfter {
		// a handler ended without the last chunk: the response is cut
		c.closeAfter = true
	}
	if !c.failed && !c.closeAfter && r.Keepalive && (r.In.ContentLengthN > 0 || r.In.Chunked) && (r.Body == nil || !r.Body.Complete) {
		if !r.finishDiscard() {
			r.Keepalive = false
		}
	}
	r.runPostAction()
	r.runBackground()
	if c.eof {
		r.Keepalive = false
	}
	// The log phase runs before the cleanups (nginx runs them first, but
	// its memory stays valid until the pool goes): here cleanups return
	// buffers that logged variables such as $upstream_http_* point into.
	r.statFree()
	if !r.Logged {
		r.Logged = true
		r.action = "logging request"
		for _, h := range r.Config.phases.handlers[LogPhase] {
			h(r)
		}
		r.action = ""
	}
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i]()
	}
	r.cleanup = r.cleanup[:0]
	for i, b := range r.endBufs {
		buf.Put(b)
		r.endBufs[i] = nil
	}
	r.endBufs = r.endBufs[:0]
	for i := len(r.endRel) - 1; i >= 0; i-- {
		r.endRel[i].Release()
		r.endRel[i] = nil
	}
	r.endRel = r.endRel[:0]
	if r.Body != nil {
		r.Body.release()
	}
	if c.timedOut {
		r.Keepalive = false
	}
}

// runPostAction runs the location's post_action once the response is
// complete (ngx_http_post_action, called from ngx_http_finalize_request):
// the request goes on, internally redirected to the URI or named
// location, with nothing more sent to the client; it is logged once,
// afterwards. A post_action location with a post_action of its own runs
// it in turn, until the redirections run out, as in nginx.
func (r *Request) runPostAction() {
	for r.Loc != nil {
		pa := r.Loc.core.PostAction.Get()
		if pa == "" || r.PostAction && r.URIChanges == 0 {
			return
		}
		r.PostAction = true
		r.HeaderOnly = true
		r.done = false
		if pa[0] == '/' {
			r.InternalRedirect(pa, "")
		} else {
			r.NamedLocation(pa)
		}
	}
}

// unsafeBytes views a string's bytes without copying; they must not be
// modified.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// logf logs at lv with the request's context.
func (r *Request) logf(lv errlog.Level, err error, format string, args ...any) {
	r.Log().Logf(lv, r, err, format, args...)
}
