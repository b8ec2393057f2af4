package imagefilter

import (
	"math"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// order is the filter's place in the output order. nginx's filter list
// has ... charset, xslt, image, sub, addition, gunzip ..., each filter in
// front of those registered before it: a response meets sub (45 here),
// then the image filter, then charset (47) and SSI (50).
const order = 46

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const allContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Mode is what image_filter does.
type Mode uint8

// The modes, as nginx numbers them.
const (
	Off Mode = iota
	Test
	SizeJSON
	Resize
	Crop
	Rotate
)

// Param is a number that may be given by variables: a literal N, or CV
// evaluated per request (ngx_http_image_filter_get_value).
type Param struct {
	N  int
	CV *httpd.Complex
}

// Get is the value for r: N, or CV evaluated as nginx's
// ngx_http_image_filter_value reads it.
func (p Param) Get(r *httpd.Request) int {
	if p.CV == nil {
		return p.N
	}
	return value(p.CV.Eval(r))
}

// unbounded is "-" as a width or height: no limit (nginx's (ngx_uint_t) -1).
const unbounded = math.MaxInt

// value reads a number as ngx_http_image_filter_value does: "-" is -1,
// a positive decimal is itself, anything else (0, a sign, junk, overflow)
// is 0.
func value(s string) int {
	if s == "-" {
		return -1
	}
	n, ok := conf.Atoi(s)
	if !ok || n <= 0 || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}

// Filter is what the image_filter directives of one level say. The
// directive may appear more than once: "rotate" adds an angle to a resize
// or crop.
type Filter struct {
	Mode          Mode
	Width, Height Param
	Angle         Param
}

// LocConf is the image filter settings of one level.
type LocConf struct {
	// Filter is image_filter (unset: off).
	Filter conf.Val[Filter]
	// JPEGQuality is image_filter_jpeg_quality.
	JPEGQuality conf.Val[Param]
	// WebPQuality is image_filter_webp_quality.
	WebPQuality conf.Val[Param]
	// Sharpen is image_filter_sharpen.
	Sharpen conf.Val[Param]
	// Transparency is image_filter_transparency.
	Transparency conf.Flag
	// Interlace is image_filter_interlace.
	Interlace conf.Flag
	// Buffer is image_filter_buffer.
	Buffer conf.Size
}

// Module is the image filter module (ngx_http_image_filter_module).
var Module = &httpd.Module{
	Name:   "image_filter",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "image_filter", Context: conf.HTTPLoc, Args: conf.Take1 | conf.Take2 | conf.Take3,
			Syntax:  "image_filter off | test | size | rotate 90 | 180 | 270 | resize width height | crop width height;",
			Default: "image_filter off;",
			Doc:     "Sets the transformation of JPEG, GIF, PNG and WebP images.",
			Set:     setFilter},
		{Name: "image_filter_buffer", Context: allContexts, Args: conf.Take1,
			Syntax: "image_filter_buffer size;", Default: "image_filter_buffer 1M;",
			Doc: "Sets the maximum size of the buffer used for reading images.",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.Buffer })},
		{Name: "image_filter_interlace", Context: allContexts, Args: conf.FlagArg,
			Syntax: "image_filter_interlace on | off;", Default: "image_filter_interlace off;",
			Doc: "If enabled, final images will be interlaced.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Interlace })},
		{Name: "image_filter_jpeg_quality", Context: allContexts, Args: conf.Take1,
			Syntax: "image_filter_jpeg_quality quality;", Default: "image_filter_jpeg_quality 75;",
			Doc: "Sets the desired quality of the transformed JPEG images.",
			Set: setParam(func(c *LocConf) *conf.Val[Param] { return &c.JPEGQuality }, false)},
		{Name: "image_filter_sharpen", Context: allContexts, Args: conf.Take1,
			Syntax: "image_filter_sharpen percent;", Default: "image_filter_sharpen 0;",
			Doc: "Increases sharpness of the final image.",
			Set: setParam(func(c *LocConf) *conf.Val[Param] { return &c.Sharpen }, true)},
		{Name: "image_filter_transparency", Context: allContexts, Args: conf.FlagArg,
			Syntax: "image_filter_transparency on|off;", Default: "image_filter_transparency on;",
			Doc: "Defines whether transparency is preserved when transforming GIF images or PNG images with colors specified by a palette.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Transparency })},
		{Name: "image_filter_webp_quality", Context: allContexts, Args: conf.Take1,
			Syntax: "image_filter_webp_quality quality;", Default: "image_filter_webp_quality 80;",
			Doc: "Sets the desired quality of the transformed WebP images.",
			Set: setParam(func(c *LocConf) *conf.Val[Param] { return &c.WebPQuality }, false)},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Filter.Inherit(p.Filter, Filter{})
		c.JPEGQuality.Inherit(p.JPEGQuality, Param{N: 75}) // libjpeg's default
		c.WebPQuality.Inherit(p.WebPQuality, Param{N: 80}) // libwebp's default
		c.Sharpen.Inherit(p.Sharpen, Param{})
		c.Transparency.Inherit(p.Transparency, true)
		c.Interlace.Inherit(p.Interlace, false)
		c.Buffer.Inherit(p.Buffer, 1<<20)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// setFilter is the image_filter directive (ngx_http_image_filter). Each
// occurrence changes what the level's earlier ones set: "rotate" keeps a
// resize or crop and adds its angle.
func setFilter(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	f := lc.Filter.Get()
	defer func() { lc.Filter.Set(f) }()
	a := c.Args
	switch len(a) {
	case 1:
		switch a[0] {
		case "off":
			f.Mode = Off
		case "test":
			f.Mode = Test
		case "size":
			f.Mode = SizeJSON
		default:
			return c.Errorf("invalid parameter \"%s\"", a[0])
		}
		return nil
	case 2:
		if a[0] != "rotate" {
			return c.Errorf("invalid parameter \"%s\"", a[0])
		}
		if f.Mode != Resize && f.Mode != Crop {
			f.Mode = Rotate
		}
		p, err := compileParam(c, a[1])
		if err != nil {
			return err
		}
		if p.CV == nil && p.N != 90 && p.N != 180 && p.N != 270 {
			return c.Errorf("invalid parameter \"%s\"", a[1])
		}
		f.Angle = p
		return nil
	}
	switch a[0] {
	case "resize":
		f.Mode = Resize
	case "crop":
		f.Mode = Crop
	default:
		return c.Errorf("invalid parameter \"%s\"", a[0])
	}
	for i, dst := range []*Param{&f.Width, &f.Height} {
		p, err := compileParam(c, a[1+i])
		if err != nil {
			return err
		}
		if p.CV == nil && p.N == 0 {
			return c.Errorf("invalid parameter \"%s\"", a[1+i])
		}
		if p.N == -1 {
			p.N = unbounded
		}
		*dst = p
	}
	return nil
}

// compileParam compiles an argument: a literal is read at once (value),
// one with variables is kept for the request.
func compileParam(c *conf.Cmd, s string) (Param, error) {
	x, err := httpd.ConfigOf(c).Compile(c, s)
	if err != nil {
		return Param{}, err
	}
	if lit, ok := x.Literal(); ok {
		return Param{N: value(lit)}, nil
	}
	return Param{CV: x}, nil
}

// setParam is image_filter_jpeg_quality, image_filter_webp_quality and
// image_filter_sharpen: a literal must be a positive number (sharpen: 0
// too; nginx reads junk as 0 there), or the value has variables.
func setParam(get func(*LocConf) *conf.Val[Param], zero bool) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		p, err := compileParam(c, c.Arg(0))
		if err != nil {
			return err
		}
		if p.CV == nil && (p.N < 0 || p.N == 0 && !zero) {
			return c.Errorf("invalid value \"%s\"", c.Arg(0))
		}
		get(c.Conf.(*LocConf)).Set(p)
		return nil
	}
}
