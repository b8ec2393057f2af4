package imagefilter_test

import (
	"bytes"
	"fmt"
	"image"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx (with its image filter module
// loaded) and by sluice; ROOT is the directory of the test images.
const diffConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location /size/ { image_filter size; alias ROOT/; }
        location /test/ {
            image_filter test;
            alias ROOT/;
            location /test/off/ { image_filter off; alias ROOT/; }
        }
        location /resize/ { image_filter resize 10 12; alias ROOT/; }
        location /resize1/ { image_filter resize 50 -; alias ROOT/; }
        location /resize2/ { image_filter resize - 30; alias ROOT/; }
        location /var/ { image_filter resize $arg_w $arg_h; alias ROOT/; }
        location /crop/ { image_filter crop 60 80; alias ROOT/; }
        location /crop2/ { image_filter crop 80 20; alias ROOT/; }
        location /rotate/ { image_filter rotate 90; alias ROOT/; }
        location /rotvar/ { image_filter rotate $arg_r; alias ROOT/; }
        location /croprot/ {
            image_filter crop 30 40;
            image_filter rotate 270;
            alias ROOT/;
        }
        location /quality/ {
            image_filter resize 10 12;
            image_filter_jpeg_quality $arg_q;
            image_filter_sharpen 50;
            image_filter_interlace on;
            alias ROOT/;
        }
        location /opaque/ {
            image_filter resize 10 12;
            image_filter_transparency off;
            alias ROOT/;
        }
        location /buffer/ { image_filter test; image_filter_buffer 100; alias ROOT/; }
        location /page/ {
            image_filter resize 10 10;
            error_page 415 = /empty;
            alias ROOT/;
        }
        location = /empty { return 204; }
    }
}
`

// oracleConf is diffConf with the module loaded, as Debian ships it.
func oracleConf(root string) string {
	return "load_module %%MODULES%%/ngx_http_image_filter_module.so;\n" + strings.ReplaceAll(diffConf, "ROOT", root)
}

// TestDifferential sends the same requests to nginx and to sluice, over
// the same images. Answers the filter sends as they are (JSON, 415s,
// images that fit, "test") must match to the byte; a transformed image
// must match in status, headers but its length, format and size.
func TestDifferential(t *testing.T) {
	root := writeImages(t)
	ngx := oracle.Start(t, oracleConf(root))
	s := servertest.Start(t, "events {}\n"+strings.ReplaceAll(diffConf, "ROOT", root))

	exact := oracle.DefaultComparison()
	exact.CloseWait = 300 * time.Millisecond // a keepalive answer costs this
	transformed := exact
	transformed.IgnoreBody = true
	transformed.Headers = slices.DeleteFunc(slices.Clone(exact.Headers), func(h string) bool { return h == "Content-Length" })

	get := func(uri string) string { return "GET " + uri + " HTTP/1.1\r\nHost: localhost\r\n\r\n" }
	for _, tc := range []struct {
		uri string
		// image: the answer is a transformed image
		image bool
	}{
		{"/size/jpeg", false}, {"/size/gif", false}, {"/size/png", false}, {"/size/alpha", false},
		{"/size/txt", false}, {"/size/tiny", false}, {"/size/cut.png", false}, {"/size/exif", false},
		{"/test/gif", false}, {"/test/png", false}, {"/test/txt", false}, {"/test/off/txt", false},
		{"/test/tiny", false}, {"/buffer/jpeg", false}, {"/buffer/tiny", false},
		{"/resize/small", false}, {"/resize1/small", false},
		{"/resize/gif", true}, {"/resize/png", true}, {"/resize/jpeg", true}, {"/resize/alpha", true},
		{"/resize1/jpeg", true}, {"/resize2/gif", true}, {"/resize/exif", true},
		{"/var/gif?w=10&h=12", true}, {"/var/gif?w=-&h=12", true}, {"/var/gif?w=0&h=12", false},
		{"/var/gif?w=abc&h=12", false}, {"/var/small?w=100&h=100", false},
		{"/crop/gif", true}, {"/crop/jpeg", true}, {"/crop2/png", true}, {"/crop/small", false},
		{"/rotate/gif", true}, {"/rotate/alpha", true}, {"/rotate/jpeg", true}, {"/rotate/small", true},
		{"/rotvar/gif?r=180", true}, {"/rotvar/png?r=270", true}, {"/rotvar/gif?r=45", false}, {"/rotvar/gif", false},
		{"/rotate/quad", true}, {"/rotvar/quad?r=270", true}, {"/croprot/png", true}, {"/croprot/jpeg", true},
		{"/quality/jpeg?q=40", true}, {"/quality/jpeg?q=0", false}, {"/quality/alpha?q=0", true}, {"/quality/gif", true},
		{"/opaque/gif", true}, {"/opaque/png", true},
		{"/resize/cut.png", false}, {"/resize/cut.jpeg", false}, {"/resize/txt", false},
		{"/page/txt", false}, {"/page/cut.png", false}, {"/resize/missing", false}, {"/size/missing", false},
		{"/test/missing", false}, {"/page/missing", false},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			if !tc.image {
				oracle.Compare(t, get(tc.uri), ngx.Addr(0), s.Addr("0"), exact)
				return
			}
			a, b := oracle.Compare(t, get(tc.uri), ngx.Addr(0), s.Addr("0"), transformed)
			if a.Resp == nil || b.Resp == nil {
				return
			}
			fa, da, erra := shape(a.Resp.Body)
			fb, db, errb := shape(b.Resp.Body)
			if erra != nil || errb != nil || fa != fb || da != db {
				t.Errorf("nginx sent %s %v (%v), sluice %s %v (%v)", fa, da, erra, fb, db, errb)
			}
			if strings.HasPrefix(tc.uri, "/rotate/quad") || strings.HasPrefix(tc.uri, "/rotvar/quad") {
				sameDirection(t, a.Resp.Body, b.Resp.Body)
			}
		})
	}
	head := exact
	head.NoBody = true
	for _, uri := range []string{"/size/png", "/size/txt", "/test/gif", "/resize/gif", "/resize/small", "/test/txt"} {
		h := head
		if uri == "/resize/gif" {
			h.Headers = transformed.Headers
		}
		oracle.Compare(t, "HEAD "+uri+" HTTP/1.1\r\nHost: localhost\r\n\r\n", ngx.Addr(0), s.Addr("0"), h)
	}
	oracle.CompareErrorLogs(t, gdWarning.ReplaceAllString(ngx.ErrorLog(), "$1\n$2"), s.ErrorLog())
}

// gdWarning finds a log line glued to the end of one of libgd's warnings,
// which it writes to stderr (nginx's error log) without a line ending.
var gdWarning = regexp.MustCompile(`(\S)([0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \[)`)

// sameDirection checks that both servers turned the "quad" image (its
// top left quarter black) the same way: by 90 degrees counter-clockwise
// the black quarter is at the bottom left, by 270 at the top right.
func sameDirection(t *testing.T, a, b []byte) {
	t.Helper()
	ma, _, erra := image.Decode(bytes.NewReader(a))
	mb, _, errb := image.Decode(bytes.NewReader(b))
	if erra != nil || errb != nil {
		t.Fatalf("decoding: nginx's %v, sluice's %v", erra, errb)
	}
	dark := func(m image.Image, p image.Point) bool {
		r, _, _, a := m.At(p.X, p.Y).RGBA()
		return a > 0x8000 && r < 0x8000
	}
	for _, p := range []image.Point{{22, 5}, {5, 30}, {5, 5}, {22, 30}} {
		if dark(ma, p) != dark(mb, p) {
			t.Errorf("at %v nginx's pixel is dark: %v, sluice's: %v; turned the other way", p, dark(ma, p), dark(mb, p))
		}
	}
}

// proxyConf puts the filter in front of a backend both servers share.
const proxyConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /p/ { image_filter resize 10 12; proxy_pass http://BACKEND/; }
        location /psize/ { image_filter size; proxy_pass http://BACKEND/; }
        location /ptest/ { image_filter test; proxy_pass http://BACKEND/; }
        location /pbuf/ {
            image_filter rotate 90;
            image_filter_buffer 2k;
            proxy_pass http://BACKEND/;
            proxy_buffering off;
            proxy_buffer_size 512;
        }
    }
}
`

// imageBackend answers /NAME with the test image NAME, framed as the
// first path segment says: /len/ with Content-Length, /chunked/ in
// chunks of 100 bytes, /close/ ended by closing, /cut/ its first 16
// bytes then a close; /404 is an HTML error page.
func imageBackend(t *testing.T) *testutil.Backend {
	files := testImages(t)
	var be *testutil.Backend
	be = testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.Func(func(c *testutil.BackendConn) error {
			if err := testutil.ReadHead()(c); err != nil {
				return err
			}
			var path string
			for _, rq := range be.Requests() {
				if rq.Conn == c.Index {
					path = strings.Fields(rq.Line())[1]
				}
			}
			framing, name, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
			body := files[name]
			head := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
			var out string
			switch framing {
			case "len":
				out = testutil.HTTPResponse(200, string(body), "Content-Type: application/octet-stream", "Connection: close")
			case "chunked":
				var b strings.Builder
				b.WriteString(head + "Transfer-Encoding: chunked\r\n\r\n")
				for len(body) > 0 {
					n := min(100, len(body))
					fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
					body = body[n:]
				}
				b.WriteString("0\r\n\r\n")
				out = b.String()
			case "close":
				out = head + "\r\n" + string(body)
			case "cut":
				out = head + "\r\n" + string(body[:16])
			default:
				out = testutil.HTTPResponse(404, "<html>not here</html>", "Content-Type: text/html", "Connection: close")
			}
			return testutil.Write(out)(c)
		})}
	})
	return be
}

// TestDifferentialProxy compares the two servers filtering proxied
// images: with a length, chunked, ended by a close, cut short, over the
// buffer without a length, and an upstream error page.
func TestDifferentialProxy(t *testing.T) {
	be := imageBackend(t)
	conf := strings.ReplaceAll(proxyConf, "BACKEND", be.Addr())
	ngx := oracle.Start(t, "load_module %%MODULES%%/ngx_http_image_filter_module.so;\n"+conf)
	s := servertest.Start(t, "events {}\n"+conf)
	exact := oracle.DefaultComparison()
	exact.CloseWait = 300 * time.Millisecond
	transformed := exact
	transformed.IgnoreBody = true
	transformed.Headers = slices.DeleteFunc(slices.Clone(exact.Headers), func(h string) bool { return h == "Content-Length" })
	for _, tc := range []struct {
		uri   string
		image bool
	}{
		{"/psize/len/png", false}, {"/psize/chunked/jpeg", false}, {"/psize/close/gif", false},
		{"/psize/cut/jpeg", false}, {"/psize/cut/gif", false}, {"/psize/404", false},
		{"/ptest/chunked/png", false}, {"/ptest/close/txt", false},
		{"/p/len/gif", true}, {"/p/chunked/png", true}, {"/p/close/jpeg", true}, {"/p/close/small", false},
		{"/p/cut/png", false}, {"/p/404", false},
		{"/pbuf/close/jpeg", true}, {"/pbuf/close/small", true}, {"/pbuf/close/alpha", true}, {"/pbuf/len/noise", false},
		// not "/pbuf/close/noise": with proxy_buffering off, a body that
		// outgrows the buffer gets its 415 from both, but nginx then keeps
		// the request waiting on the upstream until the client leaves
		// (docs/compat.md); sluice closes the connection
	} {
		t.Run(tc.uri, func(t *testing.T) {
			req := "GET " + tc.uri + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
			if !tc.image {
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("0"), exact)
				return
			}
			a, b := oracle.Compare(t, req, ngx.Addr(0), s.Addr("0"), transformed)
			if a.Resp == nil || b.Resp == nil {
				return
			}
			fa, da, erra := shape(a.Resp.Body)
			fb, db, errb := shape(b.Resp.Body)
			if erra != nil || errb != nil || fa != fb || da != db {
				t.Errorf("nginx sent %s %v (%v), sluice %s %v (%v)", fa, da, erra, fb, db, errb)
			}
		})
	}
	// the lines logged while the last bytes go to the client name the
	// upstream in both (nginx's r->upstream->peer.name stays set)
	oracle.CompareErrorLogs(t, gdWarning.ReplaceAllString(ngx.ErrorLog(), "$1\n$2"), s.ErrorLog())
}
