package imagefilter

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
)

// TestTransformSize checks the scaling arithmetic against nginx's
// ngx_http_image_resize (integer division, never below 1).
func TestTransformSize(t *testing.T) {
	for _, tc := range []struct {
		name           string
		t              transform
		sx, sy, dx, dy int
		resize         bool
	}{
		{"resize width bound", transform{mode: Resize, maxW: 10, maxH: 12}, 100, 120, 10, 12, true},
		{"resize height bound", transform{mode: Resize, maxW: 50, maxH: 30}, 100, 120, 25, 30, true},
		{"resize unbounded width", transform{mode: Resize, maxW: unbounded, maxH: 30}, 100, 120, 25, 30, true},
		{"resize fits", transform{mode: Resize, maxW: 200, maxH: 200}, 100, 120, 100, 120, true},
		{"resize thin", transform{mode: Resize, maxW: 10, maxH: 10}, 1000, 3, 10, 1, true},
		{"crop narrow box", transform{mode: Crop, maxW: 60, maxH: 80}, 100, 120, 66, 80, true},
		{"crop wide box", transform{mode: Crop, maxW: 80, maxH: 20}, 100, 120, 80, 96, true},
		{"crop fits", transform{mode: Crop, maxW: 200, maxH: 200}, 100, 120, 100, 120, false},
		{"rotate", transform{mode: Rotate, angle: 90}, 100, 120, 100, 120, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dx, dy, resize := tc.t.size(tc.sx, tc.sy)
			if dx != tc.dx || dy != tc.dy || resize != tc.resize {
				t.Errorf("size = %d×%d %v, want %d×%d %v", dx, dy, resize, tc.dx, tc.dy, tc.resize)
			}
		})
	}
}

// TestDecodeLimit: an image whose header announces more than maxPixels
// is refused before the decoder allocates it.
func TestDecodeLimit(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[16:], 60000)
	binary.BigEndian.PutUint32(p[20:], 60000)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	if _, err := decode(PNG, p); err == nil || err.Error() != "gdImageCreateFromPngPtr() failed" {
		t.Errorf("decode = %v", err)
	}
}
