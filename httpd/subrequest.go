package httpd

import (
	"time"

	"github.com/sluicehq/sluice/errlog"
)

// Subrequests (nginx's ngx_http_subrequest).
//
// A subrequest is a child request on the client's connection with its own
// URI, arguments, location, module contexts and response head; it shares
// the main request's request headers, request body and variable values
// (nginx's sr->variables = r->variables: a cached value is seen by every
// request of the tree, values marked VarNoCacheable, such as $uri and
// $args, are computed for each). It runs the phases from the server
// rewrite phase on; the access phase is skipped.
//
// sluice runs a subrequest synchronously: Subrequest returns once the
// child finished, on the goroutine of the request that started it. The
// child's body therefore reaches the client in document order by
// construction — what nginx's postpone filter arranges with its list of
// postponed requests and buffers. Every subrequest is thus "waited"
// (NGX_HTTP_SUBREQUEST_WAITED), and nginx's reference counter never holds
// more than the nesting depth. A background subrequest
// (SubrequestBackground) is the exception: it waits until the main
// response is complete, then runs on the connection's goroutine before the
// main request is logged.
//
// A child's response head is never sent; its body goes through the body
// filters up to OrderPostpone with the child as the request, then through
// the main request's remaining filters, chunked framing and writer (see
// postpone.go). An in-memory subrequest keeps its body instead
// (SubrequestOutput), in one buffer of subrequest_output_buffer_size.

// SubrequestFlags choose how a subrequest runs (nginx's
// NGX_HTTP_SUBREQUEST_* flags).
type SubrequestFlags uint8

const (
	// SubrequestInMemory keeps the subrequest's body in memory instead of
	// sending it (NGX_HTTP_SUBREQUEST_IN_MEMORY); read it with
	// SubrequestOutput, typically from the PostSubrequest handler. A body
	// larger than subrequest_output_buffer_size fails the request ("too big
	// subrequest response").
	SubrequestInMemory SubrequestFlags = 1 << iota
	// SubrequestWaited marks a subrequest the parent waits for
	// (NGX_HTTP_SUBREQUEST_WAITED). Every subrequest runs to completion
	// before Subrequest returns, so the flag changes nothing; it is kept
	// for modules written after nginx's.
	SubrequestWaited
	// SubrequestBackground runs the subrequest for its side effects
	// (NGX_HTTP_SUBREQUEST_BACKGROUND, which nginx's callers make header
	// only): nothing of its response reaches the client, and an upstream
	// handler reads the body only to store it. Subrequest returns at once;
	// the subrequest runs when the main response is complete, before the
	// main request's log line and before the connection goes on.
	SubrequestBackground
	// SubrequestClone runs the request itself once more rather than a GET
	// of uri: the same method, URI, arguments and location, from the phase
	// the parent is in (NGX_HTTP_SUBREQUEST_CLONE); uri and args are not
	// used.
	SubrequestClone
	// SubrequestHeaderOnly makes the subrequest header only (what nginx's
	// callers set as sr->header_only after ngx_http_subrequest): nothing
	// of its response body is produced or sent, and an upstream handler
	// ends the exchange once it has the head (the auth_request module).
	SubrequestHeaderOnly
	// SubrequestNoBody gives the subrequest an empty request body of its
	// own instead of the parent's (nginx's callers allocate a fake
	// sr->request_body): an upstream handler sends no body, whether or
	// not the main request read one, and none is read for it. The request
	// headers, Content-Length included, are still the client's.
	SubrequestNoBody
)

// PostSubrequest is called when a subrequest is finalized, with the
// status it is finalized with (nginx's post_subrequest handler); it
// returns the status to go on with. As in nginx it may run more than once
// for one subrequest: once with an error status (404...), then again when
// the special response for it is finalized.
type PostSubrequest func(sr *Request, rc Status) Status

// maxSubrequests is how deeply subrequests may nest
// (NGX_HTTP_MAX_SUBREQUESTS); a request at that depth may still start
// one more, as in nginx.
const maxSubrequests = 50

// maxRequestCount is nginx's limit on a main request's reference counter
// (65535 minus 1000 reserved). With synchronous subrequests only the
// subrequests in progress, one per nesting level, count.
const maxRequestCount = 65535 - 1000

// subreq is the subrequest state of a request. A main request has one
// (with no parent) once it started a subrequest, for the counter.
type subreq struct {
	parent *Request
	// depth is 0 for the main request, parent's + 1 for a subrequest.
	depth int
	flags SubrequestFlags
	post  PostSubrequest
	// out is an in-memory subrequest's body (nginx's r->out); outSet is
	// set once it was allocated (the body filters were called).
	out    []byte
	outSet bool
	// output is set once the request passed body bytes to the filters
	// (nginx's r->request_output).
	output bool
	// finished is set once the subrequest completed (logged).
	finished bool
	// discardBody is the parent's DiscardBody when the subrequest was
	// made (nginx's sr->discard_body): the subrequest's own DiscardBody
	// also stands for "never read the body", which nginx says with
	// r != r->main; the client_max_body_size check uses this one.
	discardBody bool
	// count is, on the main request, the number of subrequests in
	// progress (nginx's r->main->count, less one).
	count int
	// background are, on the main request, the background subrequests
	// waiting for the response to be complete.
	background []*Request
}

// Subrequest runs uri (a path, already unescaped) with args as a
// subrequest of r and returns it once it is complete (a background one is
// only queued)
// (ngx_http_subrequest, run to completion). post, when not nil, sees
// each status the subrequest is finalized with. The status is OK, or
// Error when the subrequest could not be created (nesting too deep, a
// subrequest of an in-memory subrequest; logged as nginx does) or when the
// client connection failed meanwhile: nothing more can be sent then.
//
// A body filter that starts a subrequest while holding the chain it was
// given must keep that chain's pieces aside first: the subrequest's own
// response (a special page, SendResponse) may reuse the connection's chain,
// the one its caller might have passed (see modules/addition).
func (r *Request) Subrequest(uri, args string, flags SubrequestFlags, post PostSubrequest) (*Request, Status) {
	return r.SubrequestPrepared(uri, args, flags, post, nil)
}

// SubrequestPrepared is Subrequest with prepare, when not nil, called on
// the new subrequest before it runs: the place to give it a module
// context, which nginx's callers set between ngx_http_subrequest and the
// subrequest's first run (the slice module shares its context with each
// slice's subrequest).
func (r *Request) SubrequestPrepared(uri, args string, flags SubrequestFlags, post PostSubrequest, prepare func(sr *Request)) (*Request, Status) {
	depth := 0
	if r.sub != nil {
		depth = r.sub.depth
	}
	if depth > maxSubrequests {
		r.logf(errlog.Error, nil, "subrequests cycle while processing \"%s\"", uri)
		return nil, Error
	}
	m := r.Main
	if m.sub == nil {
		m.sub = &subreq{}
	}
	if m.sub.count+1 >= maxRequestCount {
		r.logf(errlog.Crit, nil, "request reference counter overflow while processing \"%s\"", uri)
		return nil, Error
	}
	if r != m && r.sub.flags&SubrequestInMemory != 0 {
		r.logf(errlog.Error, nil, "nested in-memory subrequest \"%s\"", uri)
		return nil, Error
	}
	clone := flags&SubrequestClone != 0
	if clone {
		uri, args = r.URI, r.Args
	}
	sr := r.newSubrequest(uri, args)
	sr.sub = &subreq{parent: r, depth: depth + 1, flags: flags, post: post, discardBody: r.DiscardBody}
	if flags&SubrequestHeaderOnly != 0 {
		sr.HeaderOnly = true
	}
	if flags&SubrequestNoBody != 0 {
		sr.Body, sr.DiscardBody = nil, true
	}
	if clone {
		sr.Method, sr.MethodBit = r.Method, r.MethodBit
		sr.Loc, sr.ContentHandler = r.Loc, r.ContentHandler
		sr.phase = r.phase
		// the location's regular expression captures ($1...) too, in a
		// copy of its own (nginx's realloc_captures)
		sr.captures, sr.capturesSubject = append([]int(nil), r.captures...), r.capturesSubject
	}
	if prepare != nil {
		prepare(sr)
	}
	if flags&SubrequestBackground != 0 {
		// it runs once the main response is out
		sr.HeaderOnly = true
		m.sub.background = append(m.sub.background, sr)
		return sr, OK
	}
	sr.runSubrequest()
	// nginx's log action is the connection's: what the subrequest last
	// did ("sending to client" after an upstream) is the parent's context
	// until the parent sets another
	r.action = sr.action
	if r.conn.failed {
		return sr, Error
	}
	return sr, OK
}

// runSubrequest runs a subrequest built by Subrequest to its end.
func (sr *Request) runSubrequest() {
	m := sr.Main
	m.sub.count++
	if sr.sub.flags&SubrequestClone != 0 {
		sr.runPhases()
	} else {
		sr.handler()
	}
	if !sr.sub.finished {
		// the phases ended without a final status (a handler answered
		// Done): the subrequest is over all the same
		sr.subrequestDone()
	}
	m.sub.count--
}

// runBackground runs the background subrequests of main request r once its
// response is complete, before its log line: nginx posts them, and holds
// the connection (its next request, its close, the main request's log)
// until they end. A client connection that failed cancels them.
func (r *Request) runBackground() {
	if r.sub == nil {
		return
	}
	for len(r.sub.background) > 0 {
		sr := r.sub.background[0]
		r.sub.background = r.sub.background[1:]
		if r.conn.failed {
			continue
		}
		sr.runSubrequest()
	}
	r.sub.background = nil
}

// newSubrequest builds the child request (the body of
// ngx_http_subrequest): a GET of uri with r's headers, body, request line
// and variable values, in r's server.
func (r *Request) newSubrequest(uri, args string) *Request {
	m := r.Main
	sr := &Request{
		Config:      r.Config,
		Srv:         r.Srv,
		Loc:         r.Srv.Loc,
		Main:        m,
		conn:        r.conn,
		Method:      "GET",
		MethodBit:   MethodGET,
		HTTPVersion: r.HTTPVersion,
		RequestLine: r.RequestLine,
		Protocol:    r.Protocol,
		URI:         uri,
		Args:        args,
		UnparsedURI: r.UnparsedURI,
		Schema:      r.Schema,
		Port:        r.Port,
		In:          r.In,
		Internal:    true,
		URIChanges:  11,
		// a subrequest never answers the client's Expect nor reads or
		// discards its body: it sees what the main request read
		ExpectTested: true,
		Body:         r.Body,
		DiscardBody:  r.DiscardBody || m.Body == nil,
		// If-Modified-Since and friends concern the main response only
		DisableNotModified: true,
		Start:              time.Now(),
		log:                m.log,
		action:             r.action,
		validLocation:      true,
	}
	sr.Out.reset()
	sr.setExten()
	// one array of variable values for the whole request tree
	r.growVars()
	sr.vars = r.vars
	return sr
}

// postSubrequest runs a subrequest's post handler on a final status
// (the start of ngx_http_finalize_request for a subrequest).
func (r *Request) postSubrequest(rc Status) Status {
	if r == r.Main || r.sub.post == nil {
		return rc
	}
	return r.sub.post(r, rc)
}

// subrequestDone completes a subrequest: its access log line when
// log_subrequest is on (once).
func (r *Request) subrequestDone() {
	s := r.sub
	if r == r.Main || s.finished {
		return
	}
	s.finished = true
	r.done = true
	if r.Logged {
		return
	}
	r.Logged = true
	if r.Loc.core.LogSubrequest.Get() && !r.conn.failed {
		// $bytes_sent is the connection's count, as nginx's c->sent
		r.BytesSent = r.Main.BytesSent
		for _, h := range r.Config.phases.handlers[LogPhase] {
			h(r)
		}
	}
}

// Parent returns the request that started subrequest r, nil for a main
// request.
func (r *Request) Parent() *Request {
	if r.sub == nil {
		return nil
	}
	return r.sub.parent
}

// Background reports whether r is a background subrequest
// (SubrequestBackground; nginx's r->background).
func (r *Request) Background() bool {
	return r.Main != r && r.sub != nil && r.sub.flags&SubrequestBackground != 0
}

// IsSubrequest reports whether r is a subrequest.
func (r *Request) IsSubrequest() bool { return r.Main != r }

// InMemory reports whether r is an in-memory subrequest
// (nginx's r->subrequest_in_memory).
func (r *Request) InMemory() bool {
	return r.Main != r && r.sub.flags&SubrequestInMemory != 0
}

// SubrequestOutput returns the body an in-memory subrequest produced, and
// false when its body filters never ran (nginx's r->out is NULL).
func (r *Request) SubrequestOutput() ([]byte, bool) {
	if r.sub == nil || !r.sub.outSet {
		return nil, false
	}
	return r.sub.out, true
}

// ProducedOutput reports whether the request passed body bytes to the
// output filters (nginx's r->request_output).
func (r *Request) ProducedOutput() bool { return r.sub != nil && r.sub.output }
