package gunzip

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/gzip"
)

// order is the filter's place in the output order, for its header and
// body filters alike. nginx's filter list has ... gzip, postpone, ssi,
// charset, sub, addition, gunzip, userid, headers ..., and each filter goes
// in front of those registered before it: a response meets the headers
// filter, then gunzip, then addition, sub, SSI and gzip. sluice's headers
// filter is httpd.OrderHeaders (20) and addition is 40, so gunzip is 30:
// sub_filter and SSI see the decompressed text (their header filters skip
// an encoded response, and gunzip has removed Content-Encoding), and the
// gzip filter may compress it again for ... no one: gunzip only works for
// clients that do not accept gzip.
const order = 30

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the gunzip filter module (ngx_http_gunzip_filter_module).
var Module = &httpd.Module{
	Name:   "gunzip",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "gunzip", Context: locContexts, Args: conf.FlagArg,
			Syntax: "gunzip on | off;", Default: "gunzip off;",
			Doc: "Decompresses responses with \"Content-Encoding: gzip\" for clients that do not accept gzip (and for subrequests).",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Enable })},
		{Name: "gunzip_buffers", Context: locContexts, Args: conf.Take2,
			Syntax: "gunzip_buffers number size;", Default: "gunzip_buffers 32 4k|16 8k;",
			Doc: "Number and size of the buffers a response is decompressed into.",
			Set: conf.SetBufs(func(c *LocConf) *conf.Val[conf.Bufs] { return &c.Buffers })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Enable.Inherit(p.Enable, false)
		c.Buffers.Inherit(p.Buffers, defaultBuffers)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// defaultBuffers is nginx's default on a 4k-page system, 128k in all.
var defaultBuffers = conf.Bufs{Num: 32, Size: 4096}

// LocConf is the gunzip settings of one level.
type LocConf struct {
	// Enable is "gunzip".
	Enable conf.Flag
	// Buffers is gunzip_buffers.
	Buffers conf.Val[conf.Bufs]
}

// headerFilter decides whether the response is decompressed
// (ngx_http_gunzip_header_filter): gunzip is on, its Content-Encoding is
// "gzip" (in any case, nothing else: no lists of codings), and the client
// may not have it gzipped (gzip.Tested: always so for a subrequest). A
// response that gets this far is one whose encoding depends on the
// request: with gzip_vary on, "Vary: Accept-Encoding". A decompressed
// response loses Content-Encoding, Content-Length and Accept-Ranges, and
// its ETag becomes weak.
func headerFilter(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	out := &r.Out
	if !lc.Enable.Get() || !isGzip(out.Get(out.ContentEncoding)) {
		return httpd.OK
	}
	if gzip.VaryOn(r) {
		r.VaryAcceptEncoding = true
	}
	if gzip.Tested(r) {
		return httpd.OK
	}
	bufs := lc.Buffers.Get()
	x, _ := ctxPool.Get().(*ctx)
	if x == nil {
		x = &ctx{}
	}
	x.size, x.num = int(bufs.Size), bufs.Num
	httpd.SetCtx(r, &self, x)
	r.ReleaseAtEnd(x)
	out.Delete(out.ContentEncoding)
	out.ContentEncoding = -1
	out.ClearContentLength()
	out.ClearAcceptRanges()
	r.AllowRanges = false
	r.WeakETag()
	return httpd.OK
}

// isGzip reports whether a Content-Encoding value is "gzip", ignoring case.
func isGzip(v string) bool {
	return len(v) == 4 && v[0]|0x20 == 'g' && v[1]|0x20 == 'z' && v[2]|0x20 == 'i' && v[3]|0x20 == 'p'
}
