package limitconn_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice alike. The proxied
// locations reach a backend that answers only when the test releases it,
// so that their requests stay in progress as long as the test wants; the
// others serve a file (not "return", which answers in the rewrite phase,
// before limit_conn's preaccess).
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format st '$request_uri $status $limit_conn_status';
    access_log %%PREFIX%%/access.log st;
    limit_conn_zone $arg_k zone=one:1m;
    limit_conn_zone $arg_k zone=two:1m;
    limit_conn_zone $arg_a zone=za:1m;
    limit_conn_zone $arg_b zone=zb:1m;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        add_header X-Status $limit_conn_status always;
        location /one { limit_conn one 1; proxy_pass http://BACKEND; }
        location /s429 { limit_conn one 1; limit_conn_status 429; proxy_pass http://BACKEND; }
        location /two { limit_conn two 2; proxy_pass http://BACKEND; }
        location /dry { limit_conn one 1; limit_conn_dry_run on; limit_conn_log_level warn; proxy_pass http://BACKEND; }
        location /notice { limit_conn one 1; limit_conn_log_level notice; proxy_pass http://BACKEND; }
        location /multi { limit_conn za 1; limit_conn zb 1; proxy_pass http://BACKEND; }
        location /multiret { limit_conn za 1; limit_conn zb 1; alias ROOT/t; }
        location /inh { limit_conn one 1; location /inh/in { proxy_pass http://BACKEND; } }
        location /ep { limit_conn one 1; error_page 503 /err; proxy_pass http://BACKEND; }
        location /err { limit_conn one 1; alias ROOT/err; }
        location /ssi { alias ROOT/ssi.html; ssi on; default_type text/html; }
        location /ssihold { alias ROOT/hold.html; ssi on; default_type text/html; }
        location /sub { limit_conn one 1; alias ROOT/t; }
        location /ret { limit_conn one 1; alias ROOT/t; }
    }
}
`

// gate is the backend's release: each connection waits for the channel
// current when it was accepted.
type gate struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *gate) current() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}

// next closes the gate behind the connections it held and gives the
// following ones a new one.
func (g *gate) next() (release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := make(chan struct{})
	g.ch = ch
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// TestDifferential holds requests in progress on nginx and sluice alike
// (the backend answers when released) and compares what further requests
// get: statuses, bodies and $limit_conn_status while the limit is reached
// and once the held requests ended, then the answers of the held requests
// themselves, the error log lines and the access logs.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	var g gate
	g.next()()
	b := testutil.StartBackendFunc(t, func(int) testutil.Script {
		ch := g.current()
		return testutil.Script{
			testutil.ReadRequest(),
			testutil.Hold(ch),
			testutil.Write(testutil.HTTPResponse(200, "held\n")),
			testutil.Close(),
		}
	})
	root := t.TempDir()
	for name, text := range map[string]string{
		"ssi.html": `<!--#include virtual="/sub?k=ssi" wait="yes" --> <!--#echo var="limit_conn_status" default="none" -->|` +
			`<!--#include virtual="/sub?k=ssi" wait="yes" --> <!--#echo var="limit_conn_status" default="none" -->`,
		// the first include is counted; the second, proxied, keeps the
		// main request in progress
		"hold.html": `<!--#include virtual="/sub?k=ssihold" wait="yes" -->|<!--#include virtual="/one?k=ssihold-backend" -->`,
		"t":         "t body",
		"err":       "err body",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0644); err != nil {
			t.Fatal(err)
		}
	}
	conf := strings.NewReplacer("ROOT", root, "BACKEND", b.Addr()).Replace(diffConf)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, conf)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Status")
	cmp.CloseWait = -1
	sides := []string{n.Addr(0), s.Addr("0")}

	long := strings.Repeat("x", 300)
	cases := []struct {
		name string
		// held are sent one after the other on each side and stay in
		// progress; probes are sent meanwhile (they must not reach the
		// backend); after are sent once the held requests ended. %s is
		// the case's key.
		held, probes, after []string
	}{
		{name: "limit 1", held: []string{"/one?k=%s"}, probes: []string{"/one?k=%s", "/one?k=%s"}, after: []string{"/one?k=%s"}},
		{name: "other key", held: []string{"/one?k=%s"}, probes: []string{"/ret?k=%s-other"}},
		{name: "zone shared by locations", held: []string{"/one?k=%s"}, probes: []string{"/ret?k=%s", "/s429?k=%s"}, after: []string{"/ret?k=%s"}},
		{name: "status 429", held: []string{"/s429?k=%s"}, probes: []string{"/s429?k=%s"}},
		{name: "limit 2", held: []string{"/two?k=%s", "/two?k=%s"}, probes: []string{"/two?k=%s"}},
		{name: "dry run", held: []string{"/dry?k=%s", "/dry?k=%s", "/dry?k=%s"}},
		{name: "log level notice", held: []string{"/notice?k=%s"}, probes: []string{"/notice?k=%s"}},
		{name: "empty key", held: []string{"/one", "/one?k="}, probes: []string{"/ret", "/ret?k="}},
		{name: "key over 255 bytes", held: []string{"/one?k=" + long}, probes: []string{"/ret?k=" + long}},
		// a rejection by the second limit releases the first's count
		{name: "several limits", held: []string{"/multi?a=%s-x&b=%s-p"},
			probes: []string{"/multiret?a=%s-x&b=%s-q", "/multiret?a=%s-y&b=%s-p", "/multiret?a=%s-y&b=%s-p", "/multiret?a=%s-y&b=%s-q", "/multiret?a=" + long + "&b=%s-r"}},
		{name: "inherited", held: []string{"/inh/in?k=%s"}, probes: []string{"/inh/in?k=%s"}},
		// the redirected request is not counted again: it passes with the
		// main request's REJECTED
		{name: "error page", held: []string{"/ep?k=%s"}, probes: []string{"/ep?k=%s"}},
		// the first include is counted (and rejected), the second passes
		// with the main request's status
		{name: "subrequests rejected", held: []string{"/one?k=ssi"}, probes: []string{"/ssi"}},
		{name: "subrequests", probes: []string{"/ssi", "/ssi"}},
		// a subrequest's count is held until its main request ends
		{name: "subrequest count held by the main request", held: []string{"/ssihold"}, probes: []string{"/ret?k=ssihold"}, after: []string{"/ret?k=ssihold"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			uri := func(u string) string { return strings.ReplaceAll(u, "%s", key) }
			release := g.next()
			defer release()
			// hold, in order, so that which request passes is known
			var held [2][]*testutil.RawClient
			for i, addr := range sides {
				for _, u := range tc.held {
					want := len(b.Requests()) + 1
					c := testutil.Dial(t, addr)
					defer c.Close()
					c.WriteString("GET " + uri(u) + " HTTP/1.0\r\n\r\n")
					if !b.WaitRequests(want, testutil.DefaultTimeout) {
						t.Fatalf("%s: %s did not reach the backend", addr, uri(u))
					}
					held[i] = append(held[i], c)
				}
			}
			for _, u := range tc.probes {
				oracle.Compare(t, "GET "+uri(u)+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
			}
			release()
			for j := range tc.held {
				var res [2]oracle.Result
				for i := range sides {
					c := held[i][j]
					res[i].Addr = sides[i]
					res[i].Resp, res[i].Err = c.ReadResponse()
					// the request is freed (its counts released) before the
					// connection closes
					c.ReadUntilClose()
				}
				if d := cmp.Diff(res[0], res[1]); d != "" {
					t.Errorf("held %s:\n%s", uri(tc.held[j]), d)
				}
			}
			for _, u := range tc.after {
				oracle.Compare(t, "GET "+uri(u)+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
			}
		})
	}

	want, got := logLines(n.ErrorLog()), logLines(s.ErrorLog())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 10 {
		t.Errorf("nginx logged %d lines of limit_conn, the test expects more:\n%s", len(want), strings.Join(want, "\n"))
	}
	if a, b := accessLines(n.AccessLog()), accessLines(s.ReadFile("access.log")); a != b {
		t.Errorf("access logs differ\nsluice:\n%s\nnginx:\n%s", b, a)
	}
}

var limitLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: (?:\*\d+ )?((?:limiting connections|the value of ).*)`)

// logLines are the error log's lines of limit_conn, level and message,
// sorted: the order of two sides' lines of one case is the order of
// their requests, which the test fixes, but sorting keeps a diff readable.
func logLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := limitLine.FindStringSubmatch(l); m != nil {
			out = append(out, "["+m[1]+"] "+m[2])
		}
	}
	return out
}

func accessLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
