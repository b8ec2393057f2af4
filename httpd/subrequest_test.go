package httpd_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

// subTestModule answers with its arguments in order: "sub:/uri?args"
// runs a subrequest, "mem:/uri" an in-memory one whose status and body it
// prints as "[status:body]", "post:/uri" a subrequest whose post handler
// prints the statuses it saw as "<rc,rc>", anything else is literal text.
var subTestModule = &httpd.Module{
	Name: "subtest",
	Directives: []conf.Directive{{
		Name: "sub_test", Context: conf.HTTPLoc, Args: conf.OneMore,
		Set: func(c *conf.Cmd) error {
			parts := append([]string(nil), c.Args...)
			httpd.CoreLocOf(c).Handler = func(r *httpd.Request) httpd.Status { return subTestHandler(r, parts) }
			return nil
		},
	}},
}

// What a "clone" part's subrequest saw of itself; when cloneStarted is
// set, the clone closes it and waits for cloneGate.
var (
	cloneMu      sync.Mutex
	cloneSeen    string
	cloneStarted chan struct{}
	cloneGate    chan struct{}
)

func subTestHandler(r *httpd.Request, parts []string) httpd.Status {
	if r.Background() {
		// a "clone" part's subrequest: it tells the test what it is and
		// waits for it; a background subrequest is header only, and what
		// it writes all the same does not reach the client
		cloneMu.Lock()
		cloneSeen = fmt.Sprintf("%s %s?%s %v", r.Method, r.URI, r.Args, r.HeaderOnly)
		started, gate := cloneStarted, cloneGate
		cloneMu.Unlock()
		if started != nil {
			close(started)
			<-gate
		}
		r.Out.Status = 200
		r.SendHeader()
		c := httpd.Chain{Last: true}
		c.AppendString("clone output")
		return r.Output(&c)
	}
	r.Out.Status = 200
	r.Out.ContentType, r.Out.ContentTypeLen = "text/plain", len("text/plain")
	if rc := r.SendHeader(); rc != httpd.OK || r.HeaderOnly {
		return rc
	}
	out := func(s string) httpd.Status {
		var c httpd.Chain
		c.AppendString(s)
		return r.Output(&c)
	}
	for _, p := range parts {
		kind, target, _ := strings.Cut(p, ":")
		uri, args, _ := strings.Cut(target, "?")
		var rc httpd.Status
		switch kind {
		case "sub":
			_, rc = r.Subrequest(uri, args, 0, nil)
		case "mem":
			var sr *httpd.Request
			sr, rc = r.Subrequest(uri, args, httpd.SubrequestInMemory, nil)
			if rc == httpd.OK {
				body, _ := sr.SubrequestOutput()
				rc = out(fmt.Sprintf("[%d:%s]", sr.Out.Status, body))
			}
		case "bg":
			// nothing of a background subrequest shows
			_, rc = r.Subrequest(uri, args, httpd.SubrequestBackground, nil)
		case "clone":
			_, rc = r.Subrequest("/ignored", "", httpd.SubrequestBackground|httpd.SubrequestClone, nil)
		case "post":
			var seen []string
			_, rc = r.Subrequest(uri, args, httpd.SubrequestWaited, func(sr *httpd.Request, rc httpd.Status) httpd.Status {
				seen = append(seen, fmt.Sprint(int(rc)))
				return rc
			})
			if rc == httpd.OK {
				rc = out("<" + strings.Join(seen, ",") + ">")
			}
		default:
			rc = out(p)
		}
		if rc != httpd.OK {
			if r.Failed() {
				return httpd.Error
			}
			out("E")
		}
	}
	c := httpd.Chain{Last: true}
	return r.Output(&c)
}

const subConf = `
events {}
http {
    log_format sub "$uri $status $request_uri";
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        location /order { sub_test "A" "sub:/a" "B" "sub:/b?x=1" "C"; }
        location /nested { sub_test "<" "sub:/order" ">"; }
        location /mem { sub_test "A" "mem:/a" "B" "mem:/missing" "C" "mem:/empty" "D"; }
        location /membig { sub_test "mem:/big" "B"; }
        location /memnested { sub_test "mem:/nestmem"; }
        location /nestmem { sub_test "x" "mem:/a"; }
        location /loop { sub_test "L" "sub:/loop"; }
        location /vars { sub_test "sub:/setx" "sub:/getx" "sub:/uri?q=1"; }
        location /post { sub_test "post:/a" "post:/missing" "post:/redirected"; }
        location /missing404 { sub_test "A" "sub:/missing" "B"; }
        location /inner { sub_test "sub:/internal-only"; }
        location /bg { sub_test "A" "bg:/a" "B" "bg:/missing" "C"; }
        location /clone { sub_test "A" "clone" "B"; }
        location /logged {
            log_subrequest on;
            access_log %%PREFIX%%/access.log sub;
            sub_test "sub:/logged/a" "sub:/logged/b?x=2" "sub:/a";
            location /logged/a { return 200 "a"; }
            location /logged/b { log_subrequest off; return 200 "b"; }
        }
        location = /a { return 200 "a"; }
        location = /b { return 200 "b$arg_x"; }
        location = /big { subrequest_output_buffer_size 4; return 200 "0123456789"; }
        location = /empty { return 200 ""; }
        location = /setx { set $shared "S"; return 200 "set"; }
        location = /getx { return 200 "[$shared]"; }
        location = /uri { return 200 "[$uri|$args|$request_uri|$request_method]"; }
        location = /redirected { error_page 404 = /a; return 404; }
        location = /internal-only { internal; return 200 "internal"; }
    }
}
`

func startSub(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.StartModules(t, subConf, modules.AllWith(subTestModule))
}

func TestSubrequestOutput(t *testing.T) {
	s := startSub(t)
	tests := []struct {
		name, req string
		// parts must appear in the body in this order
		parts []string
	}{
		{"document order", "GET /order HTTP/1.1\r\nHost: a\r\n\r\n", []string{"AaBb1C"}},
		{"nested", "GET /nested HTTP/1.1\r\nHost: a\r\n\r\n", []string{"<AaBb1C>"}},
		{"http/1.0 no chunks", "GET /order HTTP/1.0\r\n\r\n", []string{"AaBb1C"}},
		{"in memory", "GET /mem HTTP/1.1\r\nHost: a\r\n\r\n", []string{"A[200:a]B[404:<html>", "404 Not Found", "]C[200:]D"}},
		{"nested in memory refused", "GET /memnested HTTP/1.1\r\nHost: a\r\n\r\n", []string{"[200:xE]"}},
		{"shared variables", "GET /vars?main=1 HTTP/1.1\r\nHost: a\r\n\r\n", []string{"set[S][/uri|q=1|/vars?main=1|GET]"}},
		{"post handler", "GET /post HTTP/1.1\r\nHost: a\r\n\r\n", []string{"a<0><html>", "404 Not Found", "<404,0>a<404,0>"}},
		{"error page in subrequest", "GET /missing404 HTTP/1.1\r\nHost: a\r\n\r\n", []string{"A<html>", "404 Not Found", "</html>\r\nB"}},
		{"internal location", "GET /inner HTTP/1.1\r\nHost: a\r\n\r\n", []string{"internal"}},
		// a background subrequest's response, error page too, is dropped
		{"background", "GET /bg HTTP/1.1\r\nHost: a\r\n\r\n", []string{"ABC"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), tc.req)
			if r.StatusCode != 200 || !r.Complete {
				t.Fatalf("response:\n%s", r)
			}
			rest := string(r.Body)
			for _, p := range tc.parts {
				i := strings.Index(rest, p)
				if i < 0 {
					t.Fatalf("body %q lacks %q (in order %q)", r.Body, p, tc.parts)
				}
				rest = rest[i+len(p):]
			}
			if r.Has("Content-Length") {
				t.Errorf("a Content-Length with subrequests:\n%s", r)
			}
		})
	}
}

// TestSubrequestBackground checks a background clone subrequest: it
// runs once the main response is complete (the client has all of it on a
// keep-alive connection while the clone still runs), the connection's next
// request waits for it, nothing it writes reaches the client, and it is the
// request again: the same method, URI and arguments, header only.
func TestSubrequestBackground(t *testing.T) {
	s := startSub(t)
	started, gate := make(chan struct{}), make(chan struct{})
	cloneMu.Lock()
	cloneSeen, cloneStarted, cloneGate = "", started, gate
	cloneMu.Unlock()
	defer func() {
		cloneMu.Lock()
		cloneStarted, cloneGate = nil, nil
		cloneMu.Unlock()
	}()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("PUT /clone?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadResponse()
	if err != nil || string(r.Body) != "AB" {
		close(gate)
		t.Fatalf("main response: %v %q, want \"AB\"", err, r)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		close(gate)
		t.Fatal("the background clone did not run")
	}
	close(gate)
	if err := c.WriteString("GET /order HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.ReadResponse(); err != nil || string(r.Body) != "AaBb1C" {
		t.Fatalf("next request: %v %q", err, r)
	}
	cloneMu.Lock()
	seen := cloneSeen
	cloneMu.Unlock()
	if seen != "PUT /clone?q=1 true" {
		t.Errorf("the clone was %q, want \"PUT /clone?q=1 true\"", seen)
	}
}

func TestSubrequestEmptyAndBig(t *testing.T) {
	s := startSub(t)
	r := testutil.RoundTrip(t, s.Addr("A"), "GET /mem HTTP/1.0\r\n\r\n")
	if !strings.Contains(string(r.Body), "C[200:]D") {
		t.Errorf("empty in-memory body: %q", r.Body)
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("GET /membig HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	data, err := c.ReadUntilClose()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 0 {
		t.Errorf("a too big in-memory subrequest sent %q, want the connection closed with nothing", data)
	}
	if !strings.Contains(s.ErrorLog(), `[error]`) || !strings.Contains(s.ErrorLog(), `too big subrequest response: 10`) {
		t.Errorf("error log lacks the too big line:\n%s", s.ErrorLog())
	}
	if !strings.Contains(s.ErrorLog(), `subrequest: "/big"`) {
		t.Errorf("error log line lacks the subrequest context:\n%s", s.ErrorLog())
	}
}

func TestSubrequestCycle(t *testing.T) {
	s := startSub(t)
	r := testutil.RoundTrip(t, s.Addr("A"), "GET /loop HTTP/1.0\r\n\r\n")
	// the main request and 51 nested subrequests print L, the last one's
	// attempt fails
	if want := strings.Repeat("L", 52) + strings.Repeat("E", 1); !strings.HasPrefix(string(r.Body), want) {
		t.Errorf("body %q, want %q first", r.Body, want)
	}
	if !strings.Contains(s.ErrorLog(), `subrequests cycle while processing "/loop"`) {
		t.Errorf("error log lacks the cycle line:\n%s", s.ErrorLog())
	}
}

func TestSubrequestHead(t *testing.T) {
	s := startSub(t)
	r := testutil.RoundTrip(t, s.Addr("A"), "HEAD /order HTTP/1.0\r\n\r\n")
	if r.StatusCode != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD answered:\n%s", r)
	}
}

func TestLogSubrequest(t *testing.T) {
	s := startSub(t)
	testutil.RoundTrip(t, s.Addr("A"), "GET /logged?q HTTP/1.0\r\n\r\n")
	data, err := os.ReadFile(s.Prefix() + "access.log")
	if err != nil {
		t.Fatal(err)
	}
	// /logged/b turns log_subrequest off, /a logs nowhere (access_log off)
	want := "/logged/a 200 /logged?q\n/logged 200 /logged?q\n"
	if string(data) != want {
		t.Errorf("access log:\n%s\nwant:\n%s", data, want)
	}
}
