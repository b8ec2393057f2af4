package imagefilter

import (
	"bytes"
	"image"
	"testing"
)

// decodeShape returns an image's size and format name.
func decodeShape(b []byte) (image.Point, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	return image.Pt(cfg.Width, cfg.Height), format, err
}

// FuzzSize feeds arbitrary bytes to the header sniffing (Sniff, then Size
// for the type found and for every other type): it must not panic, a
// type other than None needs 16 bytes, and a size it reports for GIF,
// PNG or a lossless or lossy WebP fits the format's fields. Seeds in
// testdata/fuzz/FuzzSize.
func FuzzSize(f *testing.F) {
	f.Add(vp8(1, 1))
	f.Add(vp8l(3, 4))
	f.Add(vp8x(5, 6))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ := Sniff(data)
		if typ != None && len(data) < 16 {
			t.Fatalf("type %d from %d bytes", typ, len(data))
		}
		for _, k := range []Type{None, JPEG, GIF, PNG, WebP} {
			d, ok := Size(k, data)
			if !ok {
				if d != (Dimensions{}) {
					t.Fatalf("type %d: no size but %+v", k, d)
				}
				continue
			}
			if d.Width < 0 || d.Height < 0 {
				t.Fatalf("type %d: negative size %+v", k, d)
			}
			switch k {
			case GIF, PNG:
				if d.Width > 0xffff || d.Height > 0xffff {
					t.Fatalf("type %d: size %+v over 16 bits", k, d)
				}
			case JPEG:
				if d.Width == 0 || d.Height == 0 {
					t.Fatalf("jpeg: a zero size reported: %+v", d)
				}
			case WebP:
				if d.Width > 1<<24 || d.Height > 1<<24 {
					t.Fatalf("webp: size %+v over 24 bits", d)
				}
			}
		}
	})
}

// FuzzRender runs the decoding, transformation and encoding on arbitrary
// bytes with arbitrary settings: it must not panic, and an image it makes
// must decode as its own format, no larger than the box asked for (resize
// and crop) or turned (rotate). Seeds in testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	for _, typ := range []Type{JPEG, GIF, PNG} {
		f.Add(encoded(f, typ, 30, 20), uint8(Resize), uint16(10), uint16(12), uint8(0), uint8(0))
		f.Add(encoded(f, typ, 30, 20), uint8(Crop), uint16(7), uint16(19), uint8(1), uint8(3))
		f.Add(encoded(f, typ, 30, 20), uint8(Rotate), uint16(0), uint16(0), uint8(2), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, w, h uint16, angle, flags uint8) {
		typ := Sniff(data)
		if typ == None || len(data) > 1<<16 {
			return
		}
		tr := transform{mode: Mode(mode%3) + Resize, maxW: int(w) + 1, maxH: int(h) + 1, angle: []int{0, 90, 180, 270}[angle%4]}
		if tr.mode == Rotate && tr.angle == 0 {
			tr.angle = 90
		}
		o := renderOptions{transparency: flags&1 != 0, interlace: flags&2 != 0, sharpen: int(flags >> 4), jpegQuality: int(flags>>2) + 1}
		out, err := render(typ, data, tr, o)
		if err != nil || out == nil {
			return
		}
		m, err := decode(typ, data)
		if err != nil {
			t.Fatalf("rendered what does not decode: %v", err)
		}
		src := m.Bounds().Size()
		got, format, err := decodeShape(out)
		if err != nil {
			t.Fatalf("the output does not decode: %v", err)
		}
		if format != typ.Name() {
			t.Fatalf("a %s made of a %s", format, typ.Name())
		}
		if tr.mode != Rotate && tr.angle == 0 && (got.X > max(tr.maxW, src.X) || got.Y > max(tr.maxH, src.Y)) {
			t.Fatalf("%v from %v for a box of %dx%d", got, src, tr.maxW, tr.maxH)
		}
		if tr.mode == Rotate && tr.angle != 180 && (got.X != src.Y || got.Y != src.X) {
			t.Fatalf("%v turned from %v", got, src)
		}
	})
}
