// Package mytest is the example upstream module of sluice's source notes,
// runnable: `location /test { mytest; }` turns a request for
// /test?lumia into "GET /s?wd=lumia" to its backend and relays the answer.
//
// It is the tutorial module (see docs/modules.md): a location handler that
// hands the request to the upstream framework, and a protocol that builds
// the request and parses the response head in two stages — status line,
// then header lines — exactly as the notes' mytest_process_status_line and
// mytest_upstream_process_header do.
//
// Directives
//
//	Syntax:  mytest;
//	Default: —
//	Context: location, if in location, limit_except
//
// Sends requests of the location to the mytest backend.
//
//	Syntax:  mytest_pass address;
//	Default: mytest_pass www.baidu.com:80;
//	Context: http, server, location
//
// Sets the backend address (host:port, resolved when the configuration is
// loaded). The default of the notes needs the Internet; the embedded default
// configuration points it at a search page sluice serves itself.
package mytest

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

// Module is the mytest HTTP module.
var Module = &httpd.Module{
	Name:   "mytest",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "mytest", Context: conf.HTTPLoc | conf.HTTPLif | conf.HTTPLmt, Args: conf.NoArgs,
			Syntax: "mytest;", Doc: "Sends requests of the location to the mytest backend.", Set: setMytest},
		{Name: "mytest_pass", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1,
			Syntax: "mytest_pass address;", Default: "mytest_pass www.baidu.com:80;",
			Doc: "The mytest backend.", Set: setPass},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  mergeLoc,
}

// LocConf is mytest's location configuration: the backend and, as in the
// notes, the upstream configuration every request of the location shares.
type LocConf struct {
	Pass     conf.Str
	target   *upstream.Addresses
	Upstream upstream.Conf
}

// setMytest installs the content handler, like the notes'
// clcf->handler = ngx_http_mytest_handler.
func setMytest(c *conf.Cmd) error {
	httpd.CoreLocOf(c).Handler = handler
	return nil
}

func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.Pass.IsSet() {
		return conf.ErrDuplicate
	}
	t, err := upstream.ParseAddress(c.Arg(0), 80)
	if err != nil {
		return c.Errorf("%s in \"mytest_pass\" directive", err)
	}
	lc.Pass.Set(c.Arg(0))
	lc.target = t
	return nil
}

// mergeLoc is the notes' create/merge: fixed timeouts of one minute, no
// buffering, and nginx's hidden headers.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if !c.Pass.IsSet() {
		c.Pass, c.target = p.Pass, p.target
	}
	c.Upstream.Buffering.Set(false)
	return c.Upstream.Merge(cf, &p.Upstream, "mytest_", []string{"Date", "Server", "X-Pad", "X-Accel-Expires",
		"X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}, "mytest_temp")
}

// handler is the content handler: the notes' ngx_http_mytest_handler.
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc.target == nil {
		// the notes' default, resolved on first use
		t, err := upstream.ParseAddress("www.baidu.com:80", 80)
		if err != nil {
			r.Log().Logf(errlog.Error, r, nil, "mytest: %s", err)
			return 502
		}
		lc.target = t
	}
	if st := r.DiscardRequestBody(); st != httpd.OK {
		return st
	}
	p := &protocol{host: lc.Pass.Get()}
	return upstream.Run(r, &lc.Upstream, lc.target, p)
}

// protocol is the per-request context (the notes' ngx_http_mytest_ctx_t):
// the parse state of the two stages.
type protocol struct {
	host    string
	status  http1.StatusLine
	header  http1.HeaderParser
	inLines bool // false: parsing the status line; true: header lines
}

// CreateRequest builds "GET /s?wd=ARGS HTTP/1.1" (create_request).
func (p *protocol) CreateRequest(u *upstream.Upstream) error {
	host := p.host
	if host == "" {
		host = "www.baidu.com"
	}
	b := make([]byte, 0, 64+len(u.R.Args)+len(host))
	b = append(b, "GET /s?wd="...)
	b = append(b, u.R.Args...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nConnection: close\r\n\r\n"...)
	u.Request.Append(b)
	u.URI = "/s?wd=" + u.R.Args
	return nil
}

// ProcessHeader parses the status line, then the header lines
// (process_header, switching stages like the notes do).
func (p *protocol) ProcessHeader(u *upstream.Upstream) upstream.HeaderResult {
	if !p.inLines {
		// the parsers resume where they stopped: their Pos is theirs
		switch p.status.Parse(u.Buffer[:u.Last]) {
		case http1.NeedMore:
			return upstream.NeedMore
		case http1.OK:
		default:
			// as the notes: no valid status line means an HTTP/0.9 answer
			u.Logf(errlog.Error, nil, "upstream sent no valid HTTP/1.0 header")
			u.HeadersIn.StatusN = 200
			u.OwnServerDate = false
			return upstream.HeaderDone
		}
		u.HeadersIn.StatusN = p.status.Code
		u.HeadersIn.StatusLine = bytesconv.String(u.Buffer[p.status.Start:p.status.End])
		u.Pos = p.status.Pos
		p.header.Pos = u.Pos
		p.inLines = true
		p.header.AllowUnderscores = true
		p.header.Upstream = true
	}
	// the rest of the bytes may already hold header lines
	for {
		switch p.header.Parse(u.Buffer[:u.Last]) {
		case http1.OK:
			b := u.Buffer[:u.Last]
			if !u.AddHeader(bytesconv.String(p.header.Name(b)), bytesconv.String(p.header.Value(b))) {
				return upstream.Invalid
			}
			u.Pos = p.header.Pos
		case http1.HeaderDone:
			u.Pos = p.header.Pos
			u.Length = u.HeadersIn.ContentLengthN
			// as the notes: without Server and Date from the backend, the
			// response gets none (sluice would otherwise add its own)
			u.OwnServerDate = true
			return upstream.HeaderDone
		case http1.NeedMore:
			return upstream.NeedMore
		default:
			u.Logf(errlog.Error, nil, "upstream sent invalid header")
			return upstream.Invalid
		}
	}
}

// Finalize logs at debug, like the notes' mytest_upstream_finalize_request.
func (p *protocol) Finalize(u *upstream.Upstream, status int) {
	u.Logf(errlog.Debug, nil, "mytest_upstream_finalize_request")
}
