package gzip

import (
	"errors"
	"strconv"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// The filter's places in the output order. nginx's filter list has
// range_header, gzip, postpone, ssi, ... and each filter goes in front of
// those registered before it, so a response head meets SSI, then gzip,
// then the range filter; a body meets the range filter early (nginx's
// range body filter is near the top), then SSI, the postpone stage, gzip,
// and chunked framing last. sluice's range filter is one module at
// httpd.OrderRange (60) and postpone is httpd.OrderPostpone (80), so the
// header filter goes at 55 (after SSI's 50: it sees the Content-Length SSI
// removed; before the range filter: a compressed response has no length
// left to cut ranges from) and the body filter at 85 (after postpone: the
// bodies of subrequests are compressed with the main request's stream).
const (
	orderHeader = 55
	orderBody   = 85
)

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the gzip filter module (ngx_http_gzip_filter_module, with the
// gzip directives nginx keeps in its core module: gzip_vary,
// gzip_http_version, gzip_proxied and gzip_disable).
var Module = &httpd.Module{
	Name:   "gzip",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "gzip", Context: locContexts | conf.HTTPLif, Args: conf.FlagArg,
			Syntax: "gzip on | off;", Default: "gzip off;",
			Doc: "Enables or disables gzipping of responses.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Enable })},
		{Name: "gzip_buffers", Context: locContexts, Args: conf.Take2,
			Syntax: "gzip_buffers number size;", Default: "gzip_buffers 32 4k|16 8k;",
			Doc: "Number and size of the buffers a response is compressed into; when all are full they are sent before compression goes on.",
			Set: conf.SetBufs(func(c *LocConf) *conf.Val[conf.Bufs] { return &c.Buffers })},
		{Name: "gzip_comp_level", Context: locContexts, Args: conf.Take1,
			Syntax: "gzip_comp_level level;", Default: "gzip_comp_level 1;",
			Doc: "Compression level, 1 to 9 (Go's compress/flate levels).",
			Set: setCompLevel},
		{Name: "gzip_disable", Context: locContexts, Args: conf.OneMore,
			Syntax: "gzip_disable regex ...;",
			Doc:    "No gzipping for requests whose User-Agent matches one of the (case-insensitive, RE2) expressions; \"msie6\" stands for MSIE 4 to 6 without SV1.",
			Set:    setDisable},
		{Name: "gzip_http_version", Context: locContexts, Args: conf.Take1,
			Syntax: "gzip_http_version 1.0 | 1.1;", Default: "gzip_http_version 1.1;",
			Doc: "Minimum HTTP version of a request for its response to be gzipped.",
			Set: conf.SetEnum(httpVersions, func(c *LocConf) *conf.Num { return &c.HTTPVersion })},
		{Name: "gzip_min_length", Context: locContexts, Args: conf.Take1,
			Syntax: "gzip_min_length length;", Default: "gzip_min_length 20;",
			Doc: "Minimum Content-Length of a response to be gzipped (responses of unknown length always qualify).",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.MinLength })},
		{Name: "gzip_proxied", Context: locContexts, Args: conf.OneMore,
			Syntax:  "gzip_proxied off | expired | no-cache | no-store | private | no_last_modified | no_etag | auth | any ...;",
			Default: "gzip_proxied off;",
			Doc:     "Whether responses to proxied requests (with a Via header) are gzipped, given the request and the response's headers.",
			Set:     conf.SetBitmask(proxiedNames, func(c *LocConf) *conf.Val[uint] { return &c.Proxied })},
		{Name: "gzip_types", Context: locContexts, Args: conf.OneMore,
			Syntax: "gzip_types mime-type ...;", Default: "gzip_types text/html;",
			Doc: "MIME types gzipped in addition to text/html; \"*\" matches any.",
			Set: httpd.SetTypes(func(c *LocConf) *httpd.Types { return &c.Types }, "text/html")},
		{Name: "gzip_vary", Context: locContexts, Args: conf.FlagArg,
			Syntax: "gzip_vary on | off;", Default: "gzip_vary off;",
			Doc: "Adds \"Vary: Accept-Encoding\" to responses that could be gzipped, gzipped or not.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Vary })},
		// nginx's undocumented directives
		{Name: "gzip_window", Context: locContexts, Args: conf.Take1,
			Syntax: "gzip_window size;", Default: "gzip_window 32k;",
			Doc: "zlib's window size (undocumented in nginx); checked and ignored: Go's compress/flate always uses 32k.",
			Set: setPowerOfTwo(func(c *LocConf) *conf.Size { return &c.window }, 32<<10, "must be 512, 1k, 2k, 4k, 8k, 16k, or 32k")},
		{Name: "gzip_hash", Context: locContexts, Args: conf.Take1,
			Syntax: "gzip_hash size;", Default: "gzip_hash 64k;",
			Doc: "zlib's memory level as a size (undocumented in nginx); checked and ignored: compress/flate's memory is fixed.",
			Set: setPowerOfTwo(func(c *LocConf) *conf.Size { return &c.hash }, 128<<10, "must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k")},
		{Name: "gzip_no_buffer", Context: locContexts, Args: conf.FlagArg,
			Syntax: "gzip_no_buffer on | off;", Default: "gzip_no_buffer off;",
			Doc: "Sends what is compressed after each piece of the body instead of waiting for full buffers (undocumented in nginx).",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.NoBuffer })},
		{Name: "postpone_gzipping", Context: locContexts, Args: conf.Take1,
			Syntax: "postpone_gzipping size;", Default: "postpone_gzipping 0;",
			Doc: "Holds up to size bytes of the body before starting compression (undocumented in nginx).",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.Postpone })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Enable.Inherit(p.Enable, false)
		c.Buffers.Inherit(p.Buffers, defaultBuffers)
		c.Level.Inherit(p.Level, 1)
		c.MinLength.Inherit(p.MinLength, 20)
		c.Types.Inherit(&p.Types, "text/html")
		c.Vary.Inherit(p.Vary, false)
		c.HTTPVersion.Inherit(p.HTTPVersion, 1001)
		c.Proxied.Inherit(p.Proxied, proxiedOff)
		c.NoBuffer.Inherit(p.NoBuffer, false)
		c.Postpone.Inherit(p.Postpone, 0)
		c.window.Inherit(p.window, 32<<10)
		c.hash.Inherit(p.hash, 64<<10)
		// the expressions and the msie6 mask are inherited apart, as in
		// nginx: a level with "gzip_disable msie6" has no expressions of
		// its parent, and one with only expressions keeps its parent's
		// msie6
		c.disable.InheritOnly(p.disable)
		c.disableMSIE6.Inherit(p.disableMSIE6, false)
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: "gzip_ratio", Get: ratioVariable})
		return err
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(orderHeader, headerFilter)
		cf.AddBodyFilter(orderBody, bodyFilter)
		return nil
	},
}

// defaultBuffers is nginx's default on a 4k-page system, 128k in all.
var defaultBuffers = conf.Bufs{Num: 32, Size: 4096}

// LocConf is the gzip settings of one level.
type LocConf struct {
	// Enable is "gzip".
	Enable conf.Flag
	// Buffers is gzip_buffers.
	Buffers conf.Val[conf.Bufs]
	// Level is gzip_comp_level.
	Level conf.Num
	// MinLength is gzip_min_length.
	MinLength conf.Size
	// Types is gzip_types.
	Types httpd.Types
	// Vary is gzip_vary.
	Vary conf.Flag
	// HTTPVersion is gzip_http_version, as major*1000+minor.
	HTTPVersion conf.Num
	// Proxied is gzip_proxied's bits.
	Proxied conf.Val[uint]
	// NoBuffer is gzip_no_buffer.
	NoBuffer conf.Flag
	// Postpone is postpone_gzipping.
	Postpone conf.Size

	disable      conf.List[*httpd.Regex]
	disableMSIE6 conf.Flag
	window, hash conf.Size
}

var httpVersions = conf.Enum[int]{{Name: "1.0", Value: 1000}, {Name: "1.1", Value: 1001}}

var proxiedNames = conf.Enum[uint]{
	{Name: "off", Value: proxiedOff},
	{Name: "expired", Value: proxiedExpired},
	{Name: "no-cache", Value: proxiedNoCache},
	{Name: "no-store", Value: proxiedNoStore},
	{Name: "private", Value: proxiedPrivate},
	{Name: "no_last_modified", Value: proxiedNoLM},
	{Name: "no_etag", Value: proxiedNoETag},
	{Name: "auth", Value: proxiedAuth},
	{Name: "any", Value: proxiedAny},
}

// setCompLevel is gzip_comp_level: a number from 1 to 9.
func setCompLevel(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.Level.IsSet() {
		return conf.ErrDuplicate
	}
	n, ok := conf.Atoi(c.Arg(0))
	if !ok {
		return errors.New("invalid number")
	}
	if err := conf.CheckBounds(c, n, 1, 9); err != nil {
		return err
	}
	lc.Level.Set(int(n))
	return nil
}

// setPowerOfTwo is a size that must be a power of two from 512 bytes to
// max (gzip_window, gzip_hash).
func setPowerOfTwo(get func(*LocConf) *conf.Size, max int64, msg string) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*LocConf))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		n, ok := conf.ParseSize(c.Arg(0))
		if !ok {
			return conf.ErrInvalidValue
		}
		for s := max; s > 256; s >>= 1 {
			if s == n {
				f.Set(n)
				return nil
			}
		}
		return errors.New(msg)
	}
}

// setDisable is gzip_disable (ngx_http_gzip_disable): "msie6" sets the
// mask, any other argument is a case-insensitive expression.
func setDisable(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	list := lc.disable.Get()
	for _, a := range c.Args {
		if a == "msie6" {
			lc.disableMSIE6.Set(true)
			continue
		}
		re, err := httpd.ConfigOf(c).CompileRegex(c, a, true)
		if err != nil {
			return err
		}
		list = append(list, re)
	}
	lc.disable.Set(list)
	return nil
}

// ratioVariable is $gzip_ratio: the size of the body over the size of its
// gzipped form, with two decimals, once the compression is complete.
func ratioVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	x := httpd.Ctx[ctx](r, &self)
	if x == nil || x.zout == 0 {
		return "", false
	}
	return ratio(x.zin, x.zout), true
}

// ratio formats in/out as nginx does: integer part, a dot, two digits,
// rounded half up on the third.
func ratio(in, out int64) string {
	whole := in / out
	frac := in * 100 / out % 100
	if in*1000/out%10 > 4 {
		frac++
		if frac > 99 {
			whole++
			frac = 0
		}
	}
	b := strconv.AppendInt(nil, whole, 10)
	b = append(b, '.')
	if frac < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, frac, 10)
	return string(b)
}
