package limitconn_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// heldBackend answers each request once the test releases the gate that
// was current when the request's connection was accepted.
func heldBackend(t *testing.T, g *gate) *testutil.Backend {
	return testutil.StartBackendFunc(t, func(int) testutil.Script {
		ch := g.current()
		return testutil.Script{
			testutil.ReadRequest(),
			testutil.Hold(ch),
			testutil.Write(testutil.HTTPResponse(200, "held\n")),
			testutil.Close(),
		}
	})
}

// hold sends uri and waits until the backend has it: the request is
// counted and in progress.
func hold(t *testing.T, b *testutil.Backend, addr, uri string) *testutil.RawClient {
	t.Helper()
	want := len(b.Requests()) + 1
	c := testutil.Dial(t, addr)
	t.Cleanup(func() { c.Close() })
	c.WriteString("GET " + uri + " HTTP/1.0\r\n\r\n")
	if !b.WaitRequests(want, testutil.DefaultTimeout) {
		t.Fatalf("%s did not reach the backend", uri)
	}
	return c
}

// TestReload: a zone reloaded with the same name and size keeps its
// counts (a request in progress before the reload still counts); another
// key fails the reload with nginx's message; another size starts afresh.
func TestReload(t *testing.T) {
	var g gate
	defer g.next()()
	b := heldBackend(t, &g)
	conf := func(zone string) string {
		return strings.ReplaceAll(`
events {}
http {
    access_log off;
    `+zone+`
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { limit_conn one 1; proxy_pass http://BACKEND; }
    }
}`, "BACKEND", b.Addr())
	}
	s := servertest.Start(t, conf("limit_conn_zone $arg_k zone=one:1m;"))
	status := func(uri string) int {
		t.Helper()
		return testutil.RoundTrip(t, s.Addr("0"), "GET "+uri+" HTTP/1.0\r\n\r\n").StatusCode
	}
	g.next()
	hold(t, b, s.Addr("0"), "/?k=a")
	s.Reload(conf("limit_conn_zone $arg_k zone=one:1m;"))
	if st := status("/?k=a"); st != 503 {
		t.Errorf("same zone after a reload: %d, want 503 (count kept)", st)
	}
	err := s.TryReload(conf("limit_conn_zone $arg_j zone=one:1m;"))
	if want := `limit_conn_zone "one" uses the "$arg_j" key while previously it used the "$arg_k" key`; err == nil || err.Error() != want {
		t.Errorf("reload with another key: %v, want %q", err, want)
	}
	s.Reload(conf("limit_conn_zone $arg_k zone=one:2m;"))
	g.next()() // requests from now on are answered at once
	if st := status("/?k=a"); st != 200 {
		t.Errorf("zone of another size: %d, want 200 (a new zone)", st)
	}
}

// TestZoneFull: a new key that finds no room in the zone is rejected, and
// nginx's slab allocator's line is logged at crit, on nginx and sluice
// alike: 250-byte keys take 512-byte slots, on pages other than the
// zone's header's and its log string's, and a 32k zone has 5 pages left
// for them, 40 keys. Once the requests end their keys go.
func TestZoneFull(t *testing.T) {
	var g gate
	release := g.next()
	defer release()
	b := heldBackend(t, &g)
	conf := strings.ReplaceAll(`
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    limit_conn_zone $arg_k zone=small:32k;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        add_header X-Status $limit_conn_status always;
        location / { limit_conn small 1; limit_conn_status 429; proxy_pass http://BACKEND; }
    }
}`, "BACKEND", b.Addr())
	// the crit line
	n := oracle.StartWith(t, conf, oracle.Options{AllowAlerts: true})
	s := servertest.Start(t, conf)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Status")
	cmp.CloseWait = -1
	key := func(i int) string { return fmt.Sprintf("%03d%s", i, strings.Repeat("k", 247)) }
	var held []*testutil.RawClient
	for _, addr := range []string{n.Addr(0), s.Addr("0")} {
		for i := range 40 {
			held = append(held, hold(t, b, addr, "/?k="+key(i)))
		}
	}
	req := "GET /?k=" + key(40) + " HTTP/1.0\r\n\r\n"
	_, r := oracle.Compare(t, req, n.Addr(0), s.Addr("0"), cmp)
	if r.Resp == nil || r.Resp.StatusCode != 429 || r.Resp.Get("X-Status") != "REJECTED" {
		t.Errorf("key 41: %v, want 429 REJECTED", r.Resp)
	}
	crit := regexp.MustCompile(`\[crit\] \d+#\d+: ngx_slab_alloc\(\) failed: no memory in limit_conn_zone "small"\n`)
	for side, log := range map[string]string{"nginx": n.ErrorLog(), "sluice": s.ErrorLog()} {
		if !crit.MatchString(log) {
			t.Errorf("%s: no crit line:\n%s", side, log)
		}
		if strings.Contains(log, "limiting connections") {
			t.Errorf("%s: a full zone is logged as a limit:\n%s", side, log)
		}
	}
	release()
	// the requests are freed before their connections close
	for _, c := range held {
		c.ReadUntilClose()
	}
	if _, r := oracle.Compare(t, req, n.Addr(0), s.Addr("0"), cmp); r.Resp == nil || r.Resp.StatusCode != 200 {
		t.Errorf("key 41 after the release: %v, want 200", r.Resp)
	}
}
