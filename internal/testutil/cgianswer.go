package testutil

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// cgiLines are the header lines RandomCGIAnswer draws from, by group:
// Status, redirects, type, X-Accel-*, cookies, server and date, validators
// and caching, odd names and values. What nginx 1.22 (the oracle) and
// nginx since 1.23 (which sluice follows) answer differently is left out:
// a Status without a reason phrase ("404" or "404 ": 1.22 sends "HTTP/1.1
// 404", later versions add the reason), an invalid Content-Length (1.23
// and later refuse it), Transfer-Encoding, 1xx statuses (early hints).
var cgiLines = [][]string{
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

// uniqueCGIFields are the fields nginx 1.23 and later keep the first line of
// (a later one is logged and ignored), where nginx 1.22 passes every line;
// the generator writes each at most once.
var uniqueCGIFields = map[string]bool{
	"status": true, "location": true, "content-type": true, "server": true, "date": true, "last-modified": true,
	"etag": true, "expires": true, "x-accel-buffering": true, "x-accel-charset": true, "x-accel-limit-rate": true,
	"x-accel-expires": true, "x-accel-redirect": true, "content-length": true,
}

// RandomCGIAnswer builds a CGI answer (the stream an SCGI or uwsgi
// server sends, a FastCGI server's FCGI_STDOUT content): an HTTP status
// line sometimes, up to six lines of cgiLines and maybe a Content-Length
// (right or wrong), line ends CRLF or LF, a body; now and then a header
// too big for the buffer or a close before the head's end ("" closes at
// once). X-Accel-Limit-Rate's rate lets the longest body through well
// within a comparison's time.
func RandomCGIAnswer(rng *rand.Rand) string {
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
		line := pick(cgiLines[rng.IntN(len(cgiLines))])
		name, _, _ := strings.Cut(line, ":")
		name = strings.ToLower(name)
		if uniqueCGIFields[name] && seen[name] {
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
	return b.String()
}

// CutAnswer cuts answer into up to four pieces for Pieces, with a pause
// after each (what two writes in a row make of one read is a race on both
// sides), never before from.
func CutAnswer(rng *rand.Rand, answer string, from int) []string {
	var out []string
	last := 0
	for range rng.IntN(4) {
		if from >= len(answer) {
			break
		}
		at := from + rng.IntN(len(answer)-from+1)
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
