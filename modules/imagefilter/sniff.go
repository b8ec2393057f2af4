package imagefilter

// Type is an image format the filter recognises.
type Type uint8

// The formats, in nginx's order (NGX_HTTP_IMAGE_JPEG ... WEBP).
const (
	None Type = iota
	JPEG
	GIF
	PNG
	WebP
)

// mimeTypes are the Content-Type values a recognised image is sent with.
var mimeTypes = [...]string{JPEG: "image/jpeg", GIF: "image/gif", PNG: "image/png", WebP: "image/webp"}

// MIME returns the Content-Type of the format ("image/png"), "" for None.
func (t Type) MIME() string {
	if int(t) >= len(mimeTypes) {
		return ""
	}
	return mimeTypes[t]
}

// Name is the format's name in the "size" JSON ("jpeg", "png").
func (t Type) Name() string {
	if m := t.MIME(); m != "" {
		return m[len("image/"):]
	}
	return ""
}

// Sniff tells the format from the first bytes of a response as nginx's
// ngx_http_image_test does: fewer than 16 bytes is no image; then the
// JPEG SOI marker, "GIF87a"/"GIF89a", the PNG signature or a RIFF file
// of type WEBP.
func Sniff(p []byte) Type {
	if len(p) < 16 {
		return None
	}
	switch {
	case p[0] == 0xff && p[1] == 0xd8:
		return JPEG
	case p[0] == 'G' && p[1] == 'I' && p[2] == 'F' && p[3] == '8' && p[5] == 'a':
		if p[4] == '9' || p[4] == '7' {
			return GIF
		}
	case p[0] == 0x89 && p[1] == 'P' && p[2] == 'N' && p[3] == 'G' &&
		p[4] == 0x0d && p[5] == 0x0a && p[6] == 0x1a && p[7] == 0x0a:
		return PNG
	case p[0] == 'R' && p[1] == 'I' && p[2] == 'F' && p[3] == 'F' &&
		p[8] == 'W' && p[9] == 'E' && p[10] == 'B' && p[11] == 'P':
		return WebP
	}
	return None
}

// Dimensions is what the header of an image says (ngx_http_image_size).
type Dimensions struct {
	Width, Height int
	// AppHeavy is set for a JPEG whose application segments (APP1 to
	// APP15: EXIF, XMP ...) take more than 5% of the file: such an image
	// is re-encoded even when it is small enough.
	AppHeavy bool
}

// Size reads the width and height from the header of an image of type t,
// as nginx's ngx_http_image_size does, without decoding it; ok is false
// when the header does not give them. For JPEG it walks the markers from
// the third byte to ten bytes before the end, taking the first SOF0-3,
// SOF9-11 segment's size; GIF's and PNG's are at fixed offsets; WebP's
// depend on the chunk (VP8 key frame, VP8L, VP8X).
func Size(t Type, p []byte) (d Dimensions, ok bool) {
	var w, h int
	switch t {
	case JPEG:
		w, h, d.AppHeavy = jpegSize(p)
	case GIF:
		if len(p) < 10 {
			return d, false
		}
		w = int(p[7])<<8 | int(p[6])
		h = int(p[9])<<8 | int(p[8])
	case PNG:
		if len(p) < 24 {
			return d, false
		}
		w = int(p[18])<<8 | int(p[19])
		h = int(p[22])<<8 | int(p[23])
	case WebP:
		return webpSize(p)
	default:
		return d, false
	}
	if t == JPEG && (w == 0 || h == 0) {
		return Dimensions{}, false
	}
	d.Width, d.Height = w, h
	return d, true
}

// jpegSize walks the JPEG markers as nginx does. nginx reads up to seven
// bytes past a marker that may sit just before the stop, in its own
// buffer; here bytes past the end read as zero.
func jpegSize(p []byte) (w, h int, appHeavy bool) {
	at := func(i int) int {
		if i < len(p) {
			return int(p[i])
		}
		return 0
	}
	last := len(p) - 10
	app := 0
	for i := 2; i < last; {
		if p[i] == 0xff && at(i+1) != 0xff {
			i++
			switch m := p[i]; {
			case (m == 0xc0 || m == 0xc1 || m == 0xc2 || m == 0xc3 || m == 0xc9 || m == 0xca || m == 0xcb) &&
				(w == 0 || h == 0):
				w = at(i+6)<<8 | at(i+7)
				h = at(i+4)<<8 | at(i+5)
			}
			n := at(i+1)<<8 | at(i+2)
			if p[i] >= 0xe1 && p[i] <= 0xef {
				app += n
			}
			i += n
			continue
		}
		i++
	}
	return w, h, len(p)/20 < app
}

// webpSize reads the canvas size of a WebP file (ngx_http_image_size).
func webpSize(p []byte) (d Dimensions, ok bool) {
	if len(p) < 30 || p[12] != 'V' || p[13] != 'P' || p[14] != '8' {
		return d, false
	}
	switch p[15] {
	case ' ':
		if p[20]&1 != 0 { // not a key frame
			return d, false
		}
		if p[23] != 0x9d || p[24] != 0x01 || p[25] != 0x2a { // start code
			return d, false
		}
		d.Width = (int(p[26]) | int(p[27])<<8) & 0x3fff
		d.Height = (int(p[28]) | int(p[29])<<8) & 0x3fff
	case 'L':
		if p[20] != 0x2f { // signature
			return d, false
		}
		d.Width = (int(p[21])|int(p[22])<<8)&0x3fff + 1
		d.Height = (int(p[22])>>6|int(p[23])<<2|int(p[24])<<10)&0x3fff + 1
	case 'X':
		d.Width = int(p[24]) | int(p[25])<<8 | int(p[26])<<16 + 1
		d.Height = int(p[27]) | int(p[28])<<8 | int(p[29])<<16 + 1
	default:
		return d, false
	}
	return d, true
}
