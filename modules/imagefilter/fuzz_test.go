package imagefilter

import "testing"

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
