package balancer_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

// namedBackend answers every request with its own address as the body.
func namedBackend(t *testing.T) *testutil.Backend {
	return testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Func(func(c *testutil.BackendConn) error {
			_, err := c.Write([]byte(testutil.HTTPResponse(200, c.LocalAddr().String(), "Connection: close")))
			return err
		}),
		testutil.Close(),
	})
}

// fetch sends one GET from a fresh connection (bound to local when given)
// and returns the response.
func fetch(t *testing.T, addr, path string, local net.Addr) *testutil.Response {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := testutil.NewRawClient(nc)
	defer c.Close()
	if err := c.WriteString("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// counts sends n requests and counts the answers per body.
func counts(t *testing.T, addr, path string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		resp := fetch(t, addr, path, nil)
		if resp.StatusCode != 200 {
			out["status "+itoa(resp.StatusCode)]++
			continue
		}
		out[string(resp.Body)]++
	}
	return out
}

func TestThroughFramework(t *testing.T) {
	a, b := namedBackend(t), namedBackend(t)
	t.Run("weighted round robin", func(t *testing.T) {
		s := start(t, `events {} http {
			upstream u { server `+a.Addr()+`; server `+b.Addr()+` weight=2; }
			server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass u; } }
		}`)
		got := counts(t, s.Addr("A"), "/", 9)
		if got[a.Addr()] != 3 || got[b.Addr()] != 6 {
			t.Errorf("got %v", got)
		}
		resp := fetch(t, s.Addr("A"), "/", nil)
		if h := resp.Get("X-Upstream"); h != string(resp.Body) {
			t.Errorf("$upstream_addr %q, body %q", h, resp.Body)
		}
	})
	t.Run("group declared after its use", func(t *testing.T) {
		s := start(t, `events {} http {
			server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass later; } }
			upstream later { server `+a.Addr()+`; }
		}`)
		if got := counts(t, s.Addr("A"), "/", 2); got[a.Addr()] != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("implicit group", func(t *testing.T) {
		s := start(t, `events {} http {
			server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass `+a.Addr()+`; } }
		}`)
		if got := counts(t, s.Addr("A"), "/", 2); got[a.Addr()] != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("run-time lookup", func(t *testing.T) {
		s := start(t, `events {} http {
			upstream u { server `+a.Addr()+`; }
			server { listen 127.0.0.1:%%PORT_A%%;
				location /implicit { bt_pass `+b.Addr()+`; }
				location / { bt_find $arg_to; }
			}
		}`)
		tests := []struct{ to, want string }{
			{"u", a.Addr()}, {"U", a.Addr()}, {b.Addr(), b.Addr()}, {"u:80", "status 502"},
			{"unknown.invalid", "status 502"},
		}
		for _, tt := range tests {
			if got := counts(t, s.Addr("A"), "/?to="+tt.to, 1); got[tt.want] != 1 {
				t.Errorf("to=%s: %v, want %s", tt.to, got, tt.want)
			}
		}
	})
	t.Run("backup after a refused primary", func(t *testing.T) {
		refused := testutil.RefusedAddr(t)
		s := start(t, `events {} http {
			upstream u { server `+refused+`; server `+b.Addr()+` backup; }
			server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass u; } }
		}`)
		resp := fetch(t, s.Addr("A"), "/", nil)
		if string(resp.Body) != b.Addr() || resp.Get("X-Upstream") != refused+", "+b.Addr() {
			t.Errorf("body %q, X-Upstream %q", resp.Body, resp.Get("X-Upstream"))
		}
	})
	t.Run("no live upstreams", func(t *testing.T) {
		s := start(t, `events {} http {
			upstream u { server `+a.Addr()+` down; server `+b.Addr()+` down; }
			server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass u; } }
		}`)
		if resp := fetch(t, s.Addr("A"), "/", nil); resp.StatusCode != 502 {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
		if log := s.ErrorLog(); !strings.Contains(log, "no live upstreams while connecting to upstream") {
			t.Errorf("error log lacks \"no live upstreams\":\n%s", log)
		}
	})
}

// TestFailuresLikeNginxTests is nginx-tests' upstream.t "failures" case:
// the first server fails every third request until it reached max_fails=3,
// then rests for fail_timeout.
func TestFailuresLikeNginxTests(t *testing.T) {
	var n atomic.Int32
	flaky := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Func(func(c *testutil.BackendConn) error {
			if n.Add(1)%3 == 0 {
				return testutil.ErrStop // close without answering
			}
			_, err := c.Write([]byte(testutil.HTTPResponse(200, c.LocalAddr().String(), "Connection: close")))
			return err
		}),
		testutil.Close(),
	})
	good := namedBackend(t)
	s := start(t, `error_log error.log warn; events {} http {
		upstream u { server `+flaky.Addr()+` max_fails=3 fail_timeout=10s; server `+good.Addr()+` max_fails=3 fail_timeout=10s; }
		server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass u; } }
	}`)
	got := counts(t, s.Addr("A"), "/", 30)
	if got[flaky.Addr()] != 6 || got[good.Addr()] != 24 {
		t.Errorf("got %v, want 6 on the flaky server and 24 on the other (upstream.t)", got)
	}
	if log := s.ErrorLog(); !strings.Contains(log, "[warn]") || !strings.Contains(log, "upstream server temporarily disabled while reading response header from upstream, client: 127.0.0.1") {
		t.Errorf("error log lacks the [warn]:\n%s", log)
	}
}

// TestClientAbortIsNoPeerFailure: a client that leaves while a server
// holds its answer ends the exchange with 499, and the server is released
// as having answered (ngx_http_upstream_finalize_request frees the peer
// with state 0): with max_fails=1 it stays in the rotation. sluice counted
// the interrupted attempt as the server's failure and sent the next 30
// seconds of requests elsewhere.
func TestClientAbortIsNoPeerFailure(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	a := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		if i == 0 {
			return testutil.Script{testutil.ReadHead(), testutil.Hold(release)}
		}
		return testutil.Script{testutil.ReadHead(), testutil.Func(func(c *testutil.BackendConn) error {
			_, err := c.Write([]byte(testutil.HTTPResponse(200, c.LocalAddr().String(), "Connection: close")))
			return err
		}), testutil.Close()}
	})
	b := namedBackend(t)
	s := start(t, `error_log %%PREFIX%%/error.log info; events {} http {
		upstream u { server `+a.Addr()+` max_fails=1 fail_timeout=30s; server `+b.Addr()+` max_fails=1 fail_timeout=30s; }
		server { listen 127.0.0.1:%%PORT_A%%; location / { bt_pass u; } }
	}`)
	c := testutil.Dial(t, s.Addr("A"))
	c.WriteString("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
	if !a.WaitRequests(1, 5*time.Second) {
		t.Fatal("the first request did not go to the first server")
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.ErrorLog(), "client prematurely closed connection") {
		if time.Now().After(deadline) {
			t.Fatalf("the client's leaving was never logged:\n%s", s.ErrorLog())
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := counts(t, s.Addr("A"), "/", 4)
	if got[a.Addr()] != 2 || got[b.Addr()] != 2 {
		t.Errorf("after the client left, 4 requests went %v; want 2 to each server", got)
	}
}
