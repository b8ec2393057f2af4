// Package sub is nginx's sub filter (ngx_http_sub_filter_module): it
// replaces strings in response bodies.
//
//	location / {
//	    sub_filter '<a href="http://127.0.0.1:8080/'  '<a href="https://$host/';
//	    sub_filter '<img src="http://127.0.0.1:8080/' '<img src="https://$host/';
//	    sub_filter_once on;
//	}
//
// Directives (as nginx.org documents them):
//
//	Syntax:  sub_filter string replacement;
//	Default: —
//	Context: http, server, location
//
// Sets a string to replace and a replacement string. The string to replace
// is matched ignoring (ASCII) case. Both may contain variables; a string
// with variables is computed per request, and one that comes out empty is
// left out. Several sub_filter directives may be given on one level (255
// at most); a level inherits its parent's only when it has none of its own.
//
//	Syntax:  sub_filter_last_modified on | off;
//	Default: sub_filter_last_modified off;
//	Context: http, server, location
//
// Keeps the Last-Modified of replaced responses (and weakens their ETag);
// by default both are removed.
//
//	Syntax:  sub_filter_once on | off;
//	Default: sub_filter_once on;
//	Context: http, server, location
//
// Whether each string is replaced once or every time.
//
//	Syntax:  sub_filter_types mime-type ...;
//	Default: sub_filter_types text/html;
//	Context: http, server, location
//
// Processes responses with these MIME types in addition to text/html; "*"
// matches any.
//
// As in nginx, every response of a matching type whose length is not
// known to be zero is processed, whatever its status: it loses its
// Content-Length, and its Last-Modified and ETag unless
// sub_filter_last_modified is on. Subrequests' bodies are processed with
// their own location's configuration; their heads, never sent, are left
// alone. Which match wins when several patterns could, and what is held
// back between pieces of the body, is described in match.go.
package sub

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// order places the filter in nginx's output order. nginx's module list has
// ssi, charset, xslt, image, sub, addition, and each filter puts itself in
// front of those registered before it, so a response meets addition first,
// then sub, then ssi. sluice runs filters in ascending order: addition is
// 40 and ssi 50, so sub is 45 — it sees the body with the additions'
// places already decided, and SSI sees the replaced text (a replacement
// may insert an SSI command, which is then run).
const order = 45

// maxPairs is nginx's limit on sub_filter directives per level.
const maxPairs = 255

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the sub filter module.
var Module = &httpd.Module{
	Name:   "sub",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "sub_filter", Context: locContexts, Args: conf.Take2, Syntax: "sub_filter string replacement;",
			Doc: "Replaces string (matched ignoring case) with replacement; both may hold variables. Several allowed; a level without any inherits its parent's.",
			Set: setSubFilter},
		{Name: "sub_filter_types", Context: locContexts, Args: conf.OneMore,
			Syntax: "sub_filter_types mime-type ...;", Default: "sub_filter_types text/html;",
			Doc: "MIME types processed in addition to text/html; \"*\" matches any.",
			Set: httpd.SetTypes(func(c *LocConf) *httpd.Types { return &c.Types }, "text/html")},
		{Name: "sub_filter_once", Context: locContexts, Args: conf.FlagArg,
			Syntax: "sub_filter_once on | off;", Default: "sub_filter_once on;",
			Doc: "Replaces each string once, or every time.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Once })},
		{Name: "sub_filter_last_modified", Context: locContexts, Args: conf.FlagArg,
			Syntax: "sub_filter_last_modified on | off;", Default: "sub_filter_last_modified off;",
			Doc: "Keeps Last-Modified (and a weakened ETag) of processed responses.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.LastModified })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Once.Inherit(p.Once, true)
		c.LastModified.Inherit(p.LastModified, false)
		c.Types.Inherit(&p.Types, "text/html")
		if c.pairs == nil {
			c.pairs, c.dynamic, c.table = p.pairs, p.dynamic, p.table
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// LocConf is the module's location configuration.
type LocConf struct {
	Once, LastModified conf.Flag
	Types              httpd.Types

	// pairs are the level's sub_filter directives, nil when it has none.
	pairs []pair
	// dynamic: some string has variables, so the table is made per
	// request; otherwise table is the strings' compiled table.
	dynamic bool
	table   *table
}

// pair is one sub_filter.
type pair struct {
	match *httpd.Complex // lowercased source
	value *httpd.Complex
}

// setSubFilter is "sub_filter string replacement" (ngx_http_sub_filter).
func setSubFilter(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if c.Arg(0) == "" {
		return c.Errorf("empty search pattern")
	}
	if len(lc.pairs) == maxPairs {
		return c.Errorf("number of search patterns exceeds 255")
	}
	cf := httpd.ConfigOf(c)
	// as nginx, the string is lowercased before it is compiled (variable
	// names are case-insensitive anyway)
	m, err := cf.Compile(c, string(lowerBytes(c.Arg(0))))
	if err != nil {
		return err
	}
	v, err := cf.Compile(c, c.Arg(1))
	if err != nil {
		return err
	}
	lc.pairs = append(lc.pairs, pair{match: m, value: v})
	if _, ok := m.Literal(); !ok {
		lc.dynamic = true
	}
	lc.table = nil
	if !lc.dynamic {
		pats := make([]string, len(lc.pairs))
		for i, p := range lc.pairs {
			pats[i], _ = p.match.Literal()
		}
		lc.table = newTable(pats, nil)
	}
	return nil
}

// ctx is the state of one response being processed.
type ctx struct {
	r     *httpd.Request
	pairs []pair
	st    *stream
	// repl caches each directive's replacement, computed at its first
	// match (nginx's ctx->sub).
	repl []string
	done []bool

	in      []httpd.Piece
	out     httpd.Chain
	fileBuf []byte
}

// fileChunk is how much of a file body is read at once (nginx's
// output_buffers default).
const fileChunk = 32768

// headerFilter decides whether the response is processed
// (ngx_http_sub_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc.pairs == nil || r.Out.ContentLengthN == 0 || !lc.Types.Match(r) {
		return httpd.OK
	}
	t := lc.table
	if lc.dynamic {
		var pats []string
		var idx []int
		for i, p := range lc.pairs {
			m := p.match.Eval(r)
			if m == "" {
				continue
			}
			pats = append(pats, m)
			idx = append(idx, i)
		}
		if len(pats) == 0 {
			return httpd.OK
		}
		t = newTable(pats, idx)
	}
	x := &ctx{
		r:     r,
		pairs: lc.pairs,
		st:    newStream(t, lc.Once.Get()),
		repl:  make([]string, len(lc.pairs)),
		done:  make([]bool, len(lc.pairs)),
	}
	httpd.SetCtx(r, &self, x)
	if r == r.Main {
		r.Out.ClearContentLength()
		if !lc.LastModified.Get() {
			r.Out.ClearLastModified()
			r.Out.ClearETag()
		} else {
			r.WeakETag()
		}
	}
	return httpd.OK
}

// raw and replace make ctx the stream's emitter.
func (x *ctx) raw(b []byte) { x.out.Append(b) }

func (x *ctx) replace(pat int) {
	i := x.st.t.pair[pat]
	if !x.done[i] {
		x.repl[i] = x.pairs[i].value.Eval(x.r)
		x.done[i] = true
	}
	x.out.AppendString(x.repl[i])
}

// bodyFilter replaces the strings (ngx_http_sub_body_filter). It sends
// what it makes on itself, through the filters after it, and leaves c
// empty.
//
// The held tail goes out at the end of the body. nginx also sends it at
// the end of a subrequest's body (last_in_chain); sluice marks that end
// only for upstream responses (their last chain has Last), while a static
// file or a returned text of a subrequest comes in one chain without it.
// So for a subrequest not served through the upstream framework every
// chain is taken as its whole body: nothing is held past it (a match cut
// between two of its chains would be missed, none of these handlers cuts
// a body), and nothing is lost.
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil || x.st.done && len(x.st.held) == 0 {
		return httpd.OK
	}
	if len(c.Pieces) == 0 && !c.Last {
		// nothing new to scan; a flush leaves a partial match held, as
		// nginx's does
		return httpd.OK
	}
	// the chain may be reused by a subrequest (a response's own chain of
	// the connection): work on a copy of its pieces
	x.in = append(x.in[:0], c.Pieces...)
	last, flush := c.Last, c.Flush
	c.Reset()
	rc := x.run(r)
	if rc == httpd.OK {
		if last {
			x.st.end(x)
		}
		x.out.Last, x.out.Flush = last, flush
		rc = x.send(r, true)
	}
	x.out.Reset()
	clear(x.in)
	return rc
}

// run scans the pieces taken from the input chain.
func (x *ctx) run(r *httpd.Request) httpd.Status {
	for k := range x.in {
		p := x.in[k]
		if p.File == nil {
			x.st.feed(p.Data, x)
			continue
		}
		if x.fileBuf == nil {
			x.fileBuf = make([]byte, fileChunk)
		}
		rc := p.ReadFile(r, x.fileBuf, func(b []byte, _ int64) httpd.Status {
			x.st.feed(b, x)
			// the buffer is read into again: what refers to it goes out now
			return x.send(r, false)
		})
		if rc != httpd.OK {
			return rc
		}
	}
	return httpd.OK
}

// send passes what was made so far to the next filters; force sends an
// empty chain too (to pass Last or Flush on).
func (x *ctx) send(r *httpd.Request, force bool) httpd.Status {
	if len(x.out.Pieces) == 0 && (!force || !x.out.Last && !x.out.Flush) {
		return httpd.OK
	}
	rc := r.NextBodyFilter(order, &x.out)
	x.out.Pieces = x.out.Pieces[:0]
	x.st.release()
	return rc
}
