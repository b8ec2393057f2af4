package proxy_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// cacheBackend answers each request by its path from routes (raw response
// text; a missing route gets a 404) and counts the requests per path.
type cacheBackend struct {
	*testutil.Backend
	mu     sync.Mutex
	routes map[string]string
	hits   map[string]int
	heads  map[string][]string
}

func startCacheBackend(t *testing.T, routes map[string]string) *cacheBackend {
	cb := &cacheBackend{routes: routes, hits: map[string]int{}, heads: map[string][]string{}}
	cb.Backend = testutil.StartBackendFunc(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Func(cb.answer)}
	})
	return cb
}

func (cb *cacheBackend) answer(c *testutil.BackendConn) error {
	var req testutil.Request
	for _, r := range cb.Requests() {
		if r.Conn == c.Index {
			req = r
		}
	}
	path := strings.Fields(req.Line())[1]
	path, _, _ = strings.Cut(path, "?")
	cb.mu.Lock()
	cb.hits[path]++
	cb.heads[path] = append(cb.heads[path], req.Head)
	raw, ok := cb.routes[path]
	cb.mu.Unlock()
	if !ok {
		raw = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnf\n"
	}
	_, err := c.Write([]byte(raw))
	return err
}

func (cb *cacheBackend) count(path string) int {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.hits[path]
}

// setRoute replaces one route's answer.
func (cb *cacheBackend) setRoute(path, raw string) {
	cb.mu.Lock()
	cb.routes[path] = raw
	cb.mu.Unlock()
}

// cacheConf is a configuration with one cache zone at %%PREFIX%%/cache and
// the location text (BACKEND replaced by addr); responses carry the cache
// status in X-Cache.
func cacheConf(addr, loc string) string {
	return `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    proxy_cache_path %%PREFIX%%/cache levels=1:2 keys_zone=z:1m;
    proxy_temp_path %%PREFIX%%/proxy_temp;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        add_header X-Cache $upstream_cache_status always;
` + strings.ReplaceAll(loc, "BACKEND", addr) + `
    }
}
`
}

// cacheStep is one request of a cache scenario and what it must get.
type cacheStep struct {
	req    string // raw request; a bare path means get(path)
	status int
	xcache string // $upstream_cache_status ("" = empty)
	body   string
	hits   int  // the backend's count for the path afterwards
	cut    bool // the response is truncated (the upstream's was)
	// stored waits first for an entry file (a HEAD's client has its answer
	// before the body is stored)
	stored bool
	path   string // the path hits counts (defaults to req's path)
	before func(cb *cacheBackend)
}

// cacheRoundTrip sends a request and reads its response: with no body for
// HEAD; one the server cut is returned with truncated set.
func cacheRoundTrip(t *testing.T, s *servertest.Server, req string) (resp *testutil.Response, truncated bool) {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponseOpts(testutil.ParseOptions{NoBody: strings.HasPrefix(req, "HEAD ")})
	if errors.Is(err, testutil.ErrTruncated) && resp != nil {
		return resp, true
	}
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	return resp, false
}

func ok200(body, extra string) string {
	return "HTTP/1.1 200 OK\r\n" + extra + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestProxyCache runs request sequences through proxy_cache against a
// counting backend and checks status, $upstream_cache_status, body and how
// often the backend was asked. Each scenario ends with no temp file left.
func TestProxyCache(t *testing.T) {
	testutil.CheckLeaks(t)
	loc := `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m; EXTRA }`
	tests := []struct {
		name   string
		extra  string
		routes map[string]string
		steps  []cacheStep
	}{
		{name: "miss then hit",
			routes: map[string]string{"/a": ok200("cached body", "")},
			steps: []cacheStep{
				{req: "/a", status: 200, xcache: "MISS", body: "cached body", hits: 1},
				{req: "/a", status: 200, xcache: "HIT", body: "cached body", hits: 1},
				{req: "/a?x", status: 200, xcache: "MISS", body: "cached body", hits: 2},
			}},
		{name: "head is cached as get",
			routes: map[string]string{"/h": ok200("for head", "")},
			steps: []cacheStep{
				{req: "HEAD /h HTTP/1.0\r\nHost: localhost\r\n\r\n", path: "/h", status: 200, xcache: "MISS", hits: 1},
				{req: "/h", status: 200, xcache: "HIT", body: "for head", hits: 1, stored: true},
			}},
		{name: "not cached: cache-control private",
			routes: map[string]string{"/p": ok200("private", "Cache-Control: private\r\n")},
			steps: []cacheStep{
				{req: "/p", status: 200, xcache: "MISS", body: "private", hits: 1},
				{req: "/p", status: 200, xcache: "MISS", body: "private", hits: 2},
			}},
		{name: "not cached: set-cookie",
			routes: map[string]string{"/c": ok200("cookie", "Set-Cookie: a=b\r\n")},
			steps: []cacheStep{
				{req: "/c", status: 200, xcache: "MISS", body: "cookie", hits: 1},
				{req: "/c", status: 200, xcache: "MISS", body: "cookie", hits: 2},
			}},
		{name: "not cached: x-accel-expires 0",
			routes: map[string]string{"/x": ok200("xae", "X-Accel-Expires: 0\r\n")},
			steps: []cacheStep{
				{req: "/x", status: 200, xcache: "MISS", body: "xae", hits: 1},
				{req: "/x", status: 200, xcache: "MISS", body: "xae", hits: 2},
			}},
		{name: "cached by cache-control max-age without valid",
			routes: map[string]string{"/m": ok200("max-age", "Cache-Control: max-age=60\r\n")},
			extra:  `location /m { proxy_pass http://BACKEND; proxy_cache z; }`,
			steps: []cacheStep{
				{req: "/m", status: 200, xcache: "MISS", body: "max-age", hits: 1},
				{req: "/m", status: 200, xcache: "HIT", body: "max-age", hits: 1},
			}},
		// nginx 1.29.2 (proxy_cache_control.t): a max-age too large for
		// the clock is the largest validity, not an error
		{name: "cached by a max-age that overflows",
			routes: map[string]string{"/o": ok200("overflow", "Cache-Control: max-age=9223372036854775808\r\n")},
			extra:  `location /o { proxy_pass http://BACKEND; proxy_cache z; }`,
			steps: []cacheStep{
				{req: "/o", status: 200, xcache: "MISS", body: "overflow", hits: 1},
				{req: "/o", status: 200, xcache: "HIT", body: "overflow", hits: 1},
			}},
		{name: "404 not cached without a valid time",
			steps: []cacheStep{
				{req: "/nf", status: 404, xcache: "MISS", body: "nf\n", hits: 1},
				{req: "/nf", status: 404, xcache: "MISS", body: "nf\n", hits: 2},
			}},
		{name: "404 cached with proxy_cache_valid any",
			extra: `location /any { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid any 1m; }`,
			steps: []cacheStep{
				{req: "/any", status: 404, xcache: "MISS", body: "nf\n", hits: 1},
				{req: "/any", status: 404, xcache: "HIT", body: "nf\n", hits: 1},
			}},
		{name: "bypass fetches and stores",
			routes: map[string]string{"/b": ok200("v1", "")},
			extra:  `location /b { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m; proxy_cache_bypass $http_x_fresh; }`,
			steps: []cacheStep{
				{req: "/b", status: 200, xcache: "MISS", body: "v1", hits: 1},
				{req: "GET /b HTTP/1.0\r\nHost: localhost\r\nX-Fresh: 1\r\n\r\n", path: "/b", status: 200, xcache: "BYPASS", body: "v2", hits: 2,
					before: func(cb *cacheBackend) { cb.setRoute("/b", ok200("v2", "")) }},
				{req: "/b", status: 200, xcache: "HIT", body: "v2", hits: 2},
			}},
		{name: "zone from a variable, empty or off means no cache",
			routes: map[string]string{"/v": ok200("var", "")},
			extra:  `location /v { proxy_pass http://BACKEND; proxy_cache $arg_c; proxy_cache_valid 1m; }`,
			steps: []cacheStep{
				{req: "/v", status: 200, xcache: "", body: "var", hits: 1},
				{req: "/v?c=off", status: 200, xcache: "", body: "var", hits: 2},
				{req: "/v?c=z", status: 200, xcache: "MISS", body: "var", hits: 3},
				{req: "/v?c=z", status: 200, xcache: "HIT", body: "var", hits: 3},
				{req: "/v?c=nosuch", status: 500, xcache: "", hits: 3},
			}},
		{name: "a bypassed response makes a new entry",
			routes: map[string]string{"/b": ok200("first", "")},
			extra:  `location /b { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m; proxy_cache_bypass $http_x_fresh; }`,
			steps: []cacheStep{
				{req: "GET /b HTTP/1.0\r\nHost: localhost\r\nX-Fresh: 1\r\n\r\n", path: "/b", status: 200, xcache: "BYPASS", body: "first", hits: 1},
				{req: "/b", status: 200, xcache: "HIT", body: "first", hits: 1},
			}},
		{name: "no_cache does not store",
			routes: map[string]string{"/n": ok200("nostore", "")},
			extra:  `location /n { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m; proxy_no_cache 1; }`,
			steps: []cacheStep{
				{req: "/n", status: 200, xcache: "MISS", body: "nostore", hits: 1},
				{req: "/n", status: 200, xcache: "MISS", body: "nostore", hits: 2},
			}},
		{name: "methods: post is not cached",
			routes: map[string]string{"/post": ok200("posted", "")},
			steps: []cacheStep{
				{req: "POST /post HTTP/1.0\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx", path: "/post", status: 200, xcache: "", body: "posted", hits: 1},
				{req: "/post", status: 200, xcache: "MISS", body: "posted", hits: 2},
				{req: "/post", status: 200, xcache: "HIT", body: "posted", hits: 2},
			}},
		{name: "truncated body is not cached",
			routes: map[string]string{"/cut": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part"},
			steps: []cacheStep{
				{req: "/cut", status: 200, xcache: "MISS", hits: 1, cut: true},
				{req: "/cut", status: 200, xcache: "MISS", hits: 2, cut: true},
			}},
		{name: "min_uses",
			routes: map[string]string{"/u": ok200("uses", "")},
			extra:  `location /u { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 200 1m; proxy_cache_min_uses 2; }`,
			steps: []cacheStep{
				{req: "/u", status: 200, xcache: "MISS", body: "uses", hits: 1},
				{req: "/u", status: 200, xcache: "MISS", body: "uses", hits: 2},
				{req: "/u", status: 200, xcache: "HIT", body: "uses", hits: 2},
			}},
		{name: "stale on error after expiry",
			routes: map[string]string{"/s": ok200("fresh", "X-Accel-Expires: 1\r\n")},
			extra:  `location /s { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_use_stale http_500; }`,
			steps: []cacheStep{
				{req: "/s", status: 200, xcache: "MISS", body: "fresh", hits: 1},
				{req: "/s", status: 200, xcache: "STALE", body: "fresh", hits: 2,
					before: func(cb *cacheBackend) {
						time.Sleep(2100 * time.Millisecond) // X-Accel-Expires: 1 must pass
						cb.setRoute("/s", "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")
					}},
			}},
		{name: "expired then revalidated",
			routes: map[string]string{"/r": ok200("etagged", "X-Accel-Expires: 1\r\nETag: \"v1\"\r\n")},
			extra:  `location /r { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_revalidate on; }`,
			steps: []cacheStep{
				{req: "/r", status: 200, xcache: "MISS", body: "etagged", hits: 1},
				{req: "/r", status: 200, xcache: "REVALIDATED", body: "etagged", hits: 2,
					before: func(cb *cacheBackend) {
						time.Sleep(2100 * time.Millisecond)
						cb.setRoute("/r", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nX-Accel-Expires: 60\r\n\r\n")
					}},
				{req: "/r", status: 200, xcache: "HIT", body: "etagged", hits: 2},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.routes == nil {
				tc.routes = map[string]string{}
			}
			cb := startCacheBackend(t, tc.routes)
			l := strings.ReplaceAll(loc, "EXTRA", "") + "\n" + tc.extra
			s := servertest.Start(t, cacheConf(cb.Addr(), l))
			for i, st := range tc.steps {
				if st.before != nil {
					st.before(cb)
				}
				if st.stored {
					waitStored(t, s)
				}
				req, path := st.req, st.path
				if !strings.Contains(req, " ") {
					path, _, _ = strings.Cut(req, "?")
					req = get(req)
				}
				resp, cut := cacheRoundTrip(t, s, req)
				if cut != st.cut {
					t.Errorf("step %d: truncated %v, want %v", i, cut, st.cut)
				}
				if resp.StatusCode != st.status || resp.Get("X-Cache") != st.xcache {
					t.Fatalf("step %d %q: %d X-Cache %q, want %d %q\n%s", i, st.req, resp.StatusCode, resp.Get("X-Cache"), st.status, st.xcache, s.ErrorLog())
				}
				if st.body != "" && string(resp.Body) != st.body {
					t.Errorf("step %d: body %q, want %q", i, resp.Body, st.body)
				}
				if got := cb.count(path); got != st.hits {
					t.Errorf("step %d: backend asked %d times for %s, want %d", i, got, path, st.hits)
				}
			}
			if tmp, _ := os.ReadDir(filepath.Join(s.Prefix(), "proxy_temp")); len(tmp) != 0 {
				t.Errorf("temp files left: %v", tmp)
			}
		})
	}
}

// waitStored waits for an entry file under the cache directory.
func waitStored(t *testing.T, s *servertest.Server) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(s.Prefix(), "cache", "*", "*", "*")); len(files) > 0 {
			return
		}
	}
	t.Fatal("no cache entry stored within 5s")
}

// TestProxyCacheKeyAndFiles checks proxy_cache_key and the file layout:
// levels=1:2 puts an entry at cache/X/YZ/md5(key), where X and YZ are the
// md5's last characters, as in nginx; and the upstream got a GET for a
// HEAD.
func TestProxyCacheKeyAndFiles(t *testing.T) {
	testutil.CheckLeaks(t)
	cb := startCacheBackend(t, map[string]string{"/k": ok200("keyed", "")})
	s := servertest.Start(t, cacheConf(cb.Addr(), `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 1m; proxy_cache_key "fixed"; }`))
	if r, _ := cacheRoundTrip(t, s, "HEAD /k HTTP/1.0\r\nHost: localhost\r\n\r\n"); r.StatusCode != 200 || r.Get("X-Cache") != "MISS" {
		t.Fatalf("HEAD: %d %q", r.StatusCode, r.Get("X-Cache"))
	}
	sum := md5hex("fixed")
	file := filepath.Join(s.Prefix(), "cache", sum[31:], sum[29:31], sum)
	// the client of a HEAD has its answer before the body is stored
	data, err := os.ReadFile(file)
	for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		data, err = os.ReadFile(file)
	}
	if err != nil {
		entries, _ := filepath.Glob(filepath.Join(s.Prefix(), "cache", "*", "*", "*"))
		t.Fatalf("cache file: %v (files: %v)", err, entries)
	}
	if !strings.Contains(string(data), "\nKEY: fixed\n") || !strings.HasSuffix(string(data), "keyed") {
		t.Errorf("cache file does not hold the key and the body: %q", data)
	}
	cb.mu.Lock()
	head := cb.heads["/k"][0]
	cb.mu.Unlock()
	if !strings.HasPrefix(head, "GET /k ") {
		t.Errorf("upstream request %q, want a GET", head)
	}
	// any path hits the same key
	if r := roundTrip(t, s, get("/other")); r.Get("X-Cache") != "HIT" || string(r.Body) != "keyed" {
		t.Errorf("same key, other path: %q %q", r.Get("X-Cache"), r.Body)
	}
}

// TestProxyCacheTempOnOtherFS: with proxy_temp_path on another file
// system than the cache, the entry is copied into place as nginx does
// (ngx_ext_rename_file), with mode 0600, and then served from the cache;
// no temp file or partial copy is left.
func TestProxyCacheTempOnOtherFS(t *testing.T) {
	testutil.CheckLeaks(t)
	shm, err := os.MkdirTemp("/dev/shm", "cache")
	if err != nil {
		t.Fatalf("the test needs /dev/shm for a temp path on another file system: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	cb := startCacheBackend(t, map[string]string{"/x": ok200("across", "")})
	conf := strings.Replace(cacheConf(cb.Addr(), `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 1m; }`),
		"proxy_temp_path %%PREFIX%%/proxy_temp;", "proxy_temp_path "+shm+";", 1)
	s := servertest.Start(t, conf)
	var a, b syscall.Stat_t
	if syscall.Stat(s.Prefix(), &a) != nil || syscall.Stat(shm, &b) != nil || a.Dev == b.Dev {
		t.Fatalf("/dev/shm and %s must be different file systems", s.Prefix())
	}
	if r, _ := cacheRoundTrip(t, s, get("/x")); r.StatusCode != 200 || r.Get("X-Cache") != "MISS" {
		t.Fatalf("first: %d %q", r.StatusCode, r.Get("X-Cache"))
	}
	waitStored(t, s)
	if r, _ := cacheRoundTrip(t, s, get("/x")); r.Get("X-Cache") != "HIT" || string(r.Body) != "across" {
		t.Fatalf("second: %q %q\n%s", r.Get("X-Cache"), r.Body, s.ErrorLog())
	}
	files, _ := filepath.Glob(filepath.Join(s.Prefix(), "cache", "*", "*", "*"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one entry", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if left, _ := os.ReadDir(shm); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestProxyCacheSurvivesReload checks that a reload with the same
// proxy_cache_path keeps serving what was cached (the new zone loads the
// files, as nginx's cache loader does), and that entries are served HIT.
func TestProxyCacheSurvivesReload(t *testing.T) {
	testutil.CheckLeaks(t)
	cb := startCacheBackend(t, map[string]string{"/a": ok200("before reload", "")})
	text := cacheConf(cb.Addr(), `location / { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_valid 1m; }`)
	s := servertest.Start(t, text)
	if r := roundTrip(t, s, get("/a")); r.Get("X-Cache") != "MISS" {
		t.Fatalf("first: %q", r.Get("X-Cache"))
	}
	s.Reload(text)
	r := roundTrip(t, s, get("/a"))
	if r.Get("X-Cache") != "HIT" || string(r.Body) != "before reload" || cb.count("/a") != 1 {
		t.Fatalf("after reload: %q %q, backend asked %d times\n%s", r.Get("X-Cache"), r.Body, cb.count("/a"), s.ErrorLog())
	}
}

// TestProxyCacheBackgroundUpdate checks proxy_cache_background_update on
// a keep-alive connection: the expired entry is answered (STALE) while the
// update is still waiting for the backend, the update stores the new
// response, and the access log line of the request served stale shows no
// upstream exchange of the update (a background subrequest has its own
// $upstream_* record, as in nginx).
func TestProxyCacheBackgroundUpdate(t *testing.T) {
	testutil.CheckLeaks(t)
	release := make(chan struct{})
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		if i == 0 {
			return testutil.Script{testutil.ReadRequest(), testutil.Write(ok200("v1",
				"Cache-Control: stale-while-revalidate=4000000000\r\nX-Accel-Expires: @1\r\n"))}
		}
		return testutil.Script{testutil.ReadRequest(), testutil.Func(func(c *testutil.BackendConn) error {
			<-release
			_, err := c.Write([]byte(ok200("v2", "X-Accel-Expires: 3600\r\n")))
			return err
		})}
	})
	conf := `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    proxy_cache_path %%PREFIX%%/cache levels=1:2 keys_zone=z:1m;
    proxy_temp_path %%PREFIX%%/proxy_temp;
    log_format st "$request_uri $upstream_cache_status [$upstream_addr] [$upstream_status]";
    access_log %%PREFIX%%/access.log st;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        add_header X-Cache $upstream_cache_status;
        location / { proxy_pass http://` + b.Addr() + `; proxy_cache z; proxy_cache_background_update on; }
    }
}
`
	s := servertest.Start(t, conf)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	ka := "GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n"
	steps := []struct {
		xcache, body string
	}{
		{"MISS", "v1"},
		{"STALE", "v1"}, // answered while the update waits for the backend
	}
	for i, st := range steps {
		if err := c.WriteString(ka); err != nil {
			t.Fatal(err)
		}
		r, err := c.ReadResponse()
		if err != nil {
			close(release)
			t.Fatalf("step %d: %v", i, err)
		}
		if r.Get("X-Cache") != st.xcache || string(r.Body) != st.body {
			close(release)
			t.Fatalf("step %d: X-Cache %q body %q, want %q %q", i, r.Get("X-Cache"), r.Body, st.xcache, st.body)
		}
	}
	if !b.WaitRequests(2, 5*time.Second) {
		t.Fatal("the background update did not reach the backend")
	}
	close(release)
	// the connection serves its next request once the update finished
	if err := c.WriteString(ka); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadResponse()
	if err != nil || r.Get("X-Cache") != "HIT" || string(r.Body) != "v2" {
		t.Fatalf("after the update: %v %q %q, want HIT v2\n%s", err, r.Get("X-Cache"), r.Body, s.ErrorLog())
	}
	c.Close()
	// a request's line is written once it ends, after its response
	s.WaitFileMatch(t, "access.log", `^(.*\n){3}`)
	log := strings.Split(strings.TrimSpace(s.ReadFile("access.log")), "\n")
	want := []string{"/b MISS [" + b.Addr() + "] [200]", "/b STALE [-] [-]", "/b HIT [-] [-]"}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("access log:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}

// TestProxyCacheBackgroundUpdateInInclude checks a stale entry included by
// SSI: the page is complete while the background update waits for the
// backend (nginx-tests' proxy_cache_use_stale.t 's-w-r - not blocked in
// subrequest'); the update then stores the new response.
func TestProxyCacheBackgroundUpdateInInclude(t *testing.T) {
	testutil.CheckLeaks(t)
	release := make(chan struct{})
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		if i == 0 {
			return testutil.Script{testutil.ReadRequest(), testutil.Write(ok200("v1",
				"Cache-Control: stale-while-revalidate=4000000000\r\nX-Accel-Expires: @1\r\n"))}
		}
		return testutil.Script{testutil.ReadRequest(), testutil.Func(func(c *testutil.BackendConn) error {
			<-release
			_, err := c.Write([]byte(ok200("v2", "X-Accel-Expires: 3600\r\n")))
			return err
		})}
	})
	s := servertest.Start(t, cacheConf(b.Addr(), `
        location = /page { ssi on; default_type text/html; return 200 '[<!--#include virtual="/inc" -->]'; }
        location /inc { proxy_pass http://BACKEND; proxy_cache z; proxy_cache_background_update on; }`))
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	page := "GET /page HTTP/1.1\r\nHost: localhost\r\n\r\n"
	for i, want := range []string{"[v1]", "[v1]"} {
		if err := c.WriteString(page); err != nil {
			t.Fatal(err)
		}
		r, err := c.ReadResponse()
		if err != nil || string(r.Body) != want {
			close(release)
			t.Fatalf("page %d: %v %q, want %q", i, err, r, want)
		}
	}
	close(release)
	if err := c.WriteString(page); err != nil {
		t.Fatal(err)
	}
	if r, err := c.ReadResponse(); err != nil || string(r.Body) != "[v2]" {
		t.Fatalf("after the update: %v %q, want [v2]\n%s", err, r, s.ErrorLog())
	}
}
