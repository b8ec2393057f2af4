package proxy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// cacheDiffStep is one request of a differential cache scenario: what it
// must get (status, $upstream_cache_status, body), and how often the
// backend must have been asked for its path by then.
type cacheDiffStep struct {
	req    string // raw request; a bare path means get(path)
	status int
	xcache string
	body   string
	hits   int
	// set replaces a route on both backends before the request
	set  string
	with string
	// wait passes before the request (for an entry to expire)
	wait time.Duration
}

// TestProxyCacheDiff runs request sequences through proxy_cache in
// Debian's nginx and in sluice, each side with its own cache and its own
// copy of a counting backend, and compares each answer (status,
// $upstream_cache_status, body) and the backend's count, besides checking
// them against what the sequence wants.
func TestProxyCacheDiff(t *testing.T) {
	testutil.CheckLeaks(t)
	notFound := "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnf\n"
	tests := []struct {
		name   string
		loc    string
		routes map[string]string
		steps  []cacheDiffStep
	}{
		// proxy_cache_bypass.t: an intercepted error is cached for
		// proxy_cache_valid any (the keys zone remembers the status), and a
		// bypassed response stored over it clears it (nginx ticket #827)
		{name: "intercepted error cached, cleared by a bypass",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_key $uri;
                proxy_cache_bypass $arg_bypass; proxy_cache_valid any 1h;
                proxy_intercept_errors on; error_page 404 = @fallback; }
            location @fallback { return 403; }`,
			routes: map[string]string{"/e": notFound},
			steps: []cacheDiffStep{
				{req: "/e", status: 403, xcache: "MISS", hits: 1},
				{req: "/e", status: 403, xcache: "HIT", hits: 1, set: "/e", with: ok200("NOOP", "")},
				{req: "/e?bypass=1", status: 200, xcache: "BYPASS", body: "NOOP", hits: 2},
				{req: "/e", status: 200, xcache: "HIT", body: "NOOP", hits: 2},
			}},
		// proxy_cache_valid.t: the validity may come from the response's
		// Cache-Control (nginx ticket #1382)
		{name: "intercepted error cached by max-age",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m;
                proxy_intercept_errors on; error_page 404 = @fallback; }
            location @fallback { return 403; }`,
			routes: map[string]string{"/m": "HTTP/1.1 404 Not Found\r\nCache-Control: max-age=3600\r\nContent-Length: 3\r\n\r\nnf\n"},
			steps: []cacheDiffStep{
				{req: "/m", status: 403, xcache: "MISS", hits: 1},
				{req: "/m", status: 403, xcache: "HIT", hits: 1},
			}},
		{name: "intercepted error not cached without a validity",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m;
                proxy_intercept_errors on; error_page 404 = @fallback; }
            location @fallback { return 403; }`,
			routes: map[string]string{"/n": notFound},
			steps: []cacheDiffStep{
				{req: "/n", status: 403, xcache: "MISS", hits: 1},
				{req: "/n", status: 403, xcache: "MISS", hits: 2},
			}},
		// ticket #1382: no-cache keeps the error out of the cache whatever
		// proxy_cache_valid says
		{name: "intercepted error with no-cache not cached",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid any 1h;
                proxy_intercept_errors on; error_page 401 = @fallback; }
            location @fallback { return 403; }`,
			routes: map[string]string{"/c": "HTTP/1.1 401 Unauthorized\r\nCache-Control: no-cache\r\nContent-Length: 3\r\n\r\nua\n"},
			steps: []cacheDiffStep{
				{req: "/c", status: 403, xcache: "MISS", hits: 1},
				{req: "/c", status: 200, xcache: "MISS", body: "ok", hits: 2, set: "/c", with: ok200("ok", "")},
				{req: "/c", status: 200, xcache: "HIT", body: "ok", hits: 2},
			}},
		// proxy_cache_convert_head.t: with the conversion off a HEAD goes
		// upstream as HEAD and its answer (no body, whatever
		// Content-Length says) is stored; a GET then gets it
		{name: "head stored with convert_head off",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m;
                proxy_cache_key $uri; proxy_cache_convert_head off; }`,
			routes: map[string]string{"/h": "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n"},
			steps: []cacheDiffStep{
				{req: "HEAD /h HTTP/1.0\r\nHost: localhost\r\n\r\n", status: 200, xcache: "MISS", hits: 1},
				{req: "HEAD /h HTTP/1.0\r\nHost: localhost\r\n\r\n", status: 200, xcache: "HIT", hits: 1},
				{req: "/h", status: 200, xcache: "HIT", hits: 1},
			}},
		// proxy_cache_control.t 18 and 19: an expired entry within its
		// stale-while-revalidate time is served stale while a background
		// subrequest updates it (X-Accel-Expires: @1 stores it expired
		// since 1970, the window counts from then)
		{name: "background update within stale-while-revalidate",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_background_update on; }`,
			routes: map[string]string{"/w": ok200("v1", "Cache-Control: stale-while-revalidate=4000000000\r\nX-Accel-Expires: @1\r\n")},
			steps: []cacheDiffStep{
				{req: "/w", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "/w", status: 200, xcache: "STALE", body: "v1", hits: 2, set: "/w", with: ok200("v2", "X-Accel-Expires: 3600\r\n")},
				{req: "/w", status: 200, xcache: "HIT", body: "v2", hits: 2},
			}},
		{name: "background update for use_stale updating",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_background_update on;
                proxy_cache_use_stale updating; }`,
			routes: map[string]string{"/u": ok200("v1", "X-Accel-Expires: @1\r\n")},
			steps: []cacheDiffStep{
				{req: "/u", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "/u", status: 200, xcache: "STALE", body: "v1", hits: 2, set: "/u", with: ok200("v2", "X-Accel-Expires: 3600\r\n")},
				{req: "/u", status: 200, xcache: "HIT", body: "v2", hits: 2},
			}},
		{name: "no background update outside stale-while-revalidate",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_background_update on; }`,
			routes: map[string]string{"/o": ok200("v1", "X-Accel-Expires: @1\r\n")},
			steps: []cacheDiffStep{
				{req: "/o", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "/o", status: 200, xcache: "EXPIRED", body: "v2", hits: 2, set: "/o", with: ok200("v2", "X-Accel-Expires: 3600\r\n")},
				{req: "/o", status: 200, xcache: "HIT", body: "v2", hits: 2},
			}},
		{name: "stale-while-revalidate without background update",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; }`,
			routes: map[string]string{"/f": ok200("v1", "Cache-Control: stale-while-revalidate=4000000000\r\nX-Accel-Expires: @1\r\n")},
			steps: []cacheDiffStep{
				{req: "/f", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "/f", status: 200, xcache: "EXPIRED", body: "v2", hits: 2, set: "/f", with: ok200("v2", "X-Accel-Expires: 3600\r\n")},
				{req: "/f", status: 200, xcache: "HIT", body: "v2", hits: 2},
			}},
		// proxy_cache_use_stale.t 's-w-r - revalidated': a 304 without a
		// validity of its own gives the entry the one its stored head
		// gives again (here max-age=1: the next request is a HIT)
		{name: "revalidated by the stored head's max-age",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_revalidate on; }`,
			routes: map[string]string{"/r": ok200("v1", "Cache-Control: max-age=1\r\nETag: \"v1\"\r\n")},
			steps: []cacheDiffStep{
				{req: "/r", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "/r", status: 200, xcache: "REVALIDATED", body: "v1", hits: 2, wait: 2100 * time.Millisecond,
					set: "/r", with: "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"},
				{req: "/r", status: 200, xcache: "HIT", body: "v1", hits: 2},
			}},
		// proxy_cache_vary.t: each variant of a response with Vary is kept
		// (the first under the key, the others under their variant's
		// md5), and Accept-Encoding is compared token by token
		{name: "vary keeps each variant",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1h; }`,
			routes: map[string]string{"/v": ok200("v", "Vary: Accept-Encoding\r\n")},
			steps: []cacheDiffStep{
				{req: ae("/v", "gzip"), status: 200, xcache: "MISS", body: "v", hits: 1},
				{req: ae("/v", "gzip"), status: 200, xcache: "HIT", body: "v", hits: 1},
				{req: ae("/v", "deflate"), status: 200, xcache: "MISS", body: "v", hits: 2},
				{req: ae("/v", "deflate"), status: 200, xcache: "HIT", body: "v", hits: 2},
				{req: ae("/v", "gzip"), status: 200, xcache: "HIT", body: "v", hits: 2},
				{req: ae("/v", "foo, bar"), status: 200, xcache: "MISS", body: "v", hits: 3},
				{req: ae("/v", "foo,bar"), status: 200, xcache: "HIT", body: "v", hits: 3},
				{req: ae("/v", "foo,,  ,bar , "), status: 200, xcache: "HIT", body: "v", hits: 3},
				{req: ae("/v", "foobar"), status: 200, xcache: "MISS", body: "v", hits: 4},
				{req: ae("/v", "deflate"), status: 200, xcache: "HIT", body: "v", hits: 4},
			}},
		// a Vary line of "*" makes the response uncacheable, whichever of
		// the Vary lines it is (ngx_http_upstream_process_vary)
		{name: "vary star in a second line",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1h; }`,
			routes: map[string]string{"/s": ok200("s", "Vary: Accept-Encoding\r\nVary: *\r\n"),
				"/f": ok200("f", "Vary: *\r\nVary: Accept-Encoding\r\n")},
			steps: []cacheDiffStep{
				{req: ae("/s", "gzip"), status: 200, xcache: "MISS", body: "s", hits: 1},
				{req: ae("/s", "gzip"), status: 200, xcache: "MISS", body: "s", hits: 2},
				{req: ae("/f", "gzip"), status: 200, xcache: "MISS", body: "f", hits: 1},
				{req: ae("/f", "gzip"), status: 200, xcache: "MISS", body: "f", hits: 2},
			}},
		// X-Accel-Expires is read as ngx_atoi reads it: "-0" is no number
		// and leaves proxy_cache_valid in force, "0" forbids caching
		{name: "x-accel-expires numbers",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1h; }`,
			routes: map[string]string{"/m": ok200("m", "X-Accel-Expires: -0\r\n"),
				"/z": ok200("z", "X-Accel-Expires: 0\r\n")},
			steps: []cacheDiffStep{
				{req: "/m", status: 200, xcache: "MISS", body: "m", hits: 1},
				{req: "/m", status: 200, xcache: "HIT", body: "m", hits: 1},
				{req: "/z", status: 200, xcache: "MISS", body: "z", hits: 1},
				{req: "/z", status: 200, xcache: "MISS", body: "z", hits: 2},
			}},
		// Expires and Last-Modified are read by ngx_parse_http_time, which
		// skips the weekday: the entry is kept until 2099, and answers a
		// matching If-Modified-Since with 304
		{name: "expires and last-modified with an odd weekday",
			loc: `location / { proxy_pass http://BACKEND; proxy_cache z; }`,
			routes: map[string]string{"/e": ok200("e", "Expires: Foo, 01 Jan 2099 00:00:00 GMT\r\n"+
				"Last-Modified: Foo, 06 Nov 1994 08:49:37 GMT\r\n")},
			steps: []cacheDiffStep{
				{req: "/e", status: 200, xcache: "MISS", body: "e", hits: 1},
				{req: "/e", status: 200, xcache: "HIT", body: "e", hits: 1},
				{req: "GET /e HTTP/1.0\r\nHost: localhost\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
					status: 304, xcache: "HIT", hits: 1},
			}},
		// Vary names split at spaces and commas, in any case
		{name: "vary with a complex list",
			loc:    `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1h; }`,
			routes: map[string]string{"/c": ok200("c", "Vary: ,, Accept-encoding , ,\r\n")},
			steps: []cacheDiffStep{
				{req: ae("/c", "gzip"), status: 200, xcache: "MISS", body: "c", hits: 1},
				{req: ae("/c", "deflate"), status: 200, xcache: "MISS", body: "c", hits: 2},
				{req: ae("/c", "gzip"), status: 200, xcache: "HIT", body: "c", hits: 2},
				{req: ae("/c", "deflate"), status: 200, xcache: "HIT", body: "c", hits: 2},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nb := startCacheBackend(t, clone(tc.routes))
			sb := startCacheBackend(t, clone(tc.routes))
			ng, s := startCachePair(t, tc.loc, nb, sb)
			for i, st := range tc.steps {
				time.Sleep(st.wait)
				if st.set != "" {
					nb.setRoute(st.set, st.with)
					sb.setRoute(st.set, st.with)
				}
				req, path := st.req, st.req
				path, _, _ = strings.Cut(path, "?")
				if !strings.Contains(req, " ") {
					req = get(req)
				} else {
					path = strings.Fields(req)[1]
				}
				// waiting for the close, the entry is stored when the next
				// request comes
				cmp := oracle.Comparison{CloseWait: 5 * time.Second, NoBody: strings.HasPrefix(req, "HEAD ")}
				ngr := oracle.Exchange(ng.Addr(0), []byte(req), cmp)
				sr := oracle.Exchange(s.Addr("A"), []byte(req), cmp)
				if ngr.Resp == nil || sr.Resp == nil {
					t.Fatalf("step %d %q: no response (nginx %v, sluice %v)", i, st.req, ngr.Err, sr.Err)
				}
				ngs, ss := describeCached(ngr.Resp, nb.count(path)), describeCached(sr.Resp, sb.count(path))
				if ngs != ss {
					t.Errorf("step %d %q:\nnginx:  %s\nsluice: %s\n%s", i, st.req, ngs, ss, s.ErrorLog())
				}
				r := sr.Resp
				if r.StatusCode != st.status || r.Get("X-Cache") != st.xcache || sb.count(path) != st.hits ||
					(st.body != "" && string(r.Body) != st.body) {
					t.Errorf("step %d %q: sluice %s; want %d %q %q, asked %d", i, st.req, ss, st.status, st.xcache, st.body, st.hits)
				}
			}
		})
	}
}

// ae is a GET of path with an Accept-Encoding field.
// startCachePair starts Debian's nginx and sluice with a keys zone z, an
// X-Cache header ($upstream_cache_status) and the locations loc, BACKEND
// in them replaced by each side's backend.
func startCachePair(t *testing.T, loc string, nb, sb *cacheBackend) (*oracle.Nginx, *servertest.Server) {
	t.Helper()
	server := func(listen, addr string) string {
		return "http {\n    proxy_cache_path %%PREFIX%%/cache levels=1:2 keys_zone=z:1m;\n" +
			"    server {\n        listen 127.0.0.1:" + listen + ";\n        server_name localhost;\n" +
			"        add_header X-Cache $upstream_cache_status always;\n" +
			strings.ReplaceAll(loc, "BACKEND", addr) + "\n    }\n}\n"
	}
	return oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%", nb.Addr())),
		servertest.Start(t, "daemon off;\nevents {}\n"+server("%%PORT_A%%", sb.Addr()))
}

// describeCached is what a cache scenario compares of an answer: its
// status line, $upstream_cache_status, its body (an error page, which
// names the server, as "<error page>") and how often the backend was
// asked for it.
func describeCached(r *testutil.Response, asked int) string {
	body := string(r.Body)
	if r.StatusCode >= 300 && strings.Contains(body, "<html>") {
		body = "<error page>"
	}
	return fmt.Sprintf("%s | X-Cache %q | %q | backend asked %d", r.StatusLine, r.Get("X-Cache"), body, asked)
}

func ae(path, enc string) string {
	return "GET " + path + " HTTP/1.0\r\nHost: localhost\r\nAccept-Encoding: " + enc + "\r\n\r\n"
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
