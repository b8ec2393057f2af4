package httpd

import (
	"sort"

	"github.com/sluicehq/sluice/errlog"
)

// Phase is a request processing phase (nginx's NGX_HTTP_*_PHASE).
type Phase int

// The phases, in order. FindConfig, PostRewrite and PostAccess belong to
// the framework; modules add handlers to the others.
const (
	PostRead Phase = iota
	ServerRewrite
	FindConfig
	Rewrite
	PostRewrite
	Preaccess
	Access
	PostAccess
	Precontent
	Content
	LogPhase
	nPhases
)

// Handler is a phase handler. It returns OK (phase done), Declined (next
// handler), Done (the request was answered or handed on), Error, or an HTTP
// status to finalize the request with.
type Handler func(r *Request) Status

// AddHandler adds a handler to a phase (cmcf->phases[p].handlers).
func (cf *Config) AddHandler(p Phase, h Handler) {
	cf.phases.handlers[p] = append(cf.phases.handlers[p], h)
}

type checker uint8

const (
	checkGeneric checker = iota
	checkRewrite
	checkFindConfig
	checkPostRewrite
	checkAccess
	checkPostAccess
	checkContent
)

type phaseHandler struct {
	check   checker
	handler Handler
	next    int
}

// phaseEngine is the flattened list of phase handlers
// (ngx_http_init_phase_handlers).
type phaseEngine struct {
	handlers      [nPhases][]Handler
	list          []phaseHandler
	serverRewrite int
	locRewrite    int
}

func (pe *phaseEngine) build(cf *Config) {
	pe.list = pe.list[:0]
	for p := PostRead; p < LogPhase; p++ {
		start := len(pe.list)
		var ck checker
		switch p {
		case ServerRewrite:
			pe.serverRewrite = start
			ck = checkRewrite
		case FindConfig:
			pe.list = append(pe.list, phaseHandler{check: checkFindConfig})
			continue
		case Rewrite:
			pe.locRewrite = start
			ck = checkRewrite
		case PostRewrite:
			pe.list = append(pe.list, phaseHandler{check: checkPostRewrite, next: pe.locFind()})
			continue
		case Access:
			ck = checkAccess
		case PostAccess:
			pe.list = append(pe.list, phaseHandler{check: checkPostAccess})
			continue
		case Content:
			ck = checkContent
		default:
			ck = checkGeneric
		}
		hs := pe.handlers[p]
		// nginx runs a phase's handlers in reverse order of addition
		for i := len(hs) - 1; i >= 0; i-- {
			pe.list = append(pe.list, phaseHandler{check: ck, handler: hs[i]})
		}
		end := len(pe.list)
		for i := start; i < end; i++ {
			pe.list[i].next = end
		}
	}
	if len(pe.handlers[Content]) == 0 {
		// the content checker also runs the location's handler; keep one
		pe.list = append(pe.list, phaseHandler{check: checkContent, handler: func(*Request) Status { return Declined }, next: len(pe.list) + 1})
	}
	// the rewrite phases' "next" of post-rewrite points at find-config
	for i := range pe.list {
		if pe.list[i].check == checkPostRewrite {
			pe.list[i].next = pe.findConfigIndex()
		}
	}
}

func (pe *phaseEngine) findConfigIndex() int {
	for i, h := range pe.list {
		if h.check == checkFindConfig {
			return i
		}
	}
	return 0
}

func (pe *phaseEngine) locFind() int { return pe.findConfigIndex() }

// runPhases runs the phase engine from r.phase until a handler stops it
// (ngx_http_core_run_phases).
func (r *Request) runPhases() {
	list := r.Config.phases.list
	for r.phase < len(list) {
		ph := &list[r.phase]
		if !r.check(ph) {
			return
		}
	}
}

// check runs one phase handler with its phase's rules; false stops the loop.
func (r *Request) check(ph *phaseHandler) bool {
	switch ph.check {
	case checkGeneric:
		switch rc := ph.handler(r); rc {
		case OK:
			r.phase = ph.next
		case Declined:
			r.phase++
		case Again, Done:
			return false
		default:
			r.Finalize(rc)
			return false
		}
	case checkRewrite:
		switch rc := ph.handler(r); rc {
		case Declined:
			r.phase++
		case Done:
			return false
		default:
			r.Finalize(rc)
			return false
		}
	case checkFindConfig:
		return r.findConfigPhase()
	case checkPostRewrite:
		if !r.URIChanged {
			r.phase++
			return true
		}
		r.URIChanges--
		if r.URIChanges == 0 {
			r.Log().Logf(errlog.Error, r, nil, "rewrite or internal redirection cycle while processing \"%s\"", r.URI)
			r.Finalize(500)
			return false
		}
		r.phase = ph.next
		r.Loc = r.Srv.Loc
	case checkAccess:
		if r.Main != r {
			r.phase = ph.next
			return true
		}
		rc := ph.handler(r)
		switch rc {
		case Declined:
			r.phase++
			return true
		case Again, Done:
			return false
		}
		if r.Loc.core.Satisfy.Get() == SatisfyAll {
			if rc == OK {
				r.phase++
				return true
			}
		} else {
			if rc == OK {
				r.accessCode = 0
				if r.Out.WWWAuthenticate >= 0 {
					r.Out.Delete(r.Out.WWWAuthenticate)
					r.Out.WWWAuthenticate = -1
				}
				r.phase = ph.next
				return true
			}
			if rc == 403 || rc == 401 || rc == 407 {
				if r.accessCode != 401 && r.accessCode != 407 {
					r.accessCode = int(rc)
				}
				r.phase++
				return true
			}
		}
		if rc == 401 || rc == 407 {
			r.accessCode = int(rc)
			r.finalizeUnauthorized(int(rc))
			return false
		}
		r.Finalize(rc)
		return false
	case checkPostAccess:
		if code := r.accessCode; code != 0 {
			if code == 403 {
				r.Log().Logf(errlog.Error, r, nil, "access forbidden by rule")
			}
			if code == 401 || code == 407 {
				r.finalizeUnauthorized(code)
				return false
			}
			r.accessCode = 0
			r.Finalize(Status(code))
			return false
		}
		r.phase++
	case checkContent:
		if r.ContentHandler != nil {
			r.Finalize(r.ContentHandler(r))
			return false
		}
		if rc := ph.handler(r); rc != Declined {
			r.Finalize(rc)
			return false
		}
		if next := r.phase + 1; next < len(r.Config.phases.list) && r.Config.phases.list[next].check == checkContent {
			r.phase++
			return true
		}
		if len(r.URI) > 0 && r.URI[len(r.URI)-1] == '/' {
			if path, ok := r.MapURIToPath(""); ok {
				r.Log().Logf(errlog.Error, r, nil, "directory index of \"%s\" is forbidden", path)
			}
			r.Finalize(403)
			return false
		}
		r.Log().Logf(errlog.Error, r, nil, "no handler found")
		r.Finalize(404)
		return false
	}
	return true
}

// findConfigPhase finds the location for r.URI
// (ngx_http_core_find_config_phase).
func (r *Request) findConfigPhase() bool {
	r.ContentHandler = nil
	r.URIChanged = false
	loc, rc := r.findLocation(r.Srv.Loc)
	if loc == nil {
		loc = r.Srv.Loc
	}
	r.Loc = loc
	cl := loc.core
	if !r.Internal && cl.Internal.Get() {
		r.Finalize(404)
		return false
	}
	r.updateLocationConfig()
	cl = r.Loc.core
	discard := r.DiscardBody
	if r.sub != nil && r != r.Main {
		// a subrequest is checked too, unless its parent was discarding
		// the body when it started it (nginx's sr->discard_body)
		discard = r.sub.discardBody
	}
	if r.In.ContentLengthN != -1 && !discard && cl.ClientMaxBodySize.Get() != 0 &&
		cl.ClientMaxBodySize.Get() < r.In.ContentLengthN {
		r.Log().Logf(errlog.Error, r, nil, "client intended to send too large body: %d bytes", r.In.ContentLengthN)
		r.ExpectTested = true
		r.DiscardRequestBody()
		r.Finalize(413)
		return false
	}
	if rc == findRedirect {
		r.Out.ClearLocation()
		v := escapeURI(loc.Name)
		if r.Args != "" {
			v += "?" + r.Args
		}
		r.Out.Location = r.Out.Add("Location", v)
		r.Finalize(301)
		return false
	}
	r.phase++
	return true
}

// updateLocationConfig applies what the location conf says about the
// request (ngx_http_update_location_config).
func (r *Request) updateLocationConfig() {
	cl := r.Loc.core
	if r.MethodBit&cl.LimitExcept != 0 && cl.LimitExceptLoc != nil {
		r.Loc = cl.LimitExceptLoc
		cl = r.Loc.core
	}
	if r.Main == r {
		r.log = cl.ErrorLog
	}
	if r.Keepalive {
		switch {
		case cl.KeepaliveTimeout.Get() == 0:
			r.Keepalive = false
		case r.conn.requests >= cl.KeepaliveRequests.Get():
			r.Keepalive = false
		case cl.KeepaliveTime.Get() > 0 && r.Start.Sub(r.conn.start) > cl.KeepaliveTime.Get():
			r.Keepalive = false
		case r.In.MSIE6 && r.MethodBit == MethodPOST && cl.KeepaliveDisable.Get()&keepaliveDisableMSIE6 != 0:
			r.Keepalive = false
		case r.In.Safari && cl.KeepaliveDisable.Get()&keepaliveDisableSafari != 0:
			r.Keepalive = false
		}
	}
	if cl.Handler != nil {
		r.ContentHandler = cl.Handler
	}
}

// Output filters. A header filter may change the response head before it
// is sent; a body filter may change the body pieces before they are
// written. Filters run in ascending order; the framework's writers come
// last.

// HeaderFilter processes the response head; returning anything but OK
// stops sending (Error, or a status for filterFinalize).
type HeaderFilter func(r *Request) Status

// BodyFilter processes body pieces in place.
type BodyFilter func(r *Request, c *Chain) Status

// Filter orders of the framework's own filters, mirroring nginx's module
// order (the not-modified filter sees the response first, chunked last).
const (
	OrderNotModified = 10
	OrderHeaders     = 20
	OrderRange       = 60
	OrderChunked     = 90
)

type orderedHeader struct {
	order int
	f     HeaderFilter
}

type orderedBody struct {
	order int
	f     BodyFilter
}

type filters struct {
	header []orderedHeader
	body   []orderedBody
}

// AddHeaderFilter adds a header filter at the given order.
func (cf *Config) AddHeaderFilter(order int, f HeaderFilter) {
	cf.filters.header = append(cf.filters.header, orderedHeader{order, f})
	sort.SliceStable(cf.filters.header, func(i, j int) bool { return cf.filters.header[i].order < cf.filters.header[j].order })
}

// AddBodyFilter adds a body filter at the given order.
func (cf *Config) AddBodyFilter(order int, f BodyFilter) {
	cf.filters.body = append(cf.filters.body, orderedBody{order, f})
	sort.SliceStable(cf.filters.body, func(i, j int) bool { return cf.filters.body[i].order < cf.filters.body[j].order })
}
