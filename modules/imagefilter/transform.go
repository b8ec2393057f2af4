package imagefilter

import (
	"image"
	"image/color"
	"image/draw"
)

// The transformations work on two kinds of image: palette images (GIF,
// palette PNG), which rotate and crop keep as they are, and true colour
// ones (*image.NRGBA), which resizing makes of either. A resized palette
// image is mapped back onto its own palette (libgd builds a new palette
// of up to 256 colours instead; see docs/compat.md).

// toNRGBA converts an image to true colour with straight alpha.
func toNRGBA(src image.Image) *image.NRGBA {
	if m, ok := src.(*image.NRGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	return dst
}

// scale resamples src to w×h by averaging the source pixels each target
// pixel covers, weighted by alpha (the box filter; libgd's
// gdImageCopyResampled weighs by coverage too, with fractional edges).
func scale(src image.Image, w, h int) *image.NRGBA {
	s := toNRGBA(src)
	sw, sh := s.Rect.Dx(), s.Rect.Dy()
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0 := y * sh / h
		y1 := max((y+1)*sh/h, y0+1)
		for x := range w {
			x0 := x * sw / w
			x1 := max((x+1)*sw/w, x0+1)
			var r, g, b, a, n uint64
			for sy := y0; sy < y1; sy++ {
				row := s.Pix[sy*s.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					pa := uint64(p[3])
					r += uint64(p[0]) * pa
					g += uint64(p[1]) * pa
					b += uint64(p[2]) * pa
					a += pa
					n++
				}
			}
			d := dst.Pix[y*dst.Stride+x*4:]
			if a > 0 {
				d[0], d[1], d[2] = uint8(r/a), uint8(g/a), uint8(b/a)
			}
			d[3] = uint8(a / n)
		}
	}
	return dst
}

// toPalette maps a true colour image onto pal, each pixel to the nearest
// colour (alpha included, so transparent pixels find a transparent entry).
func toPalette(src *image.NRGBA, pal color.Palette) *image.Paletted {
	dst := image.NewPaletted(src.Rect, pal)
	draw.Draw(dst, dst.Rect, src, image.Point{}, draw.Src)
	return dst
}

// rotate turns an image counter-clockwise by 90, 180 or 270 degrees (as
// nginx's rotate does: the differential test checks it), keeping its
// kind: a palette image stays one.
func rotate(src image.Image, angle int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if angle != 180 {
		dw, dh = h, w
	}
	// from returns the source pixel that lands on (x, y)
	from := func(x, y int) (int, int) {
		switch angle {
		case 90:
			return w - 1 - y, x
		case 270:
			return y, h - 1 - x
		}
		return w - 1 - x, h - 1 - y
	}
	if p, ok := src.(*image.Paletted); ok {
		dst := image.NewPaletted(image.Rect(0, 0, dw, dh), p.Palette)
		for y := range dh {
			for x := range dw {
				sx, sy := from(x, y)
				dst.Pix[y*dst.Stride+x] = p.Pix[(sy+b.Min.Y-p.Rect.Min.Y)*p.Stride+sx+b.Min.X-p.Rect.Min.X]
			}
		}
		return dst
	}
	s := toNRGBA(src)
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			sx, sy := from(x, y)
			copy(dst.Pix[y*dst.Stride+x*4:y*dst.Stride+x*4+4], s.Pix[sy*s.Stride+sx*4:])
		}
	}
	return dst
}

// crop cuts the w×h rectangle at (x, y) out of src, keeping its kind.
func crop(src image.Image, x, y, w, h int) image.Image {
	b := src.Bounds()
	r := image.Rect(b.Min.X+x, b.Min.Y+y, b.Min.X+x+w, b.Min.Y+y+h)
	if p, ok := src.(*image.Paletted); ok {
		dst := image.NewPaletted(image.Rect(0, 0, w, h), p.Palette)
		draw.Draw(dst, dst.Rect, p, r.Min, draw.Src)
		return dst
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, src, r.Min, draw.Src)
	return dst
}

// sharpen sharpens a true colour image by pct percent with a 3×3
// Laplacian kernel (libgd's gdImageSharpen leaves palette images alone,
// and so does this).
func sharpen(m *image.NRGBA, pct int) {
	if pct <= 0 {
		return
	}
	f := float64(pct) / 100
	w, h := m.Rect.Dx(), m.Rect.Dy()
	src := make([]uint8, len(m.Pix))
	copy(src, m.Pix)
	at := func(x, y, c int) float64 {
		x, y = min(max(x, 0), w-1), min(max(y, 0), h-1)
		return float64(src[y*m.Stride+x*4+c])
	}
	for y := range h {
		for x := range w {
			for c := range 3 {
				v := at(x, y, c)*(1+4*f) - f*(at(x-1, y, c)+at(x+1, y, c)+at(x, y-1, c)+at(x, y+1, c))
				m.Pix[y*m.Stride+x*4+c] = uint8(min(max(v+0.5, 0), 255))
			}
		}
	}
}
