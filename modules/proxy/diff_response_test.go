package proxy_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// startRaw starts a backend that answers each connection's request with
// the raw pieces out[path] (by the request line's path, arguments
// dropped; "<pause>" waits 50 ms), then closes. It stands in for a
// misbehaving or unusual upstream.
func startRaw(t *testing.T, out map[string][]string) *testutil.Backend {
	t.Helper()
	return testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Pieces(func(c *testutil.BackendConn) ([]string, error) {
			f := strings.Fields(c.LastRequest().Line())
			if len(f) < 2 {
				return nil, testutil.ErrStop
			}
			path, _, _ := strings.Cut(f[1], "?")
			return out[path], nil
		}, 50*time.Millisecond)}
	})
}

// TestDiffResponses sends the same requests through nginx and sluice to
// the same raw upstream answers and compares what the client gets: status
// line, protocol headers, body, completeness, close.
func TestDiffResponses(t *testing.T) {
	big := strings.Repeat("x", 5000)
	out := map[string][]string{
		"/normal":     {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Foo: bar\r\nX-Pad: pad\r\nX-Accel-Charset: koi8-r\r\n\r\nhello"},
		"/serverdate": {"HTTP/1.1 200 OK\r\nServer: backend/1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok"},
		"/chunked":    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "<pause>", "6\r\n world\r\n0\r\n\r\n"},
		"/trailers":   {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"},
		"/close":      {"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ", "<pause>", "close"},
		"/short":      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"},
		"/cutchunked": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"},
		"/badchunked": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"},
		"/extra":      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"},
		"/huge":       {"HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 2\r\n\r\nok"},
		"/http09":     {"just bytes, no status line"},
		"/badheader":  {"HTTP/1.1 200 OK\r\nX-Bad\x01: x\r\nContent-Length: 2\r\n\r\nok"},
		"/nostatus":   {"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"},
		"/custom":     {"HTTP/1.1 299 Whatever It Is\r\nContent-Length: 2\r\n\r\nok"},
		"/204":        {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"},
		"/304":        {"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"},
		"/404":        {"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"},
		"/relative":   {"HTTP/1.1 301 Moved\r\nLocation: /relative/\r\nContent-Length: 0\r\n\r\n"},
		"/cookies":    {"HTTP/1.1 200 OK\r\nSet-Cookie: a=b; Domain=backend.example; Path=/app/x\r\nSet-Cookie: c=d; path=/other; secure\r\nContent-Length: 0\r\n\r\n"},
		"/xaccel":     {"HTTP/1.1 200 OK\r\nX-Accel-Buffering: no\r\nX-Accel-Limit-Rate: 1000\r\nX-Accel-Expires: 10\r\nContent-Length: 2\r\n\r\nok"},
		"/early":      {""},
		"/103":        {"HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		"/100":        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		// names that Go's Unicode case folding (strings.EqualFold) takes
		// for Transfer-Encoding and Keep-Alive; nginx compares ASCII
		// letters only, and passes them on as ordinary headers
		"/foldte": {"HTTP/1.1 200 OK\r\nTran\u017ffer-Encoding: chunked\r\nContent-Length: 15\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		"/foldka": {"HTTP/1.1 200 OK\r\n\u212aeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"},
		// ngx_http_header_filter unlinks Last-Modified from a response
		// that is not 200, 206 or 304, but the upstream's line stays in
		// the list and is sent
		"/lm301": {"HTTP/1.1 301 Moved\r\nLocation: /x\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n"},
		"/lm204": {"HTTP/1.1 204 No Content\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"},
		"/lm404": {"HTTP/1.1 404 Not Found\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 4\r\n\r\nnope"},
	}
	b := startRaw(t, out)
	out["/redirect"] = []string{"HTTP/1.1 302 Found\r\nLocation: http://" + b.Addr() + "/x?y\r\nContent-Length: 0\r\n\r\n"}
	out["/refresh"] = []string{"HTTP/1.1 200 OK\r\nRefresh: 5; url=http://" + b.Addr() + "/z\r\nContent-Length: 0\r\n\r\n"}
	// "İ" is two bytes, and three once strings.ToLower lowers it: "url="
	// must be found in the value itself
	out["/foldrefresh"] = []string{"HTTP/1.1 200 OK\r\nRefresh: \u0130\u0130; url=http://" + b.Addr() + "/z\r\nContent-Length: 0\r\n\r\n"}
	server := func(listen string) string {
		return "http {\n    server {\n        listen 127.0.0.1:" + listen + ";\n        server_name localhost;\n" + strings.ReplaceAll(`
        location / { proxy_pass http://BACKEND; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://BACKEND/; }
        location /redir/ {
            proxy_pass http://BACKEND/;
            proxy_redirect default;
            proxy_cookie_domain backend.example front.example;
            proxy_cookie_path /app/ /;
        }
        location /hide/ {
            proxy_hide_header X-Foo;
            proxy_pass_header X-Pad;
            proxy_pass_header Server;
            proxy_pass http://BACKEND/;
        }
`, "BACKEND", b.Addr()) + "\n    }\n}\n"
	}
	ng := oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%"))
	s := servertest.Start(t, "daemon off;\nevents {}\n"+server("%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Foo", "X-Pad", "X-Accel-Charset", "X-Accel-Buffering", "X-Accel-Limit-Rate", "X-Accel-Expires", "Trailer", "X-Trailer",
		"Tran\u017ffer-Encoding", "\u212aeep-Alive", "Refresh")
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Normalize["date"] = func(v string) string {
		if v == "Thu, 01 Jan 1970 00:00:00 GMT" {
			return v
		}
		return "<present>"
	}
	port := regexp.MustCompile(`localhost:[0-9]+`)
	cmp.Normalize["location"] = func(v string) string { return port.ReplaceAllString(v, "localhost:PORT") }
	// "/103" is left out: nginx 1.22 passes an upstream's 103 on as the
	// final response; nginx 1.29 (whose behaviour sluice follows) skips
	// early hints it does not pass (see TestProtocol).
	// "/badchunked" is left out: nginx holds a small response head back
	// (postpone_output) and sends nothing when the body then turns out
	// invalid; sluice's framework flushes the head first. Both cut the
	// connection without completing the response.
	paths := []string{"/normal", "/serverdate", "/chunked", "/close", "/short", "/cutchunked",
		"/extra", "/huge", "/http09", "/badheader", "/nostatus", "/custom", "/204", "/304", "/404", "/redirect",
		"/relative", "/refresh", "/cookies", "/xaccel", "/early", "/100", "/foldte", "/foldka", "/lm301", "/lm204", "/lm404"}
	for _, prefix := range []string{"", "/nobuf"} {
		for _, path := range paths {
			for _, proto := range []string{"HTTP/1.0", "HTTP/1.1"} {
				t.Run(prefix+path+"/"+proto, func(t *testing.T) {
					req := "GET " + prefix + path + " " + proto + "\r\nHost: localhost\r\nConnection: close\r\n\r\n"
					oracle.Compare(t, req, ng.Addr(0), s.Addr("A"), cmp)
				})
			}
		}
	}
	for _, tc := range []struct{ name, req string }{
		{"head", "HEAD /normal HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"trailers dropped", "GET /trailers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"redirect default", "GET /redir/redirect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"refresh", "GET /redir/refresh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"refresh after a multi-byte letter", "GET /redir/foldrefresh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"cookies rewritten", "GET /redir/cookies HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"hide and pass", "GET /hide/normal HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"pass server", "GET /hide/serverdate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = strings.HasPrefix(tc.req, "HEAD")
			oracle.Compare(t, tc.req, ng.Addr(0), s.Addr("A"), c)
		})
	}
}
