package imagefilter_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The test images, made here and written into a directory both servers
// serve: the nginx test suite's 100×120 picture (a black frame on white,
// white transparent) as JPEG, GIF and palette PNG, a true colour PNG with
// alpha, a JPEG whose EXIF segment is most of it, and files that are not
// images or are broken ones.

func frame(w, h int) *image.Paletted {
	white, black := color.NRGBA{255, 255, 255, 0}, color.NRGBA{0, 0, 0, 255}
	m := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{white, black})
	for x := range w {
		m.SetColorIndex(x, 0, 1)
		m.SetColorIndex(x, min(h, w)-1, 1)
	}
	for y := range min(h, w) {
		m.SetColorIndex(0, y, 1)
		m.SetColorIndex(w-1, y, 1)
	}
	return m
}

func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, uint8(255 - x)})
		}
	}
	return m
}

// quad is an opaque image whose top left quarter is black, the rest
// white: which way it was turned shows.
func quad(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{0, 0, 0, 255}
			}
			m.Set(x, y, c)
		}
	}
	return m
}

// noise is an image that does not compress (about 12 KB as PNG).
func noise(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(1)
	for i := range m.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		m.Pix[i] = uint8(x)
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}

// testImages returns the files by name.
func testImages(t testing.TB) map[string][]byte {
	t.Helper()
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	fr := frame(100, 120)
	opaque := image.NewRGBA(fr.Rect)
	for y := range 120 {
		for x := range 100 {
			c := fr.Palette[fr.ColorIndexAt(x, y)].(color.NRGBA)
			c.A = 255
			opaque.Set(x, y, c)
		}
	}
	files := map[string][]byte{
		"jpeg":  enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, opaque, nil) }),
		"gif":   enc(func(b *bytes.Buffer) error { return gif.Encode(b, fr, nil) }),
		"png":   enc(func(b *bytes.Buffer) error { return png.Encode(b, fr) }),
		"alpha": enc(func(b *bytes.Buffer) error { return png.Encode(b, gradient(60, 40)) }),
		"small": enc(func(b *bytes.Buffer) error { return png.Encode(b, gradient(8, 6)) }),
		"noise": enc(func(b *bytes.Buffer) error { return png.Encode(b, noise(64, 64)) }),
		"quad":  enc(func(b *bytes.Buffer) error { return png.Encode(b, quad(40, 30)) }),
		"txt":   []byte("SEE-THIS, which is not an image\n"),
	}
	files["tiny"] = files["txt"][:10]
	// a small JPEG whose APP1 segment is more than 5% of it: re-encoded
	// even where it fits
	small := enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, gradient(8, 6), nil) })
	exif := append([]byte{0xff, 0xd8, 0xff, 0xe1, 0x04, 0x02}, make([]byte, 0x400)...)
	files["exif"] = append(exif, small[2:]...)
	// broken: a PNG cut after its header, a JPEG with its frame header
	// and nothing after
	files["cut.png"] = files["png"][:40]
	files["cut.jpeg"] = files["jpeg"][:200]
	return files
}

// writeImages writes the test images into a new directory.
func writeImages(t testing.TB) string {
	dir := t.TempDir()
	for name, b := range testImages(t) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// shape decodes an image's format and size.
func shape(b []byte) (string, image.Point, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", image.Point{}, err
	}
	return format, image.Pt(cfg.Width, cfg.Height), nil
}
