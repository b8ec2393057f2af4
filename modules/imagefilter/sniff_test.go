package imagefilter

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// webpHeader builds the first 30 bytes of a WebP file with the given
// chunk ("VP8 ", "VP8L", "VP8X") and the chunk's first bytes.
func webpHeader(chunk string, payload ...byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBP" + chunk + "\x00\x00\x00\x00")
	b = append(b, payload...)
	for len(b) < 30 {
		b = append(b, 0)
	}
	return b
}

// vp8 is a lossy key frame of w×h: frame tag, start code, sizes.
func vp8(w, h int) []byte {
	p := []byte{0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(p[6:], uint16(w))
	binary.LittleEndian.PutUint16(p[8:], uint16(h))
	return webpHeader("VP8 ", p...)
}

// vp8l is a lossless image of w×h: signature, then 14-bit sizes minus one.
func vp8l(w, h int) []byte {
	v := uint32(w-1) | uint32(h-1)<<14
	return webpHeader("VP8L", 0x2f, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// vp8x is an extended file of w×h: flags, reserved, 24-bit sizes minus one.
func vp8x(w, h int) []byte {
	p := []byte{0x10, 0, 0, 0, byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16), byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	return webpHeader("VP8X", p...)
}

func encoded(t testing.TB, typ Type, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch typ {
	case JPEG:
		err = jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil)
	case GIF:
		err = gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White}), nil)
	case PNG:
		err = png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, w, h)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want Type
	}{
		{"jpeg", encoded(t, JPEG, 3, 2), JPEG},
		{"gif89a", encoded(t, GIF, 3, 2), GIF},
		{"gif87a", []byte("GIF87a\x03\x00\x02\x00\x00\x00\x00\x00\x00\x00"), GIF},
		{"gif88a", []byte("GIF88a\x03\x00\x02\x00\x00\x00\x00\x00\x00\x00"), None},
		{"png", encoded(t, PNG, 3, 2), PNG},
		{"webp", vp8(1, 1), WebP},
		{"riff not webp", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x00\x00"), None},
		{"text", []byte("SEE-THIS and more text"), None},
		{"jpeg under 16 bytes", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10}, None},
		{"empty", nil, None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sniff(tc.data); got != tc.want {
				t.Errorf("Sniff = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSize(t *testing.T) {
	// a JPEG whose APP1 segment is most of the file
	exif := encoded(t, JPEG, 4, 5)
	app := append([]byte{0xff, 0xd8, 0xff, 0xe1, 0x04, 0x02}, make([]byte, 0x400)...)
	exif = append(app, exif[2:]...)
	for _, tc := range []struct {
		name string
		typ  Type
		data []byte
		want Dimensions
		ok   bool
	}{
		{"jpeg", JPEG, encoded(t, JPEG, 100, 120), Dimensions{Width: 100, Height: 120}, true},
		{"jpeg app heavy", JPEG, exif, Dimensions{Width: 4, Height: 5, AppHeavy: true}, true},
		{"jpeg no frame", JPEG, append([]byte{0xff, 0xd8}, make([]byte, 30)...), Dimensions{}, false},
		{"jpeg cut in SOF", JPEG, encoded(t, JPEG, 7, 9)[:20], Dimensions{}, false},
		{"gif", GIF, encoded(t, GIF, 300, 2), Dimensions{Width: 300, Height: 2}, true},
		{"gif short", GIF, []byte("GIF89a\x03"), Dimensions{}, false},
		{"png", PNG, encoded(t, PNG, 258, 7), Dimensions{Width: 258, Height: 7}, true},
		{"png short", PNG, encoded(t, PNG, 1, 1)[:23], Dimensions{}, false},
		{"webp lossy", WebP, vp8(17, 3), Dimensions{Width: 17, Height: 3}, true},
		{"webp lossless", WebP, vp8l(1000, 16383), Dimensions{Width: 1000, Height: 16383}, true},
		{"webp extended", WebP, vp8x(70000, 2), Dimensions{Width: 70000, Height: 2}, true},
		{"webp not key frame", WebP, func() []byte { b := vp8(1, 1); b[20] |= 1; return b }(), Dimensions{}, false},
		{"webp bad start code", WebP, func() []byte { b := vp8(1, 1); b[23] = 0; return b }(), Dimensions{}, false},
		{"webp bad signature", WebP, func() []byte { b := vp8l(1, 1); b[20] = 0; return b }(), Dimensions{}, false},
		{"webp unknown chunk", WebP, webpHeader("VP8Z"), Dimensions{}, false},
		{"webp short", WebP, vp8(1, 1)[:29], Dimensions{}, false},
		{"none", None, encoded(t, PNG, 1, 1), Dimensions{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Size(tc.typ, tc.data)
			if ok != tc.ok || got != tc.want {
				t.Errorf("Size = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
