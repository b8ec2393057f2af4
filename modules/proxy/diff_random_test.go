package proxy_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// randomHeadLines are the header lines TestDiffRandomHeads draws from, by
// group: framing, connection, hop-by-hop, X-Accel-*, type, redirects,
// cookies, server and date, validators, caching, others. Values include
// odd ones (padding, tabs, empty values, junk dates).
var randomHeadLines = [][]string{
	{"Content-Length: 2", "Content-Length: 02", "Content-Length:  2", "Content-Length: 2 ", "Content-Length: 0"},
	{"Transfer-Encoding: chunked", "Transfer-Encoding: Chunked"},
	{"Connection: close", "Connection: keep-alive", "Connection: Close", "Connection: upgrade", "Connection: foo, close"},
	{"Keep-Alive: timeout=5", "Upgrade: h2c", "Proxy-Connection: x", "TE: trailers", "Trailer: X"},
	{"X-Accel-Expires: 0", "X-Accel-Expires: 10", "X-Accel-Expires: @1", "X-Accel-Expires: -1", "X-Accel-Redirect: /internal",
		"X-Accel-Limit-Rate: 10", "X-Accel-Buffering: no", "X-Accel-Buffering: No", "X-Accel-Charset: utf-8"},
	{"Content-Type: text/html; charset=koi8-r", "Content-Type: text/plain", "Content-Type: text/html;charset=\"utf-8\"", "Content-Type:", "Content-Type: a/b; charset"},
	{"Location: /rel", "Location: http://BACKEND/x", "Location: http://other/x", "Location:", "Refresh: 5; url=http://BACKEND/y", "Refresh: 5"},
	{"Set-Cookie: a=b", "Set-Cookie: a=b; Domain=x; Path=/", "Set-Cookie:"},
	{"Server: x", "Server:", "Date: Thu, 01 Jan 1970 00:00:00 GMT", "Date: junk"},
	{"Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT", "Last-Modified: junk", "ETag: \"x\"", "ETag: W/\"x\"",
		"Expires: Thu, 01 Jan 2037 00:00:00 GMT", "Expires: 0"},
	{"Cache-Control: no-cache", "Cache-Control: max-age=5", "Vary: *", "Vary: Accept-Encoding", "Accept-Ranges: bytes", "Content-Range: bytes 0-1/2"},
	{"X-Foo: a\tb", "X-Foo:  padded  ", "X-Foo:", "X_Under: x", "X-Foo: a", "WWW-Authenticate: Basic", "Allow: GET", "Link: </s>", "Content-Encoding: gzip"},
}

// uniqueOnce are the fields nginx 1.23 and later keep the first line of
// (a later one is logged and ignored), where nginx 1.22, the oracle,
// passes every line; the generator writes each at most once.
var uniqueOnce = map[string]bool{
	"location": true, "refresh": true, "last-modified": true, "expires": true, "etag": true, "content-type": true,
	"date": true, "server": true, "x-accel-expires": true, "x-accel-redirect": true, "x-accel-limit-rate": true,
}

// randomHead builds an upstream response: a status line, up to five
// lines of randomHeadLines, and a body ("ok", chunked when the head says
// so, mostly). At most one Content-Length or Transfer-Encoding line is
// written: nginx 1.23 and later refuse more, 1.22 does not.
func randomHead(rng *rand.Rand) string {
	statuses := []string{"HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 301 Moved", "HTTP/1.1 204 No Content",
		"HTTP/1.1 304 Not Modified", "HTTP/1.1 500 X", "HTTP/1.1 200", "HTTP/1.1 206 Partial"}
	var b strings.Builder
	b.WriteString(statuses[rng.IntN(len(statuses))] + "\r\n")
	chunked, framing := false, false
	seen := map[string]bool{}
	for range rng.IntN(6) {
		gi := rng.IntN(len(randomHeadLines))
		if gi < 2 {
			if framing {
				continue
			}
			framing = true
		}
		line := randomHeadLines[gi][rng.IntN(len(randomHeadLines[gi]))]
		name, _, _ := strings.Cut(line, ":")
		name = strings.ToLower(name)
		if uniqueOnce[name] && seen[name] {
			continue
		}
		seen[name] = true
		chunked = chunked || name == "transfer-encoding"
		b.WriteString(line + "\r\n")
	}
	b.WriteString("\r\n")
	if chunked && rng.IntN(4) > 0 {
		b.WriteString("2\r\nok\r\n0\r\n\r\n")
	} else {
		b.WriteString("ok")
	}
	return b.String()
}

// TestDiffRandomHeads sends upstream heads drawn at random (from a fixed
// seed, so the same every run) through nginx and sluice, buffered and
// not, as GET over HTTP/1.1 and HTTP/1.0 and as HEAD, and compares what
// the client gets. Found the Last-Modified kept on a 301 (TestDiffResponses
// "/lm301"); 1,500 cases of other seeds showed no other difference.
func TestDiffRandomHeads(t *testing.T) {
	const cases = 60
	rng := rand.New(rand.NewPCG(7, 1))
	heads := map[string][]string{}
	names := make([]string, cases)
	for i := range names {
		names[i] = fmt.Sprintf("/r%d", i)
		heads[names[i]] = []string{randomHead(rng)}
	}
	b := startRaw(t, heads)
	for _, name := range names {
		heads[name][0] = strings.ReplaceAll(heads[name][0], "BACKEND", b.Addr())
	}
	server := func(listen string) string {
		return "http {\n    server {\n        listen 127.0.0.1:" + listen + ";\n        server_name localhost;\n" + strings.ReplaceAll(`
        location / { proxy_pass http://BACKEND; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://BACKEND/; }
        location /internal { return 200 "redirected\n"; }
`, "BACKEND", b.Addr()) + "\n    }\n}\n"
	}
	ng := oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%"))
	s := servertest.Start(t, "daemon off;\nevents {}\n"+server("%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Foo", "X_Under", "X-Accel-Charset", "X-Accel-Buffering", "X-Accel-Expires",
		"Trailer", "Upgrade", "TE", "Proxy-Connection", "Link")
	cmp.CloseWait = 300 * time.Millisecond
	port := regexp.MustCompile(`localhost:[0-9]+`)
	cmp.Normalize["location"] = func(v string) string { return port.ReplaceAllString(v, "localhost:PORT") }
	cmp.Normalize["refresh"] = cmp.Normalize["location"]
	cmp.Normalize["date"] = oracle.PresentUnless("1970", "junk")
	for _, prefix := range []string{"", "/nobuf"} {
		for i, name := range names {
			req := [...]string{
				"GET " + prefix + name + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
				"GET " + prefix + name + " HTTP/1.0\r\nHost: localhost\r\n\r\n",
				"HEAD " + prefix + name + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			}[i%3]
			t.Run(prefix+name, func(t *testing.T) {
				t.Parallel()
				c := cmp
				c.NoBody = strings.HasPrefix(req, "HEAD")
				oracle.Compare(t, req, ng.Addr(0), s.Addr("A"), c)
				if t.Failed() {
					t.Logf("the upstream sent %q", heads[name][0])
				}
			})
		}
	}
}

// randomClientRequest builds a request for one of the locations of
// TestDiffRandomRequests: a method, a target of odd segments, a version,
// and up to four header lines, each name once (nginx 1.23+ and 1.22 treat
// repeated names apart), with a body when the head announces one. Expect
// is left out: the exchange reads the 100 Continue as the answer and
// closes, and what reaches the backend then is a race on both sides.
func randomClientRequest(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	locs := []string{"/nouri/", "/uri/", "/set", "/v11", "/method", "/nobody", "/nohdr", "/body", "/vars"}
	segs := []string{"a", "b%20c", "..", ".", "%2e", "%2F", "?", "&", "a=1", "=", "+", ";", "//", "~", "%41", "\xc3\xa9", "%c3%a9", "x.php", "%25"}
	headers := []string{"X-A: 1", "X-B: b", "X_A: 4", "Cookie: a=b", "Cookie: a=c; d=e", "Accept: */*", "X-Forwarded-For: 10.0.0.1",
		"Connection: keep-alive", "Keep-Alive: 1", "TE: trailers", "Upgrade: foo", "Proxy-Connection: x", "X-A:", "X-A:  sp  ",
		"Content-Type: text/plain", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", "Range: bytes=0-1", "Accept-Encoding: gzip",
		"User-Agent: x", "Transfer-Encoding: chunked", "Content-Length: 3"}
	target := pick(locs)
	for range rng.IntN(4) {
		target += pick(segs)
	}
	version := pick([]string{"HTTP/1.0", "HTTP/1.1"})
	var b strings.Builder
	b.WriteString(pick([]string{"GET", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"}) + " " + target + " " + version + "\r\n")
	if version == "HTTP/1.1" || rng.IntN(2) == 0 {
		b.WriteString("Host: localhost\r\n")
	}
	seen := map[string]bool{}
	chunked, length := false, false
	for range rng.IntN(5) {
		line := pick(headers)
		name, _, _ := strings.Cut(line, ":")
		te, cl := name == "Transfer-Encoding", name == "Content-Length"
		if seen[strings.ToLower(name)] || te && (length || version == "HTTP/1.0") || cl && chunked {
			continue
		}
		seen[strings.ToLower(name)] = true
		chunked, length = chunked || te, length || cl
		b.WriteString(line + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	switch {
	case chunked:
		b.WriteString("3\r\nabc\r\n0\r\n\r\n")
	case length:
		b.WriteString("abc")
	}
	return b.String()
}

// TestDiffRandomRequests sends client requests drawn at random (fixed
// seed) through nginx and sluice to a recording backend each, and
// compares what the backends received: whether a request reached them,
// and its head and body. 500 cases of other seeds showed no difference.
func TestDiffRandomRequests(t *testing.T) {
	p := startPair(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok"))}
	}, `
        location /nouri/ { proxy_pass http://BACKEND; }
        location /uri/ { proxy_pass http://BACKEND/new/; }
        location /set {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Host $host;
            proxy_set_header Accept "";
            proxy_set_header X-Fwd $proxy_add_x_forwarded_for;
            proxy_pass http://BACKEND;
        }
        location /v11 { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://BACKEND; }
        location /method { proxy_method PUT; proxy_pass http://BACKEND; }
        location /nobody { proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_pass http://BACKEND; }
        location /nohdr { proxy_pass_request_headers off; proxy_pass http://BACKEND; }
        location /body { proxy_set_body "hello $arg_a"; proxy_pass http://BACKEND; }
        location /vars { proxy_set_header X-V "$uri|$args|$is_args|$request_uri|$http_x_a|$cookie_a|$arg_a"; proxy_pass http://BACKEND; }
`)
	norm := func(r testutil.Request, b *testutil.Backend) string {
		_, port, _ := strings.Cut(b.Addr(), ":")
		return strings.ReplaceAll(r.Head, port, "PORT") + "|" + string(r.Body)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 80 {
		req := randomClientRequest(rng)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			n1, n2 := len(p.nb.Requests()), len(p.sb.Requests())
			// the backend records a request before it answers: once the
			// client has its answer, what reached the backend is known
			oracle.Exchange(p.ngAddr, []byte(req), oracle.Comparison{CloseWait: -1})
			oracle.Exchange(p.subjAddr, []byte(req), oracle.Comparison{CloseWait: -1})
			a, b := p.nb.Requests()[n1:], p.sb.Requests()[n2:]
			if len(a) != len(b) {
				t.Fatalf("request %q reached nginx's backend %d times, sluice's %d", req, len(a), len(b))
			}
			if len(a) == 1 && norm(a[0], p.nb) != norm(b[0], p.sb) {
				t.Errorf("request %q\nnginx sent:\n%s\nsluice sent:\n%s", req, norm(a[0], p.nb), norm(b[0], p.sb))
			}
		})
	}
}
