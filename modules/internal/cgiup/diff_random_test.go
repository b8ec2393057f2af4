package cgiup_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomCGILines are the header lines randomCGIHead draws from, by group:
// Status, redirects, type, X-Accel-*, cookies, server and date, validators
// and caching, odd names and values. What nginx 1.22 (the oracle) and
// nginx since 1.23 (which sluice follows) answer differently is left out:
// a Status without a reason phrase ("404" or "404 ": 1.22 sends "HTTP/1.1
// 404", later versions add the reason), an invalid Content-Length (1.23
// and later refuse it), Transfer-Encoding, 1xx statuses (early hints).
var randomCGILines = [][]string{
	{"Status: 200 OK", "Status: 404 Not Found", "Status: 302 Found", "Status: 500 Oops", "Status: 201 Created",
		"Status: 204 No Content", "Status: 304 Not Modified", "Status: 403 Forbidden", "Status: abc",
		"Status: 600 Weird", "Status:  404 Padded", "Status: 401 Unauthorized", "Status: 206 Partial"},
	{"Location: /local", "Location: http://example.com/x", "Location:", "Location: rel/x"},
	{"Content-Type: text/html", "Content-Type: text/plain; charset=utf-8", "Content-Type:"},
	{"X-Accel-Buffering: no", "X-Accel-Buffering: yes", "X-Accel-Charset: utf-8", "X-Accel-Limit-Rate: 20000",
		"X-Accel-Expires: 10", "X-Accel-Redirect: /internal"},
	{"Set-Cookie: a=1; path=/", "Set-Cookie: b=2", "Set-Cookie:"},
	{"Server: backend/1", "Server:", "Date: Thu, 01 Jan 1970 00:00:00 GMT", "Date: junk"},
	{"Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT", "Last-Modified: junk", "ETag: \"x\"", "Expires: 0",
		"Cache-Control: no-cache", "Vary: Accept", "WWW-Authenticate: Basic", "Accept-Ranges: bytes"},
	{"X-Foo: a\tb", "X-Foo:  padded  ", "X-Foo:", "X_Under: x", "X-Foo: a", "X-Sp : 1", "NoColon", ": noname",
		"X-Ctl: a\x01b", "X-Hi: \xe9t\xe9", "X\xe9: 1", "X-Foo: a\x00b", "x-lower: v", "X-Dot.Name: v"},
}

// uniqueCGI are the fields nginx 1.23 and later keep the first line of
// (a later one is logged and ignored), where nginx 1.22 passes every line;
// the generator writes each at most once.
var uniqueCGI = map[string]bool{
	"status": true, "location": true, "content-type": true, "server": true, "date": true, "last-modified": true,
	"etag": true, "expires": true, "x-accel-buffering": true, "x-accel-charset": true, "x-accel-limit-rate": true,
	"x-accel-expires": true, "x-accel-redirect": true, "content-length": true,
}

// randomCGIHead builds an SCGI or uwsgi answer: an HTTP status line
// sometimes, up to six lines of randomCGILines and maybe a Content-Length
// (right or wrong), line ends CRLF or LF, a body; now and then a header
// too big for the buffer or a close before the head's end. The answer is
// cut into up to four pieces with a pause after each (what two writes in
// a row make of one read is a race on both sides), never inside the first
// line: nginx 1.22 lost the start of a first line that was split and
// turned out not to be a status line. X-Accel-Limit-Rate's rate lets the
// longest body through well within the comparison's time.
func randomCGIHead(rng *rand.Rand) []string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	n := rng.IntN(12)
	if rng.IntN(10) == 0 {
		n = 5000 + rng.IntN(3000)
	}
	body := strings.Repeat(string(rune('a'+rng.IntN(26))), n)
	var lines []string
	if rng.IntN(4) == 0 {
		lines = append(lines, pick([]string{"HTTP/1.1 200 OK", "HTTP/1.0 404 Not Found", "HTTP/1.1 201 Created",
			"HTTP/1.1 302 Found", "HTTP/1.1 500 Internal", "HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified", "HTTP/1.1 200"}))
	}
	seen := map[string]bool{}
	for range rng.IntN(7) {
		line := pick(randomCGILines[rng.IntN(len(randomCGILines))])
		name, _, _ := strings.Cut(line, ":")
		name = strings.ToLower(name)
		if uniqueCGI[name] && seen[name] {
			continue
		}
		seen[name] = true
		lines = append(lines, line)
	}
	if rng.IntN(3) == 0 {
		l := n
		switch rng.IntN(4) {
		case 0:
			l = n + 1 + rng.IntN(3)
		case 1:
			if n > 0 {
				l = n - 1
			}
		}
		lines = append(lines, "Content-Length: "+strconv.Itoa(l))
	}
	if rng.IntN(30) == 0 {
		lines = append(lines, "X-Long: "+strings.Repeat("x", 5000))
	}
	eol := "\r\n"
	if rng.IntN(6) == 0 {
		eol = "\n"
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		if rng.IntN(12) == 0 {
			b.WriteString(pick([]string{"\r\n", "\n"}))
		} else {
			b.WriteString(eol)
		}
	}
	if rng.IntN(12) > 0 {
		b.WriteString(eol)
		b.WriteString(body)
	}
	answer := b.String()
	if answer == "" {
		return nil // closes at once
	}
	// cuts after the first line, so that it arrives whole
	first := strings.IndexByte(answer, '\n') + 1
	if first == 0 {
		first = len(answer)
	}
	var out []string
	last := 0
	for range rng.IntN(4) {
		if first >= len(answer) {
			break
		}
		at := first + rng.IntN(len(answer)-first+1)
		if at <= last {
			continue
		}
		out = append(out, answer[last:at], "<pause>")
		last = at
	}
	if last < len(answer) {
		out = append(out, answer[last:])
	}
	return out
}

// startRawCGI starts an SCGI or uwsgi server that answers with the
// pieces out[PATH] (by REQUEST_URI's path; "<pause>" waits 30 ms) and
// closes 30 ms after the last.
func startRawCGI(t *testing.T, proto string, out map[string][]string) *testutil.Backend {
	read := testutil.ReadSCGI()
	if proto == "uwsgi" {
		read = testutil.ReadUWSGI()
	}
	return testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{read, testutil.Pieces(func(c *testutil.BackendConn) ([]string, error) {
			path, _, _ := strings.Cut(c.LastRequest().Header("REQUEST_URI"), "?")
			path = strings.TrimPrefix(path, "/unbuf")
			pieces := out[path]
			if len(pieces) == 0 {
				return nil, nil
			}
			return append(pieces[:len(pieces):len(pieces)], "<pause>"), nil
		}, 30*time.Millisecond)}
	})
}

// TestDiffRandomCGIHeads sends SCGI and uwsgi answers drawn at random
// (fixed seed) through nginx and sluice, buffered and not, as GET over
// HTTP/1.1 and HTTP/1.0 and as HEAD, and compares what the client gets
// (status, headers, body, completeness, close) and the lines of the two
// error logs. It found X-Accel-Buffering ignored unless passed to the
// client (it was read where headers are copied, after the hide list), and
// X-Accel-Charset read too late: nginx reads both, and X-Accel-Limit-Rate,
// as each line arrives, so that the charset applies to the page of an
// X-Accel-Redirect and to the 502 of a head that turns out invalid.
func TestDiffRandomCGIHeads(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) { diffRandomCGIHeads(t, proto, 6, 60) })
	}
}

// diffRandomCGIHeads is TestDiffRandomCGIHeads for one protocol, with a
// seed and a number of answers.
func diffRandomCGIHeads(t *testing.T, proto string, seed uint64, cases int) {
	rng := rand.New(rand.NewPCG(seed, 13))
	answers := map[string][]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/h%d", i)
		answers[names[i]] = randomCGIHead(rng)
	}
	diffCGIAnswers(t, proto, names, answers)
}

// diffCGIAnswers sends the answers (by path, in the order of names)
// through nginx and sluice as diffRandomCGIHeads says.
func diffCGIAnswers(t *testing.T, proto string, names []string, answers map[string][]string) {
	b := startRawCGI(t, proto, answers)
	conf := strings.NewReplacer("PFX_", proto+"_", "BACKEND", b.Addr()).Replace(`
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;
        PFX_param REQUEST_URI $request_uri;
        PFX_read_timeout 5s;
        location / {
            PFX_pass BACKEND;
        }
        location /unbuf/ {
            PFX_buffering off;
            PFX_pass BACKEND;
        }
        location = /internal {
            internal;
            return 200 "internal\n";
        }
    }
}
`)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := comparison()
	cmp.Headers = append(cmp.Headers, "X-Foo", "X_Under", "X-Accel-Limit-Rate", "X-Accel-Expires", "X-Accel-Redirect",
		"X-Sp", "X-Ctl", "X-Hi", "X-Lower", "X-Dot.Name")
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Normalize["date"] = oracle.PresentUnless("1970", "junk")
	t.Run("answers", func(t *testing.T) {
		for _, prefix := range []string{"", "/unbuf"} {
			for i, name := range names {
				req, head := oracle.RequestVariant(prefix+name, i)
				t.Run(prefix+name, func(t *testing.T) {
					t.Parallel()
					c := cmp
					c.NoBody = head
					oracle.Compare(t, req, n.Addr(0), s.Addr("0"), c)
					if t.Failed() {
						t.Logf("the backend sent %q", answers[name])
					}
				})
			}
		}
	})
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
