package proxy

import (
	"strconv"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// headerSrc is one proxy_set_header line.
type headerSrc struct {
	key   string
	value *httpd.Complex // nil for an empty value (the field is dropped)
}

// builtin values of nginx's default header list, computed from the
// request's proxy context (the same as the variables they stand for).
const (
	valComplex = iota
	valProxyHost
	valClose
	valBodyLength
	valChunked
)

// headerLine is one line of the compiled list.
type headerLine struct {
	key  string
	kind int
	cx   *httpd.Complex
}

// headerSet is the compiled proxy_set_header list of a level with nginx's
// defaults merged in (ngx_http_proxy_init_headers): the lines to send, in
// order, and the lowercased names of every listed field, which are not
// copied from the client's request.
type headerSet struct {
	lines []headerLine
	names []string
}

// defaultHeader is one field of a default list.
type defaultHeader struct {
	key  string
	kind int
	keep bool // has a value
}

// defaultHeaders is nginx's default list (as of the nginx version sluice
// follows): a field listed with an empty value is never passed.
var defaultHeaders = []defaultHeader{
	{"Host", valProxyHost, true},
	{"Connection", valClose, true},
	{"Content-Length", valBodyLength, true},
	{"Transfer-Encoding", valChunked, true},
	{"TE", 0, false},
	{"Keep-Alive", 0, false},
	{"Expect", 0, false},
	{"Upgrade", 0, false},
}

// compileHeaders merges a level's proxy_set_header lines with the
// defaults: the configured lines first, then each default the
// configuration did not name.
func compileHeaders(src []headerSrc) *headerSet {
	return compileHeadersWith(src, defaultHeaders)
}

// compileHeadersWith is compileHeaders with another default list (the
// cache's).
func compileHeadersWith(src []headerSrc, defaults []defaultHeader) *headerSet {
	hs := &headerSet{}
	for _, h := range src {
		hs.names = append(hs.names, ascii.ToLower(h.key))
		if h.value != nil {
			hs.lines = append(hs.lines, headerLine{key: h.key, kind: valComplex, cx: h.value})
		}
	}
next:
	for _, d := range defaults {
		for _, h := range src {
			if ascii.EqualFold(h.key, d.key) {
				continue next
			}
		}
		hs.names = append(hs.names, ascii.ToLower(d.key))
		if d.keep {
			hs.lines = append(hs.lines, headerLine{key: d.key, kind: d.kind})
		}
	}
	return hs
}

// listed reports whether the client's field name is in the set (then it
// is not passed as is).
func (hs *headerSet) listed(name string) bool {
	for _, n := range hs.names {
		if len(n) == len(name) && ascii.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// value evaluates a line for the request ("" drops it).
func (l *headerLine) value(r *httpd.Request, ctx *reqCtx) string {
	switch l.kind {
	case valProxyHost:
		return ctx.vars.hostHeader
	case valClose:
		return "close"
	case valBodyLength:
		if ctx.internalBodyLength < 0 {
			return ""
		}
		return strconv.FormatInt(ctx.internalBodyLength, 10)
	case valChunked:
		if ctx.internalChunked {
			return "chunked"
		}
		return ""
	case valCacheLastModified, valCacheETag:
		return cacheHeaderValue(r, l.kind)
	}
	return l.cx.Eval(r)
}

// setHeader is proxy_set_header.
func setHeader(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	h := headerSrc{key: c.Arg(0)}
	if c.Arg(1) != "" {
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(1))
		if err != nil {
			return err
		}
		h.value = x
	}
	conf.Append(&lc.headerSrc, h)
	return nil
}

// setBody is proxy_set_body.
func setBody(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.body.IsSet() {
		return conf.ErrDuplicate
	}
	x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.body.Set(x)
	return nil
}

// setMethod is proxy_method.
func setMethod(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.method.IsSet() {
		return conf.ErrDuplicate
	}
	x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.method.Set(x)
	return nil
}
