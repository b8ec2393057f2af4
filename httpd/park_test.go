package httpd_test

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const parkConf = `
events {}
http {
    keepalive_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / { return 200 "ok\n"; }
    }
}`

func waitParked(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for httpd.Parked() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d parked connections, want %d", httpd.Parked(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitServing waits until the http configuration of cy is in the state ok
// accepts.
func waitServing(t *testing.T, cy *core.Cycle, ok func(conns int, draining bool) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, d := httpd.Serving(cy)
		if ok(n, d) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("configuration serves %d connections, draining %v", n, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParkedConnectionResumes(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, parkConf)
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("request %d: %q", i, line)
		}
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if l == "\r\n" {
				break
			}
		}
		br.Discard(3)
		// idle: the connection gets parked, then the next request resumes it
		waitParked(t, before+1)
	}
}

func TestParkedConnectionExpires(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, parkConf)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	waitParked(t, before+1)
	// keepalive_timeout 1s: the parked connection is closed
	if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
		t.Fatal("parked connection not closed at keepalive_timeout")
	}
	waitParked(t, before)
}

func TestDrainClosesParked(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := servertest.Start(t, strings.Replace(parkConf, "keepalive_timeout 1s;", "keepalive_timeout 60s;", 1))
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	waitParked(t, before+1)
	// a reload retires the old configuration: its idle connections close
	s.Reload(parkConf)
	if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
		t.Fatal("parked connection of a retired configuration not closed")
	}
	waitParked(t, before)
}

// TestDrainServesFirstRequest: a reload closes the retiring
// configuration's keepalive connections, but one still waiting for its
// first request gets that request served by the configuration that
// accepted it, with "Connection: close", as an nginx worker that is
// shutting down closes only its keepalive connections.
func TestDrainServesFirstRequest(t *testing.T) {
	tests := []struct {
		name   string
		parked bool // the connection is parked when the reload comes
	}{
		{name: "parked", parked: true},
		{name: "just accepted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			before := httpd.Parked()
			old := strings.Replace(parkConf, `"ok\n"`, `"old\n"`, 1)
			s := servertest.Start(t, old)
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if tc.parked {
				waitParked(t, before+1)
			}
			// the old configuration has the connection (not yet accepted,
			// it would go to the new one), and knows it retires before the
			// request comes (the drain runs on its own goroutine)
			cy := s.Cycle()
			waitServing(t, cy, func(n int, _ bool) bool { return n == 1 })
			s.Reload(strings.Replace(parkConf, `"ok\n"`, `"new\n"`, 1))
			waitServing(t, cy, func(_ int, draining bool) bool { return draining })
			c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("the first request after the reload: %v", err)
			}
			if resp.StatusCode != 200 || string(resp.Body) != "old\n" || resp.Get("Connection") != "close" {
				t.Errorf("got %q, body %q, Connection %q; want 200, \"old\\n\", close", resp.StatusLine, resp.Body, resp.Get("Connection"))
			}
			if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
				t.Error("the connection stayed open after its response")
			}
			waitParked(t, before)
		})
	}
}

// TestLingerReadsBeforeParking: Go polls the network only when no
// goroutine is ready to run, so on a busy server a keepalive connection's
// next request can arrive while its linger runs out, unnoticed. The
// connection must then read it, not park: parking would cost the request
// another turn of the run queue and two epoll_ctl calls. Here the client
// runs on the server's one P and never waits: it polls its socket with
// non-blocking reads and yields in between, which keeps the run queue
// busy, so the server learns of each request only when its linger's timer
// fires.
//
// A park counts against the server only between the request's sending
// and a read that still found no answer (the parks counted before that
// read): on a loaded machine (the race detector, other processes on the
// CPUs) the client itself may get no CPU until a linger has passed, and
// then the connection rightly parks before the request exists, or after
// the answer, for the next one.
func TestLingerReadsBeforeParking(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := servertest.Start(t, strings.Replace(parkConf, "keepalive_timeout 1s;", "keepalive_timeout 60s;", 1))
	c, err := net.Dial("tcp", s.Addr("A"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	req := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	const answerEnd = "\r\n\r\nok\n"
	var got []byte
	buf := make([]byte, 4096)
	// late counts the parks after a request was sent (sent: the count
	// then) that were counted before a read found no answer yet (empty:
	// the count taken before that read): the server parked with the
	// request in its socket
	late := int64(0)
	// roundTrip sends a request and spins until its answer is in, without
	// ever waiting in the netpoller
	roundTrip := func(i int) {
		t.Helper()
		var werr error
		rc.Write(func(fd uintptr) bool {
			_, werr = syscall.Write(int(fd), req)
			return true
		})
		if werr != nil {
			t.Fatal(werr)
		}
		sent := httpd.ParksTotal()
		empty := sent
		got = got[:0]
		for deadline := time.Now().Add(10 * time.Second); !strings.HasSuffix(string(got), answerEnd); runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatalf("request %d: no answer in 10 s, got %q", i, got)
			}
			before := httpd.ParksTotal()
			rc.Read(func(fd uintptr) bool {
				if n, _ := syscall.Read(int(fd), buf); n > 0 {
					got = append(got, buf[:n]...)
				}
				return true
			})
			if len(got) == 0 {
				empty = before
			}
		}
		late += empty - sent
		if !strings.HasPrefix(string(got), "HTTP/1.1 200") {
			t.Fatalf("request %d: %q", i, got)
		}
	}
	roundTrip(0)
	parks := httpd.ParksTotal()
	late = 0
	for i := 1; i <= 5; i++ {
		roundTrip(i)
	}
	if late != 0 {
		t.Fatalf("the connection parked %d times with its next request already sent", late)
	}
	if n := httpd.ParksTotal() - parks; n != 0 {
		t.Logf("the connection parked %d times before the client sent its next request (a loaded machine)", n)
	}
}
