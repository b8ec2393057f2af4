package imagefilter_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// webp1x1 is the header of a 1×1 lossy WebP (a VP8 key frame), enough for
// the filter, which never decodes WebP.
func webp1x1() []byte {
	b := []byte("RIFF\x22\x00\x00\x00WEBPVP8 \x16\x00\x00\x00\x30\x01\x00\x9d\x01\x2a")
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	return append(b, make([]byte, 12)...)
}

const funcConf = `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /size/ { image_filter size; alias ROOT/; }
        location /test/ { image_filter test; alias ROOT/; }
        location /resize/ { image_filter resize 10 12; alias ROOT/; }
        location /crop/ { image_filter crop 60 80; alias ROOT/; }
        location /rotate/ { image_filter rotate 90; alias ROOT/; }
        location /croprot/ { image_filter crop 30 40; image_filter rotate 270; alias ROOT/; }
        location /interlace/ { image_filter resize 10 12; image_filter_interlace on; alias ROOT/; }
        location /opaque/ { image_filter resize 10 12; image_filter_transparency off; alias ROOT/; }
        location /quality/ { image_filter resize 10 12; image_filter_jpeg_quality 50; alias ROOT/; }
        location /webp/ { image_filter resize 1 1; alias ROOT/; }
        location /webprot/ { image_filter rotate 180; alias ROOT/; }
        location /up/ {
            image_filter resize 10 12;
            image_filter_buffer 2k;
            proxy_pass http://BACKEND/;
            proxy_buffering off;
            proxy_buffer_size 512;
        }
        location /upsize/ { image_filter size; proxy_pass http://BACKEND/; }
    }
}
`

func TestFilter(t *testing.T) {
	testutil.CheckLeaks(t)
	root := writeImages(t)
	if err := os.WriteFile(filepath.Join(root, "webp"), webp1x1(), 0o644); err != nil {
		t.Fatal(err)
	}
	files := testImages(t)
	var be *testutil.Backend
	be = testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{
			testutil.Func(func(c *testutil.BackendConn) error {
				if err := testutil.ReadHead()(c); err != nil {
					return err
				}
				var path string
				for _, rq := range be.Requests() {
					if rq.Conn == c.Index {
						path = strings.Fields(rq.Line())[1][1:]
					}
				}
				ct := "Content-Type: image/png"
				if path == "multipart" {
					ct = "Content-Type: multipart/x-mixed-replace; boundary=x"
					path = "png"
				}
				body := string(files[path])
				if path == "padded" {
					body = string(files["alpha"]) + strings.Repeat("x", 3000)
				}
				if path == "nolength" {
					// no Content-Length: the filter gathers up to its buffer
					return testutil.Write("HTTP/1.1 200 OK\r\n" + ct + "\r\nConnection: close\r\n\r\n" + string(files["alpha"]) + strings.Repeat("x", 3000))(c)
				}
				return testutil.Write(testutil.HTTPResponse(200, body, ct, "Connection: close"))(c)
			}),
		}
	})
	conf := strings.ReplaceAll(strings.ReplaceAll(funcConf, "ROOT", root), "BACKEND", be.Addr())
	s := servertest.Start(t, conf)

	get := func(t *testing.T, uri string) *testutil.Response {
		return testutil.RoundTrip(t, s.Addr("0"), "GET "+uri+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	}
	t.Run("size", func(t *testing.T) {
		for uri, want := range map[string]string{
			"/size/jpeg":  `{ "img" : { "width": 100, "height": 120, "type": "jpeg" } }` + "\r\n",
			"/size/gif":   `{ "img" : { "width": 100, "height": 120, "type": "gif" } }` + "\r\n",
			"/size/alpha": `{ "img" : { "width": 60, "height": 40, "type": "png" } }` + "\r\n",
			"/size/webp":  `{ "img" : { "width": 1, "height": 1, "type": "webp" } }` + "\r\n",
			"/size/txt":   "{}\r\n",
			"/upsize/png": `{ "img" : { "width": 100, "height": 120, "type": "png" } }` + "\r\n",
		} {
			r := get(t, uri)
			if r.StatusCode != 200 || string(r.Body) != want || r.Get("Content-Type") != "application/json" ||
				r.Has("Last-Modified") || r.Has("ETag") {
				t.Errorf("%s:\n%s", uri, r)
			}
		}
	})
	t.Run("dimensions", func(t *testing.T) {
		for _, tc := range []struct {
			uri, format string
			size        image.Point
		}{
			{"/resize/gif", "gif", image.Pt(10, 12)},
			{"/resize/jpeg", "jpeg", image.Pt(10, 12)},
			{"/resize/alpha", "png", image.Pt(10, 6)},
			{"/crop/gif", "gif", image.Pt(60, 80)},
			{"/crop/alpha", "png", image.Pt(60, 40)},
			{"/rotate/png", "png", image.Pt(120, 100)},
			{"/rotate/jpeg", "jpeg", image.Pt(120, 100)},
			{"/croprot/gif", "gif", image.Pt(30, 33)},
			{"/test/png", "png", image.Pt(100, 120)},
			{"/up/png", "png", image.Pt(10, 12)},
		} {
			r := get(t, tc.uri)
			f, size, err := shape(r.Body)
			if r.StatusCode != 200 || err != nil || f != tc.format || size != tc.size || r.Get("Content-Type") != "image/"+tc.format {
				t.Errorf("%s: %s %v (%v), want %s %v\n%s", tc.uri, f, size, err, tc.format, tc.size, r.Head)
			}
		}
	})
	t.Run("rotation is counter-clockwise", func(t *testing.T) {
		// the frame's bottom edge, a row above the last, is black on the
		// left after a quarter turn to the left only if ... the top row,
		// black, becomes the left column
		r := get(t, "/rotate/png")
		m, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		// the source's row 99 (the frame's lower edge, black) runs from
		// (0,99) to (99,99); turned left it is the column x=99 of the
		// 120-wide result
		if _, _, _, a := m.At(99, 50).RGBA(); a == 0 {
			t.Errorf("the lower edge of the frame is not at x=99 after rotate 90")
		}
	})
	t.Run("gif interlace and transparency", func(t *testing.T) {
		r := get(t, "/interlace/gif")
		g, err := gif.DecodeAll(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.IndexByte(r.Body[13+6:], 0x2c); i < 0 || r.Body[13+6+i+9]&0x40 == 0 {
			t.Errorf("not marked interlaced")
		}
		if _, _, _, a := g.Image[0].Palette[0].RGBA(); a != 0 {
			t.Errorf("the transparent white entry is lost: %v", g.Image[0].Palette)
		}
		// it reads back as the same resize without interlacing
		plain, err := gif.Decode(bytes.NewReader(get(t, "/resize/gif").Body))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain.(*image.Paletted).Pix, g.Image[0].Pix) {
			t.Errorf("the interlaced image reads back as\n%v\nnot as\n%v", g.Image[0].Pix, plain.(*image.Paletted).Pix)
		}
		r = get(t, "/opaque/gif")
		g, err = gif.DecodeAll(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range g.Image[0].Palette {
			if _, _, _, a := c.RGBA(); a == 0 {
				t.Errorf("transparency kept with image_filter_transparency off")
			}
		}
	})
	t.Run("jpeg quality comment", func(t *testing.T) {
		if r := get(t, "/quality/jpeg"); !bytes.Contains(r.Body, []byte("quality = 50")) {
			t.Errorf("no quality comment:\n%s", r.Head)
		}
		if r := get(t, "/resize/jpeg"); !bytes.Contains(r.Body, []byte("quality = 75")) {
			t.Errorf("no default quality comment:\n%s", r.Head)
		}
	})
	t.Run("webp", func(t *testing.T) {
		if r := get(t, "/webp/webp"); r.StatusCode != 200 || !bytes.Equal(r.Body, webp1x1()) || r.Get("Content-Type") != "image/webp" {
			t.Errorf("a WebP that fits is not sent as it is:\n%s", r)
		}
		if r := get(t, "/webprot/webp"); r.StatusCode != 415 {
			t.Errorf("rotating a WebP:\n%s", r)
		}
		s.WaitErrorLog(t, `[error] `)
		s.WaitErrorLog(t, `sluice was built without WebP support while sending response to client`)
	})
	t.Run("too big", func(t *testing.T) {
		if r := get(t, "/up/nolength"); r.StatusCode != 415 {
			t.Errorf("a body over image_filter_buffer:\n%s", r)
		}
		s.WaitErrorLog(t, "image filter: too big response while")
		if r := get(t, "/up/padded"); r.StatusCode != 415 {
			t.Errorf("a Content-Length over image_filter_buffer:\n%s", r)
		}
		s.WaitErrorLog(t, "image filter: too big response: ")
	})
	t.Run("multipart", func(t *testing.T) {
		cl := testutil.Dial(t, s.Addr("0"))
		defer cl.Close()
		if err := cl.WriteString("GET /up/multipart HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if r, err := cl.ReadResponse(); err == nil {
			t.Errorf("a multipart response was answered:\n%s", r)
		}
		s.WaitErrorLog(t, "image filter: multipart/x-mixed-replace response")
	})
}
