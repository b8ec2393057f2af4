package httpd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// detachConf answers with what a connection must keep across a detach:
// its number, its request count and both addresses.
const detachConf = `
events {}
http {
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            return 200 "$connection $connection_requests $remote_addr:$remote_port $server_addr:$server_port\n";
        }
    }
}`

// waitDetaches waits until connections were detached want times since
// start.
func waitDetaches(t *testing.T, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for httpd.DetachesTotal() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d detaches, want %d", httpd.DetachesTotal(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func get(t *testing.T, c *testutil.RawClient) string {
	t.Helper()
	if err := c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return string(resp.Body)
}

// TestDetachedConnectionResumes: a connection parked long enough is
// detached, and its next requests are served on it as before: the same
// connection number, its request count going on, the same addresses.
func TestDetachedConnectionResumes(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, detachConf)
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	first := get(t, c)
	f := strings.Fields(first)
	if len(f) != 4 || f[1] != "1" {
		t.Fatalf("first answer %q", first)
	}
	for i := 2; i <= 4; i++ {
		waitDetaches(t, httpd.DetachesTotal()+1)
		got := get(t, c)
		want := fmt.Sprintf("%s %d %s %s\n", f[0], i, f[2], f[3])
		if got != want {
			t.Fatalf("request %d after a detach: %q, want %q", i, got, want)
		}
	}
}

// TestDetachedConnectionCloses: a detached connection's descriptor is
// closed whichever way it ends: keepalive_timeout, the client closing,
// a reload retiring its configuration.
func TestDetachedConnectionCloses(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf string
		end  func(s *servertest.Server, c *testutil.RawClient)
	}{
		{"keepalive_timeout", strings.Replace(detachConf, "60s", "600ms", 1), func(*servertest.Server, *testutil.RawClient) {}},
		{"client closes", detachConf, func(_ *servertest.Server, c *testutil.RawClient) { c.Close() }},
		{"reload", detachConf, func(s *servertest.Server, _ *testutil.RawClient) { s.Reload(detachConf) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			before := httpd.Parked()
			s := servertest.Start(t, tc.conf)
			fds, err := testutil.OpenFDs()
			if err != nil {
				t.Fatal(err)
			}
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			get(t, c)
			waitDetaches(t, httpd.DetachesTotal()+1)
			tc.end(s, c)
			c.WaitClosed(5 * time.Second)
			c.Close()
			waitParked(t, before)
			// the server's side of the socket is closed too: only what
			// was open before the connection remains (the client's
			// side closed above)
			testutil.WaitFDs(t, fds)
		})
	}
}

// TestDetachedSendTimeout: send_timeout holds on a connection's new socket
// after a detach. The deadline its last response armed on the old socket
// is gone with it; were it still taken as armed (it is within the lazy
// timer slack of the new one), a client that stops reading would hold
// the connection for ever.
func TestDetachedSendTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, `
error_log error.log info;
events {}
http {
    keepalive_timeout 60s;
    send_timeout 2400ms;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location = /small { return 200 "ok\n"; }
        location / { root html; }
    }
}`)
	if err := os.MkdirAll(filepath.Join(s.Prefix(), "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Prefix(), "html", "big"), make([]byte, 32<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString("GET /small HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadResponse(); err != nil {
		t.Fatal(err)
	}
	waitDetaches(t, httpd.DetachesTotal()+1)
	// 32 MiB the client does not read: the server's writes block
	if err := c.WriteString("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	s.WaitErrorLog(t, "client timed out")
}
