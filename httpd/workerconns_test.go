package httpd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// workerConnsConf runs nginx without a master process: a worker's
// channel to its master takes a connection slot too.
const workerConnsConf = `
master_process off;
error_log error.log info;
events { worker_connections 3; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { return 200 "ok\n"; }

    }
}
`

// TestDifferentialWorkerConnections: with worker_connections 3 (the
// listening socket takes one), two idle connections fill the slots; a
// third is served all the same, the oldest idle one closed for it with
// nginx's warning (ngx_drain_connections), and the other kept. Two
// connections busy with a request are not reusable: a third is then
// refused with nginx's alert.
func TestDifferentialWorkerConnections(t *testing.T) {
	active := httpd.StatActive()
	n := oracle.StartWith(t, workerConnsConf, oracle.Options{AllowAlerts: true}) // the alert is expected
	s := servertest.Start(t, workerConnsConf)
	for _, srv := range []struct {
		name, addr string
		log        func() string
		// settled waits until idle connections are reusable: at once in
		// nginx (from the accept, in order), once parked in sluice
		// (after a short linger; the oldest reusable is the one parked
		// first)
		settled func(idle int)
		// gone waits until the connections of an earlier case are
		// closed on the server's side too (nginx handles their closes
		// before a new accept; sluice's parked ones wake up for them)
		gone func()
	}{
		{"nginx", n.Addr(0), n.ErrorLog, func(int) {}, func() {}},
		{"sluice", s.Addr("0"), s.ErrorLog, func(idle int) {
			for end := time.Now().Add(5 * time.Second); httpd.Parked() < idle && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
		}, func() {
			for end := time.Now().Add(5 * time.Second); httpd.StatActive() > active && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
		}},
	} {
		t.Run(srv.name+"/idle reused", func(t *testing.T) {
			base := httpd.Parked()
			a := testutil.Dial(t, srv.addr)
			srv.settled(base + 1)
			b := testutil.Dial(t, srv.addr)
			srv.settled(base + 2)
			c := testutil.Dial(t, srv.addr)
			if err := c.WriteString("GET / HTTP/1.0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if resp, err := c.ReadResponse(); err != nil || resp.StatusCode != 200 {
				t.Fatalf("the third connection: %v %v", resp, err)
			}
			if closed, _, _ := a.WaitClosed(2 * time.Second); !closed {
				t.Error("the oldest idle connection was not closed")
			}
			if closed, _, _ := b.WaitClosed(200 * time.Millisecond); closed {
				t.Error("the second idle connection was closed")
			}
			if !strings.Contains(srv.log(), "[warn] ") || !strings.Contains(srv.log(), "3 worker_connections are not enough, reusing connections") {
				t.Errorf("no warning in the error log:\n%s", srv.log())
			}
			a.Close()
			b.Close()
			c.Close()
		})
		t.Run(srv.name+"/busy not reused", func(t *testing.T) {
			// two requests whose bodies have not come: answered, their
			// connections are busy reading the bodies to discard them
			// (nginx's worker_connections count upstream connections,
			// sluice's do not, so no proxied request here); the
			// previous case's connections are gone
			srv.gone()
			a := testutil.Dial(t, srv.addr)
			b := testutil.Dial(t, srv.addr)
			for _, x := range []*testutil.RawClient{a, b} {
				if err := x.WriteString("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nsome"); err != nil {
					t.Fatal(err)
				}
				if resp, err := x.ReadResponse(); err != nil || resp.StatusCode != 200 {
					t.Fatalf("%v %v", resp, err)
				}
			}
			st := httpd.ReadStats()
			c := testutil.Dial(t, srv.addr)
			if closed, _, _ := c.WaitClosed(2 * time.Second); !closed {
				t.Error("a connection beyond worker_connections was kept")
			}
			if after := httpd.ReadStats(); srv.name == "sluice" && (after.Accepted-st.Accepted != 1 || after.Handled != st.Handled) {
				// stub_status: accepted, not handled, as nginx counts it
				t.Errorf("accepted +%d, handled +%d; want +1, +0", after.Accepted-st.Accepted, after.Handled-st.Handled)
			}
			if !strings.Contains(srv.log(), "[alert] ") || !strings.Contains(srv.log(), "3 worker_connections are not enough\n") {
				t.Errorf("no alert in the error log:\n%s", srv.log())
			}
			if closed, _, _ := a.WaitClosed(100 * time.Millisecond); closed {
				t.Error("a busy connection was closed")
			}
			a.Close()
			b.Close()
			c.Close()
		})
	}
}
