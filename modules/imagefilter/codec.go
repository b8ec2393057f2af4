package imagefilter

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
)

// errNoWebP: Go's standard library has no WebP codec, and sluice takes no
// other module for one (an image that can only be decoded cannot be sent
// transformed anyway). A WebP image that must change is answered 415.
var errNoWebP = errors.New("sluice was built without WebP support")

// decode decodes an image of type t. The error is nginx's log text for
// the failure ("gdImageCreateFromPngPtr() failed": the libgd call nginx
// names; here Go's decoder failed).
func decode(t Type, data []byte) (image.Image, error) {
	var call string
	var config func(io.Reader) (image.Config, error)
	var dec func(io.Reader) (image.Image, error)
	switch t {
	case JPEG:
		call, config, dec = "gdImageCreateFromJpegPtr() failed", jpeg.DecodeConfig, jpeg.Decode
	case GIF:
		call, config, dec = "gdImageCreateFromGifPtr() failed", gif.DecodeConfig, gif.Decode
	case PNG:
		call, config, dec = "gdImageCreateFromPngPtr() failed", png.DecodeConfig, png.Decode
	case WebP:
		return nil, errNoWebP
	default:
		return nil, errors.New("unknown image type")
	}
	// the decoders allocate what the header announces: a few bytes could
	// ask for gigabytes, which Go cannot refuse as malloc() refuses libgd
	cfg, err := config(bytes.NewReader(data))
	if err != nil || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, errors.New(call)
	}
	m, err := dec(bytes.NewReader(data))
	if err != nil {
		return nil, errors.New(call)
	}
	if t == GIF {
		m = gifTransparentRGB(m, data)
	}
	return m, nil
}

// maxPixels is the largest image decoded: 32 megapixels (128 MB as true
// colour; the transformations make a few copies).
const maxPixels = 32 << 20

// gifTransparentRGB gives back the colour of a GIF's transparent entry,
// which Go's decoder replaces by transparent black: with
// image_filter_transparency off it becomes an ordinary colour again, as
// libgd keeps it. It is read from the global colour table when the image
// uses that one (its palette has the table's size).
func gifTransparentRGB(m image.Image, data []byte) image.Image {
	p, ok := m.(*image.Paletted)
	if !ok || len(data) < 13 || data[10]&0x80 == 0 {
		return m
	}
	n := 2 << (data[10] & 7)
	if len(p.Palette) != n || len(data) < 13+3*n {
		return m
	}
	for i, c := range p.Palette {
		if _, _, _, a := c.RGBA(); a == 0 {
			t := data[13+3*i:]
			p.Palette[i] = color.NRGBA{t[0], t[1], t[2], 0}
		}
	}
	return m
}

// transparentIndex is the palette's first fully transparent entry, -1
// when none.
func transparentIndex(pal color.Palette) int {
	for i, c := range pal {
		if _, _, _, a := c.RGBA(); a == 0 {
			return i
		}
	}
	return -1
}

// opaque returns pal with its transparent entries made opaque
// (gdImageColorTransparent(src, -1)).
func opaque(pal color.Palette) color.Palette {
	out := make(color.Palette, len(pal))
	for i, c := range pal {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		n.A = 255
		out[i] = n
	}
	return out
}

// encodeOptions are the output settings.
type encodeOptions struct {
	jpegQuality int
	interlace   bool
}

// encode writes m as an image of type t. The error is nginx's log text.
func encode(t Type, m image.Image, o encodeOptions) ([]byte, error) {
	var b bytes.Buffer
	switch t {
	case JPEG:
		b.Write([]byte{0xff, 0xd8})
		writeJPEGComment(&b, o.jpegQuality)
		var body bytes.Buffer
		if err := jpeg.Encode(&body, m, &jpeg.Options{Quality: min(o.jpegQuality, 100)}); err != nil {
			return nil, errors.New("gdImageJpegPtr() failed")
		}
		b.Write(body.Bytes()[2:]) // after its SOI
	case GIF:
		p, ok := m.(*image.Paletted)
		if !ok {
			p = toPalette(toNRGBA(m), paletteOf(m))
		}
		if o.interlace {
			p = interlaceRows(p)
		}
		if err := gif.Encode(&b, p, nil); err != nil {
			return nil, errors.New("gdImageGifPtr() failed")
		}
		if o.interlace {
			markInterlaced(b.Bytes())
		}
	case PNG:
		if err := png.Encode(&b, m); err != nil {
			return nil, errors.New("gdImagePngPtr() failed")
		}
	default:
		return nil, errNoWebP
	}
	return b.Bytes(), nil
}

// writeJPEGComment writes the COM segment libgd puts in every JPEG it
// writes, with the quality ("quality = 75"), naming sluice as the creator.
func writeJPEGComment(b *bytes.Buffer, q int) {
	text := fmt.Sprintf("CREATOR: sluice (Go image/jpeg), quality = %d\n", q)
	n := len(text) + 2
	b.Write([]byte{0xff, 0xfe, byte(n >> 8), byte(n)})
	b.WriteString(text)
}

// paletteOf is the palette a true colour image is written to GIF with:
// the web-safe 216 colours and transparency.
func paletteOf(image.Image) color.Palette {
	pal := make(color.Palette, 0, 217)
	for r := 0; r < 6; r++ {
		for g := 0; g < 6; g++ {
			for b := 0; b < 6; b++ {
				pal = append(pal, color.NRGBA{uint8(r * 51), uint8(g * 51), uint8(b * 51), 255})
			}
		}
	}
	return append(pal, color.NRGBA{})
}

// interlaceRows reorders the rows of p into GIF's interlaced order
// (every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd
// from 1), which image/gif cannot write itself: written in this order
// and marked interlaced, the image reads back as p.
func interlaceRows(p *image.Paletted) *image.Paletted {
	h := p.Rect.Dy()
	out := image.NewPaletted(p.Rect, p.Palette)
	row := 0
	for _, pass := range [4][2]int{{0, 8}, {4, 8}, {2, 4}, {1, 2}} {
		for y := pass[0]; y < h; y += pass[1] {
			copy(out.Pix[row*out.Stride:(row+1)*out.Stride], p.Pix[y*p.Stride:])
			row++
		}
	}
	return out
}

// markInterlaced sets the interlace flag of the first image descriptor of
// a GIF written by image/gif.
func markInterlaced(g []byte) {
	i := 13
	if len(g) > 10 && g[10]&0x80 != 0 {
		i += 3 * (2 << (g[10] & 7))
	}
	for i < len(g) {
		switch g[i] {
		case 0x21: // extension: label, then sub-blocks
			i += 2
			for i < len(g) && g[i] != 0 {
				i += int(g[i]) + 1
			}
			i++
		case 0x2c: // image descriptor: the packed byte is its 10th
			if i+9 < len(g) {
				g[i+9] |= 0x40
			}
			return
		default:
			return
		}
	}
}
