package charset_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomCharsetAnswer builds an upstream answer for the charset filter:
// a Content-Type drawn at random (types in and out of charset_types,
// with and without a charset, with other parameters, odd spellings), now
// and then an X-Accel-Charset, and a body of ASCII, KOI8-R and UTF-8
// bytes, valid or not. Left out: bytes 0xf8 and above, which nginx 1.22
// (the oracle) takes for the start of a four-byte UTF-8 sequence and
// current nginx (which sluice follows) refuses on their own.
func randomCharsetAnswer(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteString(pick([]string{"abc ", "\xf0\xd2\xc9\xd7\xc5\xd4", "\xd0\x9f\xd1\x80\xd0\xb8", "\x80", "\xc3(", "\xe2\x82",
			"<p>", "\n", "\xe2\x82\xac", "\xd0", "\xf0\x9f\x98\x80"}))
	}
	body := b.String()
	if len(body) == 1 {
		// nginx 1.22 recodes a one-byte body to an empty buffer, alerts
		// "zero size buf in writer" and sends nothing
		body += " "
	}
	var h strings.Builder
	h.WriteString("HTTP/1.1 200 OK\r\n")
	if rng.IntN(8) > 0 {
		h.WriteString("Content-Type: " + pick([]string{"text/html", "text/html", "text/plain", "text/html; charset=koi8-r",
			"text/html;charset=utf-8", "text/html; charset=\"windows-1251\"", "TEXT/HTML", "text/html; foo=bar", "application/json",
			"text/xml; charset=windows-1251", "image/png", "text/css", "text/html; charset=", "text/html; charset=unknown"}) + "\r\n")
	}
	if rng.IntN(6) == 0 {
		h.WriteString("X-Accel-Charset: " + pick([]string{"utf-8", "koi8-r", "windows-1251", "off", "bogus"}) + "\r\n")
	}
	h.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	return h.String() + body
}

// TestDiffRandomCharset sends upstream answers drawn at random (fixed
// seed) through nginx's and sluice's charset filter, with several
// charset, source_charset, override_charset and charset_types settings
// (recoding KOI8-R to UTF-8 and windows-1251, UTF-8 to KOI8-R), and
// compares the answers (Content-Type and recoded bodies) and the lines of
// the two error logs.
func TestDiffRandomCharset(t *testing.T) { diffRandomCharset(t, 1, 60) }

// diffRandomCharset is TestDiffRandomCharset with a seed and a number of
// answers.
func diffRandomCharset(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 43))
	answers := map[string]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/c%d", i)
		answers[names[i]] = randomCharsetAnswer(rng)
	}
	b := testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Pieces(func(c *testutil.BackendConn) ([]string, error) {
			f := strings.Fields(c.LastRequest().Line())
			if len(f) < 2 {
				return nil, testutil.ErrStop
			}
			path, _, _ := strings.Cut(f[1], "?")
			return []string{answers[path]}, nil
		}, 10*time.Millisecond)}
	})
	maps, err := filepath.Abs("maps")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("BACKEND", b.Addr(), "MAPS", maps).Replace(`
http {
    include MAPS/koi-utf;
    include MAPS/koi-win;
    include MAPS/win-utf;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location /a/ { charset utf-8; source_charset koi8-r; proxy_pass http://BACKEND/; }
        location /b/ { charset koi8-r; source_charset utf-8; proxy_pass http://BACKEND/; }
        location /c/ { charset windows-1251; source_charset koi8-r; override_charset on; proxy_pass http://BACKEND/; }
        location /d/ { charset utf-8; charset_types *; proxy_pass http://BACKEND/; }
        location /e/ { charset koi8-r; override_charset on; charset_types text/plain application/json; proxy_pass http://BACKEND/; }
        location /f/ { charset off; override_charset on; proxy_pass http://BACKEND/; }
    }
}
`)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"/a", "/b", "/c", "/d", "/e", "/f"} {
			for i, name := range names {
				oracle.CompareVariant(t, prefix+name, i, n.Addr(0), s.Addr("0"), cmp, answers[name])
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
