package charset_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// conf runs in sluice and, for the differential test, in Debian's nginx;
// both read the maps sluice ships.
const conf = `
http {
    types { text/html html; text/plain txt; text/foo foo; }
    include %%MAPS%%/koi-utf;
    include %%MAPS%%/win-utf;
    include %%MAPS%%/koi-win;
    charset_map B A { 58 59; }
    root %%ROOT%%/files;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /koi/ { charset utf-8; source_charset koi8-r; }
        location /utf/ { charset koi8-r; source_charset utf-8; }
        location /win/ { charset koi8-r; source_charset windows-1251; }
        location /ab/ { charset A; source_charset B; }
        location /plain/ { charset utf-8; }
        location /types/ { charset utf-8; charset_types text/foo; }
        location /any/ { charset utf-8; charset_types *; }
        location /var/ { charset $arg_c; source_charset koi8-r; }
        location /same/ { charset KOI8-R; source_charset koi8-r; }
        location /redirect { charset utf-8; return 302 http://example.com/x; }
        location /off/ { charset utf-8; location /off/in/ { charset off; } }
        location /proxy/ { charset utf-8; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /override/ { charset utf-8; override_charset on; proxy_pass http://127.0.0.1:%%PORT_1%%/; }
        location /accel/ { proxy_pass http://127.0.0.1:%%PORT_1%%/accel/; }
        location /accel-unknown/ { proxy_pass http://127.0.0.1:%%PORT_1%%/accel-unknown/; }
        location /encoded/ { charset utf-8; source_charset koi8-r; proxy_pass http://127.0.0.1:%%PORT_1%%/encoded/; }
        location /ssi/ { ssi on; charset utf-8; source_charset koi8-r; }
        location /sub/ { charset windows-1251; source_charset koi8-r; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        location / { charset koi8-r; }
        location /accel/ { add_header X-Accel-Charset utf-8; alias %%ROOT%%/files/koi/; charset koi8-r; }
        location /accel-unknown/ { add_header X-Accel-Charset nope; alias %%ROOT%%/files/koi/; charset koi8-r; }
        location /encoded/ { add_header Content-Encoding x-test; alias %%ROOT%%/files/koi/; }
    }
}
`

// Texts in their charsets: "Привет, мир!" and friends.
const (
	koiText = "\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2! \xb3\xa3"                   // Привет, мир! Ёё
	utfText = "Привет, мир! Ёё € 😀 \xc0 \xe2\x82"                                  // a bad byte; cut at the end
	winText = "\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! \xa8\xb8 \x98"              // 0x98 is undefined
	ssiText = "<!--# include virtual=\"/sub/t.html\" -->|\xf0\xd2\xc9\xd7\xc5\xd4" // include then Привет
	abText  = "XXX xyz"
)

// fileTime is the modification time of the test files.
var fileTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func setup(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	maps, err := filepath.Abs("maps")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"koi/t.html": koiText, "koi/t.txt": koiText, "koi/t.foo": koiText, "utf/t.html": utfText,
		"win/t.html": winText, "ab/t.html": abText, "plain/t.html": "plain", "types/t.foo": "foo",
		"types/t.html": "html", "any/t.bin": "bin", "var/t.html": koiText, "same/t.html": koiText,
		"off/in/t.html": "in", "off/t.html": "out", "t.html": koiText, "ssi/t.html": ssiText,
		"sub/t.html": koiText,
	} {
		path := filepath.Join(root, "files", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		// one time for every file: the trees made for nginx and for
		// sluice may be written in two different seconds
		if err := os.Chtimes(path, fileTime, fileTime); err != nil {
			t.Fatal(err)
		}
	}
	return strings.NewReplacer("%%ROOT%%", root, "%%MAPS%%", maps).Replace(conf)
}

func sluiceConf(c string) string {
	return "events {}\n" + strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(c)
}

func get(uri string) string {
	return "GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
}

// uris are the requests both tests make.
var uris = []string{"/koi/t.html", "/koi/t.txt", "/koi/t.foo", "/utf/t.html", "/win/t.html", "/ab/t.html",
	"/plain/t.html", "/types/t.foo", "/types/t.html", "/any/t.bin", "/var/t.html?c=utf-8",
	"/var/t.html?c=windows-1251", "/var/t.html?c=unknown", "/var/t.html", "/same/t.html", "/redirect",
	"/off/t.html", "/off/in/t.html", "/proxy/t.html", "/override/t.html", "/accel/t.html",
	"/accel-unknown/t.html", "/encoded/t.html", "/ssi/t.html", "/koi/missing.html"}

func TestCharset(t *testing.T) {
	s := servertest.Start(t, sluiceConf(setup(t)))
	tests := []struct {
		uri, contentType, body string
		length                 bool
	}{
		{"/koi/t.html", "text/html; charset=utf-8", "Привет, мир! Ёё", false},
		{"/koi/t.foo", "text/foo", koiText, true},
		{"/utf/t.html", "text/html; charset=koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2! \xb3\xa3 &#8364; &#128512; ? ", false},
		{"/win/t.html", "text/html; charset=koi8-r", koiText + " ?", true},
		{"/ab/t.html", "text/html; charset=A", "YYY xyz", true},
		{"/plain/t.html", "text/html; charset=utf-8", "plain", true},
		{"/types/t.foo", "text/foo; charset=utf-8", "foo", true},
		{"/types/t.html", "text/html; charset=utf-8", "html", true},
		{"/var/t.html?c=windows-1251", "text/html; charset=windows-1251", winText[:len(winText)-2], true},
		{"/same/t.html", "text/html; charset=koi8-r", koiText, true}, // the name first met
		{"/off/in/t.html", "text/html", "in", true},
		{"/proxy/t.html", "text/html; charset=koi8-r", koiText, true},
		{"/override/t.html", "text/html; charset=utf-8", "Привет, мир! Ёё", false},
		{"/accel/t.html", "text/html; charset=utf-8", "Привет, мир! Ёё", false},
		{"/encoded/t.html", "text/html", koiText, true},
		{"/ssi/t.html", "text/html; charset=utf-8", "Привет, мир! Ёё|Привет", false},
	}
	for _, tc := range tests {
		t.Run(strings.Trim(tc.uri, "/"), func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), get(tc.uri))
			if r.StatusCode != 200 || string(r.Body) != tc.body || !r.Complete {
				t.Fatalf("want 200 %q, got:\n%s", tc.body, r)
			}
			if got := r.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if r.Has("Content-Length") != tc.length {
				t.Errorf("Content-Length present %v, want %v", r.Has("Content-Length"), tc.length)
			}
		})
	}
	testutil.RoundTrip(t, s.Addr("A"), get("/var/t.html?c=unknown"))
	testutil.RoundTrip(t, s.Addr("A"), get("/accel-unknown/t.html"))
	for _, line := range []string{
		`[error]`, `no "charset_map" between the charsets "koi8-r" and "unknown"`,
		`unknown charset "nope" to override`,
	} {
		if !strings.Contains(s.ErrorLog(), line) {
			t.Errorf("error log lacks %q:\n%s", line, s.ErrorLog())
		}
	}
}

// TestOracleCharset compares sluice and nginx on the same configuration.
func TestOracleCharset(t *testing.T) {
	ngx := oracle.Start(t, setup(t))
	s := servertest.Start(t, sluiceConf(setup(t)))
	cmp := oracle.DefaultComparison()
	for _, uri := range uris {
		t.Run(strings.Trim(uri, "/"), func(t *testing.T) {
			oracle.Compare(t, get(uri), ngx.Addr(0), s.Addr("A"), cmp)
		})
	}
	head := cmp
	head.NoBody = true
	oracle.Compare(t, "HEAD /koi/t.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ngx.Addr(0), s.Addr("A"), head)
	oracle.Compare(t, "GET /win/t.html HTTP/1.1\r\nHost: localhost\r\nRange: bytes=1-3\r\nConnection: close\r\n\r\n", ngx.Addr(0), s.Addr("A"), cmp)
}
