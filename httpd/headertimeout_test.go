package httpd_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const headerTimeoutConf = `
error_log error.log info;
events {}
http {
    access_log off;
    client_header_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { return 200 "ok\n"; }
    }
}
`

// TestDifferentialHeaderTimeout: the first request's head must be
// complete within client_header_timeout of the accept, however long the
// client waited before its first bytes (nginx's timer from
// ngx_http_init_connection); a later request's head gets the whole
// timeout from its first bytes. The clients below wait 0.7 s, then send
// part of a head: the connection closes about 1 s after the accept, and
// 1.7 s after the previous response on a keepalive connection. Each bound
// lies just short of the earliest time the other answer can come, so that
// a server slowed by load still passes.
func TestDifferentialHeaderTimeout(t *testing.T) {
	n := oracle.Start(t, headerTimeoutConf)
	s := servertest.Start(t, headerTimeoutConf)
	for _, srv := range []struct{ name, addr string }{{"nginx", n.Addr(0)}, {"sluice", s.Addr("0")}} {
		t.Run(srv.name+"/first request", func(t *testing.T) {
			t.Parallel()
			c := testutil.Dial(t, srv.addr)
			start := time.Now()
			time.Sleep(700 * time.Millisecond) // the client's own pace
			if err := c.WriteString("GET / HTTP/1.1\r\n"); err != nil {
				t.Fatal(err)
			}
			if closed, _, _ := c.WaitClosed(3 * time.Second); !closed {
				t.Fatal("not closed")
			}
			// a timer from the first bytes closes 1.7 s after the
			// connect at the earliest: anything below that is the timer
			// from the accept, however late a loaded machine runs it
			if d := time.Since(start); d >= 1650*time.Millisecond {
				t.Errorf("closed %v after the connect, want about 1s", d)
			}
		})
		t.Run(srv.name+"/keepalive request", func(t *testing.T) {
			t.Parallel()
			c := testutil.Dial(t, srv.addr)
			if err := c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadResponse(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			time.Sleep(700 * time.Millisecond)
			if err := c.WriteString("GET / HTTP/1.1\r\n"); err != nil {
				t.Fatal(err)
			}
			if closed, _, _ := c.WaitClosed(3 * time.Second); !closed {
				t.Fatal("not closed")
			}
			if d := time.Since(start); d < 1650*time.Millisecond {
				t.Errorf("closed %v after the response, want about 1.7s", d)
			}
		})
	}
}
