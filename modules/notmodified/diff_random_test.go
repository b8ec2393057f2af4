package notmodified_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomDates are If-Modified-Since and If-Unmodified-Since values about
// lm: itself in the three HTTP date formats, a second or an hour either
// side, the epoch, far future, junk.
func randomDates(lm time.Time) []string {
	lm = lm.UTC()
	return []string{
		lm.Format(http.TimeFormat), lm.Format(http.TimeFormat), lm.Format(time.RFC850), lm.Format(time.ANSIC),
		lm.Add(time.Second).Format(http.TimeFormat), lm.Add(-time.Second).Format(http.TimeFormat),
		lm.Add(time.Hour).Format(http.TimeFormat), lm.Add(-time.Hour).Format(http.TimeFormat),
		"Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 2999 23:59:59 GMT", "junk", "",
		lm.Format(http.TimeFormat) + "; length=5", " " + lm.Format(http.TimeFormat),
	}
}

// randomETags are If-None-Match and If-Match values about etag: itself,
// weak, "*", another, lists, odd spacing, unquoted.
func randomETags(etag string) []string {
	return []string{etag, etag, "W/" + etag, "*", `"other"`, `"other", ` + etag, etag + `,"other"`,
		`"a",W/` + etag, strings.Trim(etag, `"`), " " + etag + " ", `""`, "", ",", etag + ",", "W/*"}
}

// TestDiffRandomConditionals sends conditional requests drawn at random
// (fixed seed: If-Modified-Since, If-Unmodified-Since, If-None-Match,
// If-Match, alone or together) for a static file, with if_modified_since
// exact, before and off, and with etag off, and for a proxied answer with
// the same validators (its ETag strong or weak), as GET over HTTP/1.1 and
// HTTP/1.0 and as HEAD, to nginx and sluice, and compares the answers and
// the lines of the two error logs.
func TestDiffRandomConditionals(t *testing.T) { diffRandomConditionals(t, 1, 150) }

// diffRandomConditionals is TestDiffRandomConditionals with a seed and a
// number of requests.
func diffRandomConditionals(t *testing.T, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 31))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	root := t.TempDir()
	path := filepath.Join(root, "f.txt")
	if err := os.WriteFile(path, []byte("0123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	etag := fmt.Sprintf(`"%x-%x"`, fi.ModTime().Unix(), fi.Size())
	dates, etags := randomDates(fi.ModTime()), randomETags(etag)
	// backends answering with the file's validators, the ETag strong or
	// weak
	answer := func(tag string) string {
		return testutil.StartKeepaliveBackend(t, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"+
			"ETag: "+tag+"\r\nLast-Modified: "+fi.ModTime().UTC().Format(http.TimeFormat)+"\r\n\r\n0123456789\n"))
	}
	conf := strings.NewReplacer("%%ROOT%%", root, "STRONG", answer(etag), "WEAK", answer("W/"+etag)).Replace(`
http {
    types { text/plain txt; }
    root %%ROOT%%;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { }
        location /before/ { if_modified_since before; alias %%ROOT%%/; }
        location /off/ { if_modified_since off; alias %%ROOT%%/; }
        location /noetag/ { etag off; alias %%ROOT%%/; }
        location /p/ { proxy_pass http://STRONG; }
        location /pw/ { proxy_pass http://WEAK; }
        location /pbefore/ { if_modified_since before; proxy_pass http://STRONG; }
    }
}
`)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for i := range cases {
			var head strings.Builder
			for _, h := range []struct {
				name string
				vals []string
			}{{"If-Modified-Since", dates}, {"If-Unmodified-Since", dates}, {"If-None-Match", etags}, {"If-Match", etags}} {
				if rng.IntN(3) == 0 {
					head.WriteString(h.name + ": " + pick(h.vals) + "\r\n")
				}
			}
			p := pick([]string{"", "", "/before", "/off", "/noetag", "/p", "/pw", "/pbefore"}) + "/f.txt"
			req, noBody := oracle.RequestVariant(p, i)
			req = strings.Replace(req, "\r\n", "\r\n"+head.String(), 1)
			c := cmp
			c.NoBody = noBody
			oracle.CompareRequest(t, fmt.Sprintf("%d%s", i, p), req, n.Addr(0), s.Addr("0"), c, fmt.Sprintf("the request was %q", req))
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
