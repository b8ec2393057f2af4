package imagefilter

import (
	"errors"
	"fmt"
	"image"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// process makes the answer from the gathered image
// (ngx_http_image_process): the JSON for "size", the image as it is when
// it fits already, or the transformed image. nil: 415.
func (x *ctx) process(r *httpd.Request, lc *LocConf) []byte {
	f := lc.Filter.Get()
	d, ok := Size(x.typ, x.data)
	if f.Mode == SizeJSON {
		if !ok {
			return jsonBody(r, nil)
		}
		return jsonBody(r, &sized{x.typ, d})
	}
	t := transform{angle: f.Angle.Get(r), force: ok && d.AppHeavy}
	if f.Mode == Rotate {
		if t.angle != 90 && t.angle != 180 && t.angle != 270 {
			return nil
		}
		t.mode = Rotate
		return x.transformed(r, lc, t)
	}
	t.mode = f.Mode
	if t.maxW = dim(f.Width.Get(r)); t.maxW == 0 {
		return nil
	}
	if t.maxH = dim(f.Height.Get(r)); t.maxH == 0 {
		return nil
	}
	if ok && d.Width <= t.maxW && d.Height <= t.maxH && t.angle == 0 && !t.force {
		return x.asis(r)
	}
	return x.transformed(r, lc, t)
}

// dim is a width or height as a limit: "-" is none.
func dim(n int) int {
	if n < 0 {
		return unbounded
	}
	return n
}

// transform is what is done to one image.
type transform struct {
	mode       Mode
	maxW, maxH int
	angle      int
	// force re-encodes an image that fits (heavy JPEG application data).
	force bool
}

// asis sends the image unchanged (ngx_http_image_asis).
func (x *ctx) asis(r *httpd.Request) []byte {
	setLength(r, len(x.data))
	return x.data
}

// setLength sets the Content-Length of the answer (ngx_http_image_length).
func setLength(r *httpd.Request, n int) {
	r.Out.ClearContentLength()
	r.Out.ContentLengthN = int64(n)
}

// sized is an image's type and header dimensions, for the JSON.
type sized struct {
	typ Type
	d   Dimensions
}

// jsonBody makes the "size" answer and its head (ngx_http_image_json):
// the head built so far is dropped, the status is 200 and the type
// application/json. An image whose size is unknown gets "{}".
func jsonBody(r *httpd.Request, s *sized) []byte {
	r.Out.Clean()
	r.Out.Status = 200
	r.Out.ContentType = "application/json"
	r.Out.ContentTypeLen = len(r.Out.ContentType)
	var b []byte
	if s == nil {
		b = []byte("{}\r\n")
	} else {
		b = fmt.Appendf(nil, "{ \"img\" : { \"width\": %d, \"height\": %d, \"type\": \"%s\" } }\r\n",
			s.d.Width, s.d.Height, s.typ.Name())
	}
	setLength(r, len(b))
	return b
}

// transformed makes the transformed image for a request (nginx's
// ngx_http_image_resize) with the location's settings. nil: 415, with
// nginx's line for a codec failure.
func (x *ctx) transformed(r *httpd.Request, lc *LocConf, t transform) []byte {
	o := renderOptions{
		transparency: lc.Transparency.Get(),
		interlace:    lc.Interlace.Get(),
		sharpen:      lc.Sharpen.Get().Get(r),
	}
	if x.typ == JPEG {
		o.jpegQuality = lc.JPEGQuality.Get().Get(r)
	}
	out, err := render(x.typ, x.data, t, o)
	switch {
	case err == errQuality:
		return nil
	case err != nil:
		r.Log().Logf(errlog.Error, r, nil, "%s", err.Error())
		return nil
	case out == nil:
		return x.asis(r)
	}
	x.data = nil
	setLength(r, len(out))
	r.WeakETag()
	return out
}

// renderOptions are a location's output settings, evaluated for a request.
type renderOptions struct {
	transparency bool
	interlace    bool
	sharpen      int
	// jpegQuality is image_filter_jpeg_quality, for a JPEG.
	jpegQuality int
}

// errQuality: the JPEG quality (from variables) is no positive number;
// nginx answers 415 without a log line.
var errQuality = errors.New("image filter: invalid quality")

// render decodes an image of type typ, resizes, rotates and crops it as
// nginx's ngx_http_image_resize does, and encodes it again in its own
// format. It returns nil and no error when the decoded image fits and is
// to be sent as it is. An error is nginx's log text (or errQuality).
func render(typ Type, data []byte, t transform, o renderOptions) ([]byte, error) {
	src, err := decode(typ, data)
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	sx, sy := b.Dx(), b.Dy()
	if !t.force && t.angle == 0 && sx <= t.maxW && sy <= t.maxH {
		return nil, nil
	}
	img := src
	if p, ok := src.(*image.Paletted); ok && !o.transparency && transparentIndex(p.Palette) >= 0 {
		q := *p
		q.Palette = opaque(p.Palette)
		img = &q
	}
	dx, dy, resize := t.size(sx, sy)
	if resize {
		s := scale(img, dx, dy)
		if p, ok := img.(*image.Paletted); ok {
			img = toPalette(s, p.Palette)
		} else {
			img = s
		}
	}
	if t.angle == 90 || t.angle == 180 || t.angle == 270 {
		img = rotate(img, t.angle)
		if t.angle != 180 {
			dx, dy = dy, dx
		}
	}
	if t.mode == Crop {
		ox, oy := max(dx-t.maxW, 0), max(dy-t.maxH, 0)
		if ox > 0 || oy > 0 {
			img = crop(img, ox/2, oy/2, dx-ox, dy-oy)
		}
	}
	if m, ok := img.(*image.NRGBA); ok && o.sharpen > 0 {
		sharpen(m, o.sharpen)
	}
	if typ == JPEG && o.jpegQuality <= 0 {
		return nil, errQuality
	}
	return encode(typ, img, encodeOptions{jpegQuality: o.jpegQuality, interlace: o.interlace})
}

// size is the size the image is scaled to before rotation and crop, and
// whether it is scaled: resize fits it into maxW×maxH keeping its aspect
// ratio; crop scales it down until it covers the box in one direction;
// rotate keeps it.
func (t transform) size(sx, sy int) (dx, dy int, resize bool) {
	dx, dy = sx, sy
	shrinkW := func() {
		dy = max(dy*t.maxW/dx, 1)
		dx = t.maxW
	}
	shrinkH := func() {
		dx = max(dx*t.maxH/dy, 1)
		dy = t.maxH
	}
	switch t.mode {
	case Resize:
		if dx > t.maxW {
			shrinkW()
		}
		if dy > t.maxH {
			shrinkH()
		}
		return dx, dy, true
	case Crop:
		if float64(dx)/float64(dy) < float64(t.maxW)/float64(t.maxH) {
			if dx > t.maxW {
				shrinkW()
				return dx, dy, true
			}
		} else if dy > t.maxH {
			shrinkH()
			return dx, dy, true
		}
	}
	return dx, dy, false
}
