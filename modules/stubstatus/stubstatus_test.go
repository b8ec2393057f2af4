package stubstatus_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// The counters are the process's: the tests of this package run one after
// the other and look at changes from a baseline taken when no connection
// of theirs is open.

const conf = `
events {}
http {
    access_log off;
    keepalive_timeout KEEPALIVE;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root ROOT;
        add_header X-Active $connections_active;
        add_header X-Reading $connections_reading;
        add_header X-Writing $connections_writing;
        add_header X-Waiting $connections_waiting;
        location / { }
        location /stub { stub_status; }
        location /compat { stub_status on; }
        location /held { proxy_pass http://BACKEND; }
    }
}
`

// page is the stub_status page's numbers.
type page struct {
	Active, Accepts, Handled, Requests, Reading, Writing, Waiting int64
}

var pageRe = regexp.MustCompile(`^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$`)

func parsePage(t *testing.T, body []byte) page {
	t.Helper()
	m := pageRe.FindSubmatch(body)
	if m == nil {
		t.Fatalf("not a stub_status page: %q", body)
	}
	var v [7]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(string(m[i+1]), 10, 64)
	}
	return page{v[0], v[1], v[2], v[3], v[4], v[5], v[6]}
}

// fetch gets the page on a new connection (which counts itself: active,
// writing, one more accepted and one more request).
func fetch(t *testing.T, addr string) page {
	t.Helper()
	r := testutil.RoundTrip(t, addr, "GET /stub HTTP/1.0\r\nHost: localhost\r\n\r\n")
	if r.StatusCode != 200 {
		t.Fatalf("stub_status: %d", r.StatusCode)
	}
	return parsePage(t, r.Body)
}

// waitStats waits until the counters satisfy cond: the server notices a
// client's close, or goes from writing a response to waiting, on its own
// goroutine.
func waitStats(t *testing.T, what string, cond func(httpd.Stats) bool) httpd.Stats {
	t.Helper()
	deadline := time.Now().Add(testutil.DefaultTimeout)
	for {
		s := httpd.ReadStats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: counters %+v", what, s)
		}
		time.Sleep(time.Millisecond)
	}
}

func startServer(t *testing.T, keepalive string, b *testutil.Backend) *servertest.Server {
	backend := "127.0.0.1:1"
	if b != nil {
		backend = b.Addr()
	}
	return servertest.Start(t, strings.NewReplacer("ROOT", docroot(t), "KEEPALIVE", keepalive, "BACKEND", backend).Replace(conf))
}

func docroot(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("index\n"), 0644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// idle opens n keepalive connections that each made one request.
func idle(t *testing.T, addr string, n int) []*testutil.RawClient {
	t.Helper()
	var cs []*testutil.RawClient
	for range n {
		c := testutil.Dial(t, addr)
		t.Cleanup(func() { c.Close() })
		c.WriteString("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		if _, err := c.ReadResponse(); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// TestPage: nginx's text and headers, HEAD, other methods, the optional
// argument, the variables.
func TestPage(t *testing.T) {
	s := startServer(t, "75s", nil)
	addr := s.Addr("0")
	r := testutil.RoundTrip(t, addr, "GET /stub HTTP/1.0\r\nHost: localhost\r\n\r\n")
	p := parsePage(t, r.Body)
	if r.Get("Content-Type") != "text/plain" || r.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
		t.Errorf("headers: %s", r.Head)
	}
	if p.Accepts != p.Handled || p.Active < 1 || p.Writing < 1 || p.Requests < 1 {
		t.Errorf("counters: %+v", p)
	}
	// the variables, read while the same request is being answered
	for name, v := range map[string]int64{"X-Active": p.Active, "X-Reading": p.Reading, "X-Writing": p.Writing, "X-Waiting": p.Waiting} {
		if got := r.Get(name); got != strconv.FormatInt(v, 10) {
			t.Errorf("%s: %q, page says %d", name, got, v)
		}
	}
	cases := []struct {
		name, req string
		status    int
		body      bool
	}{
		{"HEAD", "HEAD /stub HTTP/1.0\r\n\r\n", 200, false},
		{"POST", "POST /stub HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 405, true},
		{"argument", "GET /compat HTTP/1.0\r\n\r\n", 200, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, addr)
			defer c.Close()
			c.WriteString(tc.req)
			var r *testutil.Response
			var err error
			if tc.body {
				r, err = c.ReadResponse()
			} else {
				r, err = c.ReadHeadResponse()
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tc.status {
				t.Errorf("status %d, want %d", r.StatusCode, tc.status)
			}
			if tc.status == 200 && tc.body {
				parsePage(t, r.Body)
			}
			if !tc.body {
				if rest, _ := c.ReadUntilClose(); len(rest) != 0 {
					t.Errorf("HEAD answered with a body: %q", rest)
				}
			}
		})
	}
}

// TestCounters puts the server in known states and checks each counter's
// change: idle keepalive connections (on their goroutine and parked) are
// waiting, a connection that sent part of a head is reading, a request
// whose backend has not answered is writing, a new connection that sent
// nothing is waiting; pipelined requests count one each; closed and
// timed-out connections leave every count.
func TestCounters(t *testing.T) {
	var release = make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Hold(release),
		testutil.Write(testutil.HTTPResponse(200, "held\n")),
		testutil.Close(),
	})
	s := startServer(t, "75s", b)
	addr := s.Addr("0")
	base := waitStats(t, "other tests' connections gone", func(s httpd.Stats) bool { return s.Active == 0 })

	t.Run("idle keepalive", func(t *testing.T) {
		cs := idle(t, addr, 3)
		waitStats(t, "3 waiting", func(s httpd.Stats) bool { return s.Waiting == base.Waiting+3 })
		p := fetch(t, addr)
		want := page{Active: 4, Accepts: base.Accepted + 4, Handled: base.Handled + 4, Requests: base.Requests + 4, Reading: 0, Writing: 1, Waiting: 3}
		if p != want {
			t.Errorf("page %+v, want %+v", p, want)
		}
		// parked in the epoll set, they still wait
		deadline := time.Now().Add(testutil.DefaultTimeout)
		for httpd.Parked() < 3 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if p := fetch(t, addr); p.Waiting != 3 || p.Active != 4 {
			t.Errorf("parked: %+v, want 3 waiting of 4 active", p)
		}
		// a parked connection's next request: reading, then writing, then waiting again
		cs[0].WriteString("GET /stub HTTP/1.1\r\nHost: localhost\r\n\r\n")
		r, err := cs[0].ReadResponse()
		if err != nil {
			t.Fatal(err)
		}
		if p := parsePage(t, r.Body); p.Waiting != 2 || p.Writing != 1 || p.Active != 3 {
			t.Errorf("resumed: %+v, want 2 waiting, 1 writing of 3 active", p)
		}
		for _, c := range cs {
			c.Close()
		}
		waitStats(t, "closed", func(s httpd.Stats) bool { return s.Active == 0 && s.Waiting == 0 })
	})

	t.Run("new connection", func(t *testing.T) {
		c := testutil.Dial(t, addr)
		defer c.Close()
		waitStats(t, "accepted", func(s httpd.Stats) bool { return s.Active == 1 })
		if p := fetch(t, addr); p.Waiting != 1 || p.Reading != 0 || p.Writing != 1 || p.Active != 2 {
			t.Errorf("page %+v, want 1 waiting, 1 writing of 2 active", p)
		}
		c.Close()
		waitStats(t, "closed", func(s httpd.Stats) bool { return s.Active == 0 && s.Waiting == 0 })
	})

	t.Run("reading", func(t *testing.T) {
		c := testutil.Dial(t, addr)
		defer c.Close()
		c.WriteString("GET / HTTP/1.1\r\n")
		waitStats(t, "reading", func(s httpd.Stats) bool { return s.Reading == 1 })
		if p := fetch(t, addr); p.Waiting != 0 || p.Reading != 1 || p.Writing != 1 || p.Active != 2 {
			t.Errorf("page %+v, want 1 reading, 1 writing of 2 active", p)
		}
		c.WriteString("Host: localhost\r\n\r\n")
		if _, err := c.ReadResponse(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		waitStats(t, "closed", func(s httpd.Stats) bool { return s.Active == 0 && s.Reading == 0 && s.Waiting == 0 })
	})

	t.Run("writing", func(t *testing.T) {
		before := httpd.ReadStats()
		c := testutil.Dial(t, addr)
		defer c.Close()
		c.WriteString("GET /held HTTP/1.0\r\n\r\n")
		if !b.WaitRequests(1, testutil.DefaultTimeout) {
			t.Fatal("the request did not reach the backend")
		}
		p := fetch(t, addr)
		want := page{Active: 2, Accepts: before.Accepted + 2, Handled: before.Handled + 2, Requests: before.Requests + 2, Writing: 2}
		if p != want {
			t.Errorf("page %+v, want %+v", p, want)
		}
		close(release)
		if _, err := c.ReadResponse(); err != nil {
			t.Fatal(err)
		}
		waitStats(t, "done", func(s httpd.Stats) bool { return s.Active == 0 && s.Writing == 0 })
	})

	t.Run("pipelined", func(t *testing.T) {
		before := httpd.ReadStats()
		c := testutil.Dial(t, addr)
		defer c.Close()
		c.WriteString("GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /stub HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		resps, _, err := c.ReadAll()
		if err != nil || len(resps) != 3 {
			t.Fatalf("%d responses, %v", len(resps), err)
		}
		p := parsePage(t, resps[2].Body)
		want := page{Active: 1, Accepts: before.Accepted + 1, Handled: before.Handled + 1, Requests: before.Requests + 3, Writing: 1}
		if p != want {
			t.Errorf("page %+v, want %+v", p, want)
		}
		// the server lingers (pipelined requests) until the client closes
		c.Close()
		waitStats(t, "closed", func(s httpd.Stats) bool { return s.Active == 0 })
	})
}

// TestKeepaliveTimeout: parked connections that time out leave the
// waiting and active counts.
func TestKeepaliveTimeout(t *testing.T) {
	s := startServer(t, "100ms", nil)
	waitStats(t, "other tests' connections gone", func(s httpd.Stats) bool { return s.Active == 0 })
	idle(t, s.Addr("0"), 2)
	waitStats(t, "2 waiting", func(s httpd.Stats) bool { return s.Waiting == 2 && s.Active == 2 })
	waitStats(t, "timed out", func(s httpd.Stats) bool { return s.Waiting == 0 && s.Active == 0 })
}

// TestDifferential: the same page shape and headers as nginx, and the same
// changes of the counters between two states on both: N idle keepalive
// connections are waiting, and the page's own request is writing.
func TestDifferential(t *testing.T) {
	dconf := strings.NewReplacer("ROOT", docroot(t), "KEEPALIVE", "75s", "BACKEND", "127.0.0.1:1").Replace(conf)
	n := oracle.Start(t, dconf)
	s := servertest.Start(t, dconf)
	digits := regexp.MustCompile(`\d+`)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Reading")
	cmp.NormalizeBody = func(b []byte) []byte { return digits.ReplaceAll(oracle.NormalizeServerTokens(b), []byte("N")) }
	for _, req := range []string{
		"GET /stub HTTP/1.0\r\n\r\n",
		"GET /stub HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"HEAD /stub HTTP/1.0\r\n\r\n",
		"POST /stub HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
		"PUT /compat HTTP/1.0\r\n\r\n",
		"GET /compat HTTP/1.0\r\n\r\n",
	} {
		c := cmp
		if strings.HasPrefix(req, "HEAD") {
			// no body to measure: the length depends on the numbers
			c.NoBody = true
			c.Normalize = maps.Clone(cmp.Normalize)
			c.Normalize["content-length"] = oracle.Present
		}
		oracle.Compare(t, req, n.Addr(0), s.Addr("0"), c)
	}

	const N = 3
	for _, side := range []struct{ name, addr string }{{"nginx", n.Addr(0)}, {"sluice", s.Addr("0")}} {
		t.Run(side.name, func(t *testing.T) {
			if side.name == "sluice" {
				// the comparisons' connections close on the server's
				// side too before the baseline is taken
				waitStats(t, "earlier connections gone", func(s httpd.Stats) bool { return s.Active == 0 })
			}
			before := fetch(t, side.addr)
			cs := idle(t, side.addr, N)
			// the server moves each connection to waiting once its
			// response is out
			var p page
			deadline := time.Now().Add(testutil.DefaultTimeout)
			for p = fetch(t, side.addr); p.Waiting != before.Waiting+N && time.Now().Before(deadline); p = fetch(t, side.addr) {
				time.Sleep(time.Millisecond)
			}
			got := fmt.Sprintf("active +%d, reading %d, writing %d, waiting +%d", p.Active-before.Active, p.Reading, p.Writing, p.Waiting-before.Waiting)
			if want := fmt.Sprintf("active +%d, reading 0, writing 1, waiting +%d", N, N); got != want {
				t.Errorf("%s: %s, want %s (before %+v, after %+v)", side.name, got, want, before, p)
			}
			if p.Accepts-before.Accepts < N+1 || p.Accepts != p.Handled || p.Requests-before.Requests < N+1 {
				t.Errorf("%s: before %+v, after %+v", side.name, before, p)
			}
			for _, c := range cs {
				c.Close()
			}
		})
	}
}
