package charset

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// noCharset is the index of a charset name no directive mentions
// (NGX_HTTP_NO_CHARSET).
const noCharset = -1

// lookup is how a charset name was resolved.
type lookup uint8

const (
	found lookup = iota
	declined
	failed
)

// filterCtx is a response's charset state: on a main request the charset
// its subrequests' bodies must come in, and the recoder when the body is
// recoded.
type filterCtx struct {
	charset int
	name    string
	rec     *recoder
	out     []byte
	readBuf []byte
}

// headerFilter decides the response's charset and whether its body is
// recoded (ngx_http_charset_header_filter).
func headerFilter(r *httpd.Request) httpd.Status {
	mc := httpd.MainConf[mainConf](r, &self)
	var dst string
	var charset int
	var res lookup
	if r == r.Main {
		charset, dst, res = destination(r, mc)
	} else {
		charset, dst, res = mainRequestCharset(r, mc)
	}
	switch res {
	case failed:
		return httpd.Error
	case declined:
		return httpd.OK
	}
	source, src, off, res := sourceCharset(r, mc)
	if res == failed {
		return httpd.Error
	}
	out := &r.Out
	if off {
		nameCharset(r, dst)
		return httpd.OK
	}
	if charset == noCharset || source == noCharset {
		if source != charset || !equalFoldPrefix(src, dst) {
			return noMap(r, src, dst)
		}
		nameCharset(r, dst)
		return httpd.OK
	}
	if source == charset {
		out.ContentType = out.ContentType[:out.ContentTypeLen]
		nameCharset(r, dst)
		return httpd.OK
	}
	if out.ContentEncoding >= 0 && out.Get(out.ContentEncoding) != "" {
		return httpd.OK
	}
	cs := mc.charsets
	if cs[source].tables == nil || cs[source].tables[charset] == nil {
		return noMap(r, src, dst)
	}
	out.ContentType = out.ContentType[:out.ContentTypeLen]
	nameCharset(r, dst)
	ctx := &filterCtx{charset: charset, name: cs[charset].name,
		rec: &recoder{t: *cs[source].tables[charset]}}
	httpd.SetCtx(r, &self, ctx)
	if (cs[source].utf8 || cs[charset].utf8) && r == r.Main {
		out.ClearContentLength()
	}
	return httpd.OK
}

// noMap logs the missing map and lets the response go unchanged.
func noMap(r *httpd.Request, src, dst string) httpd.Status {
	r.Log().Logf(errlog.Error, r, nil, "no \"charset_map\" between the charsets \"%s\" and \"%s\"", src, dst)
	return httpd.OK
}

// equalFoldPrefix is nginx's ngx_strncasecmp(dst, src, len(dst)) == 0
// between two charset names: src starts with dst, ASCII case ignored.
func equalFoldPrefix(src, dst string) bool {
	if len(src) < len(dst) {
		return false
	}
	for i := 0; i < len(dst); i++ {
		if ascii.Lower(src[i]) != ascii.Lower(dst[i]) {
			return false
		}
	}
	return true
}

// destination is the charset a main response should name
// (ngx_http_destination_charset).
func destination(r *httpd.Request, mc *mainConf) (int, string, lookup) {
	out := &r.Out
	if out.ContentType == "" {
		return 0, "", declined
	}
	if name := out.OverrideCharset; name != "" {
		if i := mc.find(name); i != noCharset {
			return i, name, found
		}
		r.Log().Logf(errlog.Error, r, nil, "unknown charset \"%s\" to override", name)
		return 0, "", declined
	}
	lc := httpd.LocConf[LocConf](r, &self)
	c := lc.Charset.Get()
	if c.kind == refOff {
		return 0, "", declined
	}
	if out.Charset != "" {
		if !lc.Override.Get() {
			return 0, "", declined
		}
	} else if !lc.Types.Match(r) {
		return 0, "", declined
	}
	return resolve(r, mc, c)
}

// resolve gives the index and name a charset value stands for; a
// variable that is not found fails the request.
func resolve(r *httpd.Request, mc *mainConf, c ref) (int, string, lookup) {
	if c.kind == refName {
		return c.idx, mc.charsets[c.idx].name, found
	}
	name, ok := r.Var(c.idx)
	if !ok {
		return 0, "", failed
	}
	return mc.find(name), name, found
}

// mainRequestCharset is the charset a subrequest's body must be in: the
// main response's (ngx_http_main_request_charset).
func mainRequestCharset(r *httpd.Request, mc *mainConf) (int, string, lookup) {
	if ctx := httpd.Ctx[filterCtx](r.Main, &self); ctx != nil {
		return ctx.charset, ctx.name, found
	}
	name := r.Main.Out.Charset
	if name == "" {
		return 0, "", declined
	}
	ctx := &filterCtx{charset: mc.find(name), name: name}
	httpd.SetCtx(r.Main, &self, ctx)
	return ctx.charset, name, found
}

// sourceCharset is the charset the response is in
// (ngx_http_source_charset): the one its Content-Type names, else
// source_charset; off reports a source_charset that is off.
func sourceCharset(r *httpd.Request, mc *mainConf) (idx int, name string, off bool, res lookup) {
	if name := r.Out.Charset; name != "" {
		return mc.find(name), name, false, found
	}
	c := httpd.LocConf[LocConf](r, &self).Source.Get()
	if c.kind == refOff {
		return 0, "", true, found
	}
	idx, name, res = resolve(r, mc, c)
	return idx, name, false, res
}

// nameCharset names the charset in a main response's Content-Type; a 301
// or 302 gets none (ngx_http_set_charset).
func nameCharset(r *httpd.Request, name string) {
	if r != r.Main {
		return
	}
	if s := r.Out.Status; s == 301 || s == 302 {
		r.Out.Charset = ""
		return
	}
	r.Out.Charset = name
}

// readBufSize is how much of a file piece is read at a time to recode it.
const readBufSize = 32 << 10

// bodyFilter recodes the body (ngx_http_charset_body_filter). The bytes
// given belong to the caller, so the recoded body is built in a buffer
// of the response's own.
func bodyFilter(r *httpd.Request, c *httpd.Chain) httpd.Status {
	ctx := httpd.Ctx[filterCtx](r, &self)
	if ctx == nil || ctx.rec == nil || len(c.Pieces) == 0 {
		return httpd.OK
	}
	out := ctx.out[:0]
	for i := range c.Pieces {
		p := &c.Pieces[i]
		if p.File == nil {
			out = ctx.rec.recode(out, p.Data)
			continue
		}
		if ctx.readBuf == nil {
			ctx.readBuf = make([]byte, min(p.N, readBufSize))
		}
		if rc := p.ReadFile(r, ctx.readBuf, func(b []byte, _ int64) httpd.Status {
			out = ctx.rec.recode(out, b)
			return httpd.OK
		}); rc != httpd.OK {
			return rc
		}
	}
	ctx.out = out
	c.Pieces = c.Pieces[:0]
	c.Append(out)
	return httpd.OK
}
