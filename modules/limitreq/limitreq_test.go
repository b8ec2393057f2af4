package limitreq_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// docroot returns a directory with the files the tests serve.
func docroot(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"t", "error.html"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f+" body"), 0644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// limitConf has a zone of 1 request per minute (slow, slow2), one of 10
// per second (fast) and one of the smallest size (small), all keyed by
// the "k" argument; every location serves /t.
const limitConf = `
events {}
http {
    error_log %%PREFIX%%/error.log info;
    log_format st '$request_uri $status $limit_req_status';
    access_log %%PREFIX%%/access.log st;
    limit_req_zone $arg_k zone=slow:1m rate=1r/m;
    limit_req_zone $arg_k zone=slow2:1m rate=1r/m;
    limit_req_zone $arg_k zone=fast:1m rate=10r/s;
    limit_req_zone $arg_k zone=small:32k rate=1r/m;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root ROOT;
        add_header X-Status $limit_req_status always;
        limit_req zone=slow;
        location /inherit { alias ROOT/t; }
        location /own { alias ROOT/t; limit_req zone=slow2 burst=5 nodelay; }
        location /plain { alias ROOT/t; limit_req zone=slow2; }
        location /nodelay { alias ROOT/t; limit_req zone=slow2 burst=1 nodelay; }
        location /status { alias ROOT/t; limit_req zone=slow2; limit_req_status 429; }
        location /dry { alias ROOT/t; limit_req zone=slow2 burst=1; limit_req_dry_run on; limit_req_log_level warn; }
        location /both { alias ROOT/t; limit_req zone=slow2 burst=5 nodelay; limit_req zone=fast burst=5 nodelay; limit_req zone=slow; }
        location /first { alias ROOT/t; limit_req zone=slow; limit_req zone=slow2 burst=5 nodelay; }
        location /ep { alias ROOT/t; limit_req zone=slow2; error_page 503 /error.html?k=$arg_k; }
        location = /error.html { limit_req zone=slow2; }
        location /none { alias ROOT/t; limit_req_dry_run on; limit_req zone=slow2 burst=1 nodelay; }
        location /fast { alias ROOT/t; limit_req zone=fast burst=5; }
        location /hold { alias ROOT/t; limit_req zone=slow2 burst=5; limit_req_log_level info; }
        location /small { alias ROOT/t; limit_req zone=small burst=5 nodelay; }
        location /nolimit { alias ROOT/t; limit_req zone=slow2 burst=5 nodelay; }
    }
}
`

func startLimit(t *testing.T) *servertest.Server {
	return servertest.Start(t, strings.ReplaceAll(limitConf, "ROOT", docroot(t)))
}

// get sends one request on c and returns its status and X-Status.
func get(t *testing.T, c *testutil.RawClient, uri string) (int, string) {
	t.Helper()
	if err := c.WriteString("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	st := resp.Get("X-Status")
	if st == "" && !resp.Has("X-Status") {
		st = "(none)"
	}
	return resp.StatusCode, st
}

// want is one answer of a sequence: status and $limit_req_status.
type want struct {
	status int
	var_   string
}

// TestLimits sends request sequences and checks each answer. The zones
// allow 1 request per minute, so whether a request passes does not depend
// on timing; each case has its own key.
func TestLimits(t *testing.T) {
	s := startLimit(t)
	cases := []struct {
		name  string
		uris  []string // %s is the case's key
		wants []want
	}{
		{"no burst rejects the second", []string{"/plain?k=%s", "/plain?k=%s"},
			[]want{{200, "PASSED"}, {503, "REJECTED"}}},
		{"nodelay passes the burst at once", []string{"/nodelay?k=%s", "/nodelay?k=%s", "/nodelay?k=%s"},
			[]want{{200, "PASSED"}, {200, "PASSED"}, {503, "REJECTED"}}},
		{"limit_req_status", []string{"/status?k=%s", "/status?k=%s"},
			[]want{{200, "PASSED"}, {429, "REJECTED"}}},
		{"dry run", []string{"/dry?k=%s", "/dry?k=%s", "/dry?k=%s"},
			[]want{{200, "PASSED"}, {200, "DELAYED_DRY_RUN"}, {200, "REJECTED_DRY_RUN"}}},
		{"an empty key is not limited", []string{"/plain", "/plain", "/plain"},
			[]want{{200, "(none)"}, {200, "(none)"}, {200, "(none)"}}},
		{"a level without limit_req inherits", []string{"/inherit?k=%s", "/inherit?k=%s"},
			[]want{{200, "PASSED"}, {503, "REJECTED"}}},
		{"a level with limit_req does not inherit", []string{"/own?k=%s", "/own?k=%s", "/own?k=%s"},
			[]want{{200, "PASSED"}, {200, "PASSED"}, {200, "PASSED"}}},
		{"every limit applies", []string{"/both?k=%s", "/both?k=%s"},
			[]want{{200, "PASSED"}, {503, "REJECTED"}}},
		{"the first limit rejects", []string{"/first?k=%s", "/first?k=%s", "/nolimit?k=%s"},
			// slow2 was not reached: one request in it so far
			[]want{{200, "PASSED"}, {503, "REJECTED"}, {200, "PASSED"}}},
		{"an error page is not limited again", []string{"/ep?k=%s", "/ep?k=%s"},
			[]want{{200, "PASSED"}, {503, "REJECTED"}}},
		{"dry run with nodelay", []string{"/none?k=%s", "/none?k=%s", "/none?k=%s"},
			[]want{{200, "PASSED"}, {200, "PASSED"}, {200, "REJECTED_DRY_RUN"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("0"))
			defer c.Close()
			key := strings.ReplaceAll(tc.name, " ", "-")
			for i, u := range tc.uris {
				uri := u
				if strings.Contains(u, "%s") {
					uri = fmt.Sprintf(u, key)
				}
				st, v := get(t, c, uri)
				if st != tc.wants[i].status || v != tc.wants[i].var_ {
					t.Errorf("request %d %s: %d %s, want %d %s", i, uri, st, v, tc.wants[i].status, tc.wants[i].var_)
				}
			}
		})
	}
	t.Run("error page body", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("0"))
		defer c.Close()
		get(t, c, "/ep?k=body")
		c.WriteString("GET /ep?k=body HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := c.ReadResponse()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || string(resp.Body) != "error.html body" {
			t.Errorf("%d %q, want 503 with error.html's body", resp.StatusCode, resp.Body)
		}
	})

	log := s.ErrorLog()
	for _, re := range []string{
		// the default level: rejections at error
		`\[error\] \d+#\d+: \*\d+ limiting requests, excess: (0\.9\d\d|1\.000) by zone "slow2", client: 127\.0\.0\.1, server: , request: "GET /plain\?k=no-burst-rejects-the-second HTTP/1\.1", host: "localhost"`,
		`\[error\] .* limiting requests, excess: (0\.9\d\d|1\.000) by zone "slow", client: .*"GET /both\?k=every-limit-applies `,
		// limit_req_log_level warn: delays one level lower
		`\[notice\] .* delaying request, dry run, excess: (0\.9\d\d|1\.000), by zone "slow2", client: .*"GET /dry\?k=dry-run `,
		`\[warn\] .* limiting requests, dry run, excess: (1\.9\d\d|2\.000) by zone "slow2", client: .*"GET /dry\?k=dry-run `,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("error log lacks %s:\n%s", re, log)
		}
	}
	if strings.Contains(log, "limiting requests") && strings.Contains(log, "error.html") {
		t.Errorf("the error page was limited:\n%s", log)
	}
	// a request's line is written once it ends, which may be after the
	// client read its response
	for _, line := range []string{
		"/plain?k=no-burst-rejects-the-second 503 REJECTED\n",
		"/plain 200 -\n",
		"/ep?k=an-error-page-is-not-limited-again 503 REJECTED\n",
	} {
		s.WaitFile(t, "access.log", line)
	}
}

// TestDelay: requests over the delay wait for the rate to leak their
// excess, on their own connection; other connections are served
// meanwhile; a client that leaves during the wait ends its request with
// 499.
func TestDelay(t *testing.T) {
	testutil.CheckLeaks(t)
	s := startLimit(t)

	t.Run("excess delayed by the rate", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("0"))
		defer c.Close()
		start := time.Now()
		if st, v := get(t, c, "/fast?k=d"); st != 200 || v != "PASSED" {
			t.Fatalf("first: %d %s", st, v)
		}
		st, v := get(t, c, "/fast?k=d")
		// 10r/s: the second waits until 100 ms after the first
		if d := time.Since(start); st != 200 || v != "DELAYED" || d < 99*time.Millisecond {
			t.Errorf("second: %d %s after %v, want 200 DELAYED 100ms after the first", st, v, d)
		}
		if !regexp.MustCompile(`\[warn\] .* delaying request, excess: (0\.\d{3}|1\.000), by zone "fast", client: .*"GET /fast\?k=d `).MatchString(s.ErrorLog()) {
			t.Errorf("no delay line at warn:\n%s", s.ErrorLog())
		}
	})

	t.Run("others served during a delay, client leaves", func(t *testing.T) {
		held := testutil.Dial(t, s.Addr("0"))
		defer held.Close()
		if st, _ := get(t, held, "/hold?k=h"); st != 200 {
			t.Fatalf("first: %d", st)
		}
		// 1r/m: this one waits a minute
		if err := held.WriteString("GET /hold?k=h HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		// limit_req_log_level info: the delay too is at info
		waitLog(t, s, `\[info\] .* delaying request, excess: (0\.9\d\d|1\.000), by zone "slow2", client: .*"GET /hold\?k=h `)
		c := testutil.Dial(t, s.Addr("0"))
		if st, v := get(t, c, "/hold?k=other"); st != 200 || v != "PASSED" {
			t.Errorf("another client during the delay: %d %s", st, v)
		}
		c.Close()
		held.Close()
		waitLog(t, s, "client prematurely closed connection")
		s.WaitFile(t, "access.log", "/hold?k=h 499 DELAYED\n")
		if !regexp.MustCompile(`\[info\] \d+#\d+: \*\d+ client prematurely closed connection, client: 127\.0\.0\.1, server: , request: "GET /hold\?k=h HTTP/1\.1", host: "localhost"`).MatchString(s.ErrorLog()) {
			t.Errorf("error log:\n%s", s.ErrorLog())
		}
	})

	t.Run("client shuts down its side", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("0"))
		defer c.Close()
		get(t, c, "/hold?k=half")
		if err := c.WriteString("GET /hold?k=half HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		waitLog(t, s, `delaying request, excess: .*, by zone "slow2", client: 127\.0\.0\.1, server: , request: "GET /hold\?k=half `)
		c.CloseWrite()
		if closed, extra, _ := c.WaitClosed(5 * time.Second); !closed || len(extra) != 0 {
			t.Errorf("closed %v, extra %q: want closed without an answer", closed, extra)
		}
		s.WaitFile(t, "access.log", "/hold?k=half 499 DELAYED\n")
	})
}

// TestZoneBound: a zone of 32 KiB keeps 191 keys; a new key evicts the
// least recently used one, and a key too large for what eviction frees is
// rejected with nginx's alert.
func TestZoneBound(t *testing.T) {
	s := startLimit(t)
	c := testutil.Dial(t, s.Addr("0"))
	defer c.Close()
	// 001 and 190 use up their burst of 5
	for i := range 191 {
		n := 1
		if i == 1 || i == 190 {
			n = 6
		}
		for range n {
			if st, _ := get(t, c, fmt.Sprintf("/small?k=%03d", i)); st != 200 {
				t.Fatalf("key %d: %d", i, st)
			}
		}
	}
	// 000 is used again: 001 is the oldest, and goes for the new key
	if st, v := get(t, c, "/small?k=000"); st != 200 || v != "PASSED" {
		t.Fatalf("000 again: %d %s", st, v)
	}
	get(t, c, "/small?k=new")
	if st, v := get(t, c, "/small?k=001"); st != 200 || v != "PASSED" {
		t.Errorf("001 after its eviction: %d %s, want 200 PASSED (a new state)", st, v)
	}
	if st, v := get(t, c, "/small?k=190"); st != 503 || v != "REJECTED" {
		t.Errorf("190, recently used: %d %s, want 503 REJECTED (its state kept)", st, v)
	}
	if strings.Contains(s.ErrorLog(), "could not allocate") {
		t.Fatalf("alert before the zone was full:\n%s", s.ErrorLog())
	}
	long := strings.Repeat("x", 200)
	if st, v := get(t, c, "/small?k="+long); st != 503 || v != "REJECTED" {
		t.Errorf("a key larger than the oldest: %d %s, want 503 REJECTED", st, v)
	}
	if !regexp.MustCompile(`\[alert\] \d+#\d+: could not allocate node in limit_req zone "small"\n`).MatchString(s.ErrorLog()) {
		t.Errorf("no alert:\n%s", s.ErrorLog())
	}
	if strings.Contains(s.ErrorLog(), "limiting requests, excess: 0.000") {
		t.Errorf("the allocation failure was logged as a limit:\n%s", s.ErrorLog())
	}
}

// TestReload: a zone declared again with the same name and size keeps its
// state; with another size it starts afresh; with another key the reload
// fails as nginx's does.
func TestReload(t *testing.T) {
	root := docroot(t)
	conf := func(zone string) string {
		return strings.ReplaceAll(`
events {}
http {
    access_log off;
    `+zone+`
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { root ROOT; limit_req zone=one; }
    }
}`, "ROOT", root)
	}
	s := servertest.Start(t, conf("limit_req_zone $arg_k zone=one:1m rate=1r/m;"))
	status := func(uri string) int {
		t.Helper()
		return testutil.RoundTrip(t, s.Addr("0"), "GET /t"+uri+" HTTP/1.0\r\n\r\n").StatusCode
	}
	if st := status("?k=a"); st != 200 {
		t.Fatalf("first: %d", st)
	}
	s.Reload(conf("limit_req_zone $arg_k zone=one:1m rate=1r/m;"))
	if st := status("?k=a"); st != 503 {
		t.Errorf("same zone after a reload: %d, want 503 (state kept)", st)
	}
	err := s.TryReload(conf("limit_req_zone $arg_j zone=one:1m rate=1r/m;"))
	if want := `limit_req "one" uses the "$arg_j" key while previously it used the "$arg_k" key`; err == nil || err.Error() != want {
		t.Errorf("reload with another key: %v, want %q", err, want)
	}
	s.Reload(conf("limit_req_zone $arg_k zone=one:2m rate=1r/m;"))
	if st := status("?k=a"); st != 200 {
		t.Errorf("zone of another size: %d, want 200 (a new zone)", st)
	}
}

// waitLog waits until the error log matches re.
func waitLog(t *testing.T, s *servertest.Server, re string) {
	t.Helper()
	s.WaitFileMatch(t, "error.log", re)
}
