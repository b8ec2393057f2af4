package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/faults"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// lifecycleConf is the configuration of the reload and stop scenarios:
// "/" answers with the configuration's generation, "/slow" and "/hold"
// are proxied to the Go backend. main is added at main level.
func lifecycleConf(gen int, backend, main string) string {
	return main + `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { return 200 "gen ` + strconv.Itoa(gen) + `\n"; }
        location /slow { proxy_pass http://` + backend + `; }
        location /hold { proxy_pass http://` + backend + `; }
    }
}
`
}

// loadDuration is how long a reload scenario keeps the load on: the
// FAULTS_LOAD_SECONDS environment variable, else def.
func loadDuration(t *testing.T, def time.Duration) time.Duration {
	if v := os.Getenv("FAULTS_LOAD_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FAULTS_LOAD_SECONDS=%q: want a positive number of seconds", v)
		}
		return time.Duration(n) * time.Second
	}
	return def
}

const loadWorkers = 8

// reloadScenario keeps loadWorkers keepalive clients busy on addr for dur
// (even workers on "/", odd ones on "/slow?ms=20" through the proxy) while
// reload(gen) installs generation 1, 2, 3 ... every second. It fails the
// test on any failed request, on a generation going backwards for a client
// (a request served by a configuration older than one the client already
// saw) or never configured, and if the last generation is not served in
// the end.
func reloadScenario(t *testing.T, addr string, dur time.Duration, reload func(gen int) error) faults.LoadResult {
	t.Helper()
	var cur atomic.Int64
	lastSeen := make([]int64, loadWorkers)
	load := &faults.Load{
		Addr:    addr,
		Workers: loadWorkers,
		Request: func(w, i int) string {
			if w%2 == 0 {
				return get("/")
			}
			return get("/slow?ms=20")
		},
		Check: func(w int, resp *testutil.Response) error {
			if resp.StatusCode != 200 || !resp.Complete {
				return fmt.Errorf("got %q (complete %v)", resp.StatusLine, resp.Complete)
			}
			body := string(resp.Body)
			if w%2 == 1 {
				if body != "slow\n" {
					return fmt.Errorf("body %q, want \"slow\\n\"", body)
				}
				return nil
			}
			var g int64
			if _, err := fmt.Sscanf(body, "gen %d\n", &g); err != nil {
				return fmt.Errorf("body %q is not \"gen N\"", body)
			}
			if g < lastSeen[w] {
				return fmt.Errorf("generation went back from %d to %d", lastSeen[w], g)
			}
			if g > cur.Load() {
				return fmt.Errorf("generation %d was never configured", g)
			}
			lastSeen[w] = g
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	done := make(chan faults.LoadResult, 1)
	go func() { done <- load.Run(ctx) }()
	tick := time.NewTicker(time.Second) // the reload schedule
	defer tick.Stop()
	var res faults.LoadResult
	reloads := 0
wait:
	for {
		select {
		case <-tick.C:
			g := cur.Add(1)
			if err := reload(int(g)); err != nil {
				t.Errorf("reload to generation %d: %v", g, err)
			}
			reloads++
		case res = <-done:
			break wait
		}
	}
	t.Logf("%v; %d reloads in %v", res, reloads, dur)
	if res.Failures > 0 {
		t.Errorf("%d requests failed during reloads:\n  %s", res.Failures, strings.Join(res.Errors, "\n  "))
	}
	if res.Requests < 100 {
		t.Errorf("only %d requests answered in %v: the load did not run", res.Requests, dur)
	}
	if min := int(dur/time.Second) - 1; reloads < min {
		t.Errorf("%d reloads, want at least %d", reloads, min)
	}
	want := fmt.Sprintf("gen %d\n", cur.Load())
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := testutil.RoundTrip(t, addr, "GET / HTTP/1.0\r\n\r\n")
		if string(resp.Body) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the last reload the server answers %q, want %q", resp.Body, want)
		}
		time.Sleep(20 * time.Millisecond) // polling for the last reload to take effect, bounded
	}
	return res
}

// quitOutcome is what clients saw while a server stopped gracefully.
type quitOutcome struct {
	// held are the answers to the requests in flight at the stop.
	held []string
	// idleClosed says an idle keepalive connection was closed.
	idleClosed bool
	// newConn is what a new connection met once the stop began: "refused",
	// or "accepted, never answered".
	newConn string
}

func (q quitOutcome) String() string {
	return fmt.Sprintf("in-flight answers %v; idle keepalive connection closed: %v; new connections: %s", q.held, q.idleClosed, q.newConn)
}

const heldRequests = 4

// quitScenario puts heldRequests requests in flight (held by the backend)
// and one idle keepalive connection on addr, then calls stop (which returns
// once the server is gone), and records what the clients see: whether new
// connections are refused, whether the idle connection is closed, and the
// answers to the held requests once the backend lets them go.
func quitScenario(t *testing.T, addr string, be *backend, stop func()) quitOutcome {
	t.Helper()
	var q quitOutcome
	var held []*testutil.RawClient
	for i := 0; i < heldRequests; i++ {
		c := testutil.Dial(t, addr)
		if err := c.WriteString(get("/hold")); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	idle := testutil.Dial(t, addr)
	if err := idle.WriteString(get("/")); err != nil {
		t.Fatal(err)
	}
	if resp, err := idle.ReadResponse(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("idle connection's first request: %v %v", resp, err)
	}
	be.waitHeld(t, heldRequests, 10*time.Second)

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		stop()
	}()

	q.newConn = probeNewConnections(addr, 5*time.Second)
	closed, _, _ := idle.WaitClosed(5 * time.Second)
	q.idleClosed = closed

	be.Release()
	for i, c := range held {
		resp, err := c.ReadResponse()
		switch {
		case err != nil:
			q.held = append(q.held, "error: "+err.Error())
		default:
			s := strconv.Itoa(resp.StatusCode) + " " + strconv.Quote(string(resp.Body))
			if !resp.Complete {
				s += " (incomplete)"
			}
			q.held = append(q.held, s)
		}
		_ = i
	}
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatalf("the server did not finish stopping within 15s of the held requests' release")
	}
	return q
}

// probeNewConnections dials addr until a connection is refused, or one is
// accepted and its request never answered; it returns which, or the last
// thing seen when neither happened within timeout. Connections caught in
// the switch (reset in the accept queue as the listener closed, or accepted
// just before and closed unanswered) are probed past.
func probeNewConnections(addr string, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	last := "still serving"
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				return "refused"
			}
			last = "connect error: " + err.Error()
			continue
		}
		c := testutil.NewRawClient(conn)
		c.Timeout = 300 * time.Millisecond
		werr := c.WriteString("GET / HTTP/1.0\r\n\r\n")
		resp, rerr := c.ReadResponse()
		c.Close()
		switch {
		case werr == nil && rerr == nil && resp != nil:
			last = "still serving"
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			return "accepted, never answered"
		default:
			last = "accepted, then closed without an answer"
		}
		time.Sleep(10 * time.Millisecond) // probing again shortly, bounded by deadline
	}
	return last
}

// checkQuit holds sluice's graceful stop to what the brief asks: requests
// in flight complete, new connections are refused, idle ones closed.
func checkQuit(t *testing.T, q quitOutcome) {
	t.Helper()
	t.Logf("%v", q)
	for i, h := range q.held {
		if h != `200 "held\n"` {
			t.Errorf("in-flight request %d: %s, want 200 \"held\\n\"", i, h)
		}
	}
	if q.newConn != "refused" {
		t.Errorf("new connections during the stop: %s, want refused", q.newConn)
	}
	if !q.idleClosed {
		t.Errorf("the idle keepalive connection was not closed by the stop")
	}
}

// TestReloadUnderLoad reloads an in-process sluice every second (as HUP
// does) under keepalive load: no request fails, and every client sees the
// configurations in order. Nothing leaks once the server is gone.
func TestReloadUnderLoad(t *testing.T) {
	warmUp(t)
	testutil.CheckLeaks(t)
	be := startBackend(t)
	s := servertest.Start(t, lifecycleConf(0, be.addr, ""))
	reloadScenario(t, s.Addr("0"), loadDuration(t, 12*time.Second), func(gen int) error {
		return s.TryReload(lifecycleConf(gen, be.addr, ""))
	})
}

// TestQuitUnderLoad stops an in-process sluice gracefully (as QUIT does)
// with requests in flight: they complete, new connections are refused, the
// idle keepalive connection is closed.
func TestQuitUnderLoad(t *testing.T) {
	warmUp(t)
	testutil.CheckLeaks(t)
	be := startBackend(t)
	p := startProc(t, lifecycleConf(0, be.addr, ""))
	checkQuit(t, quitScenario(t, p.addr, be, func() { p.Quit(10 * time.Second) }))
}

// lifecycleRows are the lifecycle scenarios as docs/reliability.md lists
// them: what nginx does (checked by TestSignalsUnderLoad/nginx), what sluice
// is held to, and the tests that hold it.
var lifecycleRows = []struct{ scenario, nginx, sluice, tests string }{
	{
		"reload every second for 12 s (6 s with the binaries) under 8 keepalive clients, half of them proxied to a backend",
		"no request fails; a client whose idle keepalive connection is closed by the old workers as it sends retries on a new one; a connection still waiting for its first request is served by the old worker, then closed; each client sees the configurations in order",
		"same (no failed request, generations never go back, the last one is served); a connection accepted as the configurations switch is served by the new one",
		"TestReloadUnderLoad (servertest Reload), TestSignalsUnderLoad/sluice (binary, HUP)",
	},
	{
		"graceful stop with 4 proxied requests in flight and one idle keepalive connection",
		"the in-flight requests are answered in full; the idle connection is closed; new connections are refused (the master closes the listening sockets)",
		"same",
		"TestQuitUnderLoad (in-process drain), TestSignalsUnderLoad/sluice (binary, QUIT; pid file removed, no alert)",
	},
	{
		"TERM during a graceful stop, a request in flight",
		"the master sends TERM to the workers: the stop becomes fast",
		"same: the request in flight is cut, the process exits at once",
		"TestTermDuringGracefulStop (binary)",
	},
	{
		"leaks after reload and stop",
		"—",
		"no goroutine, descriptor or temp file left once the server is gone",
		"TestReloadUnderLoad, TestQuitUnderLoad (testutil.CheckLeaks)",
	},
}

// TestLifecycleDoc checks (or, with -update, rewrites) the lifecycle table
// of docs/reliability.md from lifecycleRows.
func TestLifecycleDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("| scenario | nginx | sluice | tests |\n|---|---|---|---|\n")
	for _, r := range lifecycleRows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.scenario), cell(r.nginx), cell(r.sluice), cell(r.tests))
	}
	checkSection(t, lifecycleSection, b.String())
}
