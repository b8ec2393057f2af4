package rewrite

import (
	"sync"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
)

// stmt is one compiled statement of the rewrite module (the Go form of a
// run of nginx's script codes).
type stmt interface {
	exec(e *engine)
}

// engine runs a block's statements for one request
// (ngx_http_script_engine_t).
type engine struct {
	r *httpd.Request
	// log is rewrite_log, or an error log open to debug messages (nginx
	// then logs the same notices).
	log bool
	// quote is nginx's e->quote: set when the run starts, cleared by the
	// first matching "rewrite"; while set, captures copied into values are
	// escaped for a query string when the request URI had "%" or "+".
	quote bool
	// status is what the handler returns: Declined unless a statement
	// answered the request or redirected.
	status httpd.Status
	// exit stops the run ("break", "return", a flagged "rewrite").
	exit bool
	// reset clears captures after a failed match.
	reset *httpd.Regex
	// tmp builds values before they are copied to the request's scratch
	// memory.
	tmp *[]byte
}

// engines are reused across requests, with their value buffers, so a
// request costs no allocation here.
var engines = sync.Pool{New: func() any { return &engine{tmp: new([]byte)} }}

// runCode runs the statements of the block in effect for r
// (ngx_http_rewrite_handler).
func runCode(r *httpd.Request) httpd.Status {
	lc := locConf(r)
	if lc == nil || len(lc.code) == 0 {
		return httpd.Declined
	}
	e := engines.Get().(*engine)
	*e = engine{
		r:      r,
		log:    lc.Log.Get() || r.Log().Enabled(errlog.Debug),
		quote:  true,
		status: httpd.Declined,
		reset:  httpd.MainConf[mainConf](r, &self).reset,
		tmp:    e.tmp,
	}
	e.run(lc.code)
	status := e.status
	e.r, e.reset = nil, nil
	if cap(*e.tmp) <= 64<<10 {
		engines.Put(e)
	}
	return status
}

// run executes statements until one stops the run.
func (e *engine) run(code []stmt) {
	for _, s := range code {
		s.exec(e)
		if e.exit {
			return
		}
	}
}

// fail stops the run with an internal server error.
func (e *engine) fail() {
	e.status = 500
	e.exit = true
}

// match runs a rewrite or "if" regex on line, logging the outcome when
// rewrite_log is on (the regex part of ngx_http_script_regex_start_code).
// Whether it matches or not, the captures of an earlier match are gone
// afterwards, as in nginx (even a regex without captures empties them).
func (e *engine) match(re *httpd.Regex, line string) bool {
	r := e.r
	if !r.RegexExec(re, line) {
		if e.log {
			r.Log().Logf(errlog.Notice, r, nil, "\"%s\" does not match \"%s\"", re.Source(), line)
		}
		if e.reset != nil {
			r.RegexExec(e.reset, "")
		}
		return false
	}
	if e.log {
		r.Log().Logf(errlog.Notice, r, nil, "\"%s\" matches \"%s\"", re.Source(), line)
	}
	return true
}

// truth is the "if" test of a value: true unless empty or "0".
func truth(s string) bool { return s != "" && s != "0" }

// rewriteStmt is "rewrite regex replacement [flag]".
type rewriteStmt struct {
	re   *httpd.Regex
	repl *value
	// addArgs keeps the request's arguments (no "?" at the end of the
	// replacement).
	addArgs bool
	// redirect answers with status (302 or 301) and a Location.
	redirect bool
	status   httpd.Status
	// breakCycle is the "break" flag; last ends the run ("last", "break",
	// "redirect", "permanent", or a replacement that is a URL).
	breakCycle bool
	last       bool
}

func (s *rewriteStmt) exec(e *engine) {
	r := e.r
	if !e.match(s.re, r.URI) {
		return
	}
	if s.redirect {
		e.status = s.status
	}
	r.Internal = true
	r.ValidUnparsedURI = false
	if s.breakCycle {
		r.InvalidateLocation()
		r.URIChanged = false
	} else {
		r.URIChanged = true
	}
	buf, argsAt := s.repl.appendEval(r, (*e.tmp)[:0], s.redirect)
	e.quote = false
	if s.redirect {
		s.finishRedirect(e, buf)
	} else {
		s.finishURI(e, buf, argsAt)
	}
	*e.tmp = buf[:0]
	if s.last {
		e.exit = true
	}
}

// finishRedirect sets the Location of a redirecting rewrite: escapes in
// the replacement are decoded as nginx's NGX_UNESCAPE_REDIRECT does, and
// the request's arguments are appended unless the replacement ended with
// "?".
func (s *rewriteStmt) finishRedirect(e *engine, buf []byte) {
	r := e.r
	n := len(buf)
	out, used := http1.Unescape(buf[:0], buf[:n], http1.UnescapeRedirect)
	out = append(out, buf[used:n]...)
	if s.addArgs && r.Args != "" {
		if s.repl.hasArgs {
			out = append(out, '&')
		} else {
			out = append(out, '?')
		}
		out = append(out, r.Args...)
	}
	loc := keep(r, out)
	if e.log {
		r.Log().Logf(errlog.Notice, r, nil, "rewritten redirect: \"%s\"", loc)
	}
	r.Out.SetLocation(loc)
}

// finishURI makes the replacement the request's URI and arguments.
func (s *rewriteStmt) finishURI(e *engine, buf []byte, argsAt int) {
	r := e.r
	if argsAt >= 0 && s.addArgs && r.Args != "" {
		buf = append(buf, '&')
		buf = append(buf, r.Args...)
	}
	full := keep(r, buf)
	uri := full
	if argsAt >= 0 {
		uri, r.Args = full[:argsAt], full[argsAt:]
	} else if !s.addArgs {
		r.Args = ""
	}
	if e.log {
		r.Log().Logf(errlog.Notice, r, nil, "rewritten data: \"%s\", args: \"%s\"", uri, r.Args)
	}
	r.URI = uri
	if uri == "" {
		r.Log().Logf(errlog.Error, r, nil, "the rewritten URI has a zero length")
		e.fail()
		return
	}
	setExten(r)
}

// setExten sets the request's extension from its URI (ngx_http_set_exten).
func setExten(r *httpd.Request) {
	r.Exten = ""
	u := r.URI
	for i := len(u) - 1; i > 1; i-- {
		if u[i] == '.' && u[i-1] != '/' {
			r.Exten = u[i+1:]
			return
		}
		if u[i] == '/' {
			return
		}
	}
}

// returnStmt is "return code [text]" and "return URL".
type returnStmt struct {
	code int
	text *value
}

func (s *returnStmt) exec(e *engine) {
	if s.code < 400 || s.text.src != "" {
		// the text is evaluated after the body is discarded, as nginx
		// does (a discarded chunked body makes $content_length 0)
		e.status = sendResponse(e.r, s.code, func() string { return s.text.eval(e.r, e.tmp, false) })
	} else {
		e.status = httpd.Status(s.code)
	}
	e.exit = true
}

// breakStmt is "break" (ngx_http_script_break_code).
type breakStmt struct{}

func (breakStmt) exec(e *engine) {
	r := e.r
	if r.URIChanged {
		r.InvalidateLocation()
		r.URIChanged = false
	}
	e.exit = true
}

// setStmt is "set $variable value".
type setStmt struct {
	index int
	val   *value
}

func (s *setStmt) exec(e *engine) {
	e.r.SetVar(s.index, s.val.eval(e.r, e.tmp, e.quote))
}

// ifStmt is an "if" block: when the condition holds, a location-level
// block makes its anonymous location the request's configuration, and the
// block's statements run; the run then goes on after the block.
type ifStmt struct {
	cond cond
	// loc is nil for "if" in server, which keeps the server's conf.
	loc  *httpd.Location
	body []stmt
}

func (s *ifStmt) exec(e *engine) {
	if !s.cond.test(e) {
		return
	}
	if s.loc != nil {
		e.r.SetLocation(s.loc)
	}
	e.run(s.body)
}
