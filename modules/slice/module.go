package slice

import (
	"math"
	"strconv"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// self is the module's identity for conf and context lookups.
var self httpd.Handle

// order puts the slice filter before every other filter, as nginx's
// module list does: its header filter turns a slice's 206 into 200 before
// the not-modified and range filters see it, and its body filter sees the
// end of each slice first.
const order = 5

// Module is the slice filter module.
var Module = &httpd.Module{
	Name:   "slice",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "slice", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1,
			Syntax: "slice size;", Default: "slice 0;",
			Doc: "Splits the request into subrequests of size bytes each; 0 disables it.",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.Size })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		child.(*LocConf).Size.Inherit(parent.(*LocConf).Size, 0)
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: "slice_range", Get: rangeVariable, Flags: httpd.VarNoCacheable})
		return err
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// LocConf is the module's location configuration.
type LocConf struct {
	Size conf.Size
}

// sliceCtx is the state of a sliced response, shared by the main request
// and each slice's subrequest (nginx's ngx_http_slice_ctx_t).
type sliceCtx struct {
	// start is where the next slice starts; end is where the response
	// ends (known once the main request's head went through the filters).
	start, end int64
	// complete is the resource's length, from the last slice's head.
	complete int64
	// rng is $slice_range for the slice being fetched.
	rng string
	// etag is the first slice's ETag, which every slice must repeat.
	etag string
	// active is set once the current slice's head was accepted.
	active bool
	// endKnown is set once end was computed.
	endKnown bool
}

// setRange sets $slice_range for the slice at start.
func (ctx *sliceCtx) setRange(size int64) {
	b := make([]byte, 0, 48)
	b = append(b, "bytes="...)
	b = strconv.AppendInt(b, ctx.start, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, ctx.start+size-1, 10)
	ctx.rng = string(b)
}

// rangeVariable is $slice_range (ngx_http_slice_range_variable): reading
// it in a main request that has not started its response begins slicing.
func rangeVariable(r *httpd.Request, _ string, _ int) (string, bool) {
	ctx := httpd.Ctx[sliceCtx](r, &self)
	if ctx == nil {
		if r != r.Main || r.Out.Status != 0 {
			return "", false
		}
		size := httpd.LocConf[LocConf](r, &self).Size.Get()
		if size == 0 {
			return "", false
		}
		ctx = &sliceCtx{start: size * (clientStart(r) / size)}
		ctx.setRange(size)
		httpd.SetCtx(r, &self, ctx)
	}
	return ctx.rng, true
}

// clientStart is where the client's range starts, 0 unless the request
// has one "bytes=N-..." range and no If-Range (ngx_http_slice_get_start).
func clientStart(r *httpd.Request) int64 {
	if r.In.IfRange >= 0 || r.In.Range < 0 {
		return 0
	}
	v := r.In.Get(r.In.Range)
	if len(v) < 7 || !ascii.EqualFold(v[:6], "bytes=") {
		return 0
	}
	v = v[6:]
	for i := 0; i < len(v); i++ {
		if v[i] == ',' {
			return 0
		}
	}
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	var start int64
	for ; len(v) > 0 && v[0] >= '0' && v[0] <= '9'; v = v[1:] {
		d := int64(v[0] - '0')
		if start > (math.MaxInt64-d)/10 {
			return 0
		}
		start = start*10 + d
	}
	return start
}
