package httpd_test

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const closeLogConf = `
error_log error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        client_header_timeout 5s;
        location / { return 200 "ok\n"; }
    }
}
`

// closeLogLine picks an error log line about a connection's end: its
// level and text, without time, process and connection numbers.
var closeLogLine = regexp.MustCompile(`\[(info|error)\] \d+#\d+: \*\d+ (.*)`)

// TestDifferentialClosedConnectionLog: clients that leave before, during
// and after a request, with a FIN or a reset, get the error log lines
// nginx writes for them (ngx_http_wait_request_handler,
// ngx_http_read_request_header, ngx_http_keepalive_handler).
func TestDifferentialClosedConnectionLog(t *testing.T) {
	testutil.CheckLeaks(t)
	n := oracle.Start(t, closeLogConf)
	s := servertest.Start(t, closeLogConf)
	reset := func(c *testutil.RawClient) {
		c.Conn().(*net.TCPConn).SetLinger(0)
		c.Close()
	}
	request := func(t *testing.T, c *testutil.RawClient) {
		if err := c.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadResponse(); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, c *testutil.RawClient)
		want string
	}{
		{"closed before a request", func(t *testing.T, c *testutil.RawClient) { c.Close() },
			"[info] client closed connection while waiting for request, client: 127.0.0.1, server: 127.0.0.1:PORT"},
		{"reset before a request", func(t *testing.T, c *testutil.RawClient) { reset(c) },
			"[info] recv() failed (104: Connection reset by peer) while waiting for request, client: 127.0.0.1, server: 127.0.0.1:PORT"},
		{"closed in the request line", func(t *testing.T, c *testutil.RawClient) {
			if err := c.WriteString("GET /a"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // the server reads the piece first
			c.Close()
		}, "[info] client prematurely closed connection while reading client request line, client: 127.0.0.1, server: , request: \"GET /a\""},
		{"closed after a request", func(t *testing.T, c *testutil.RawClient) { request(t, c); c.Close() },
			"[info] client 127.0.0.1 closed keepalive connection"},
		{"reset after a request", func(t *testing.T, c *testutil.RawClient) { request(t, c); reset(c) },
			"[info] client 127.0.0.1 closed keepalive connection (104: Connection reset by peer)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]string
			for i, srv := range []struct {
				addr, port string
				log        func() string
			}{
				{n.Addr(0), strconv.Itoa(n.Port(0)), n.ErrorLog},
				{s.Addr("0"), s.Port("0"), s.ErrorLog},
			} {
				before := len(srv.log())
				tc.run(t, testutil.Dial(t, srv.addr))
				for end := time.Now().Add(5 * time.Second); got[i] == "" && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
					for _, l := range strings.Split(srv.log()[before:], "\n") {
						if m := closeLogLine.FindStringSubmatch(l); m != nil {
							got[i] = "[" + m[1] + "] " + strings.ReplaceAll(m[2], ":"+srv.port, ":PORT")
						}
					}
				}
			}
			if got[0] != tc.want {
				t.Errorf("nginx logged %q, the case expects %q", got[0], tc.want)
			}
			if got[1] != got[0] {
				t.Errorf("sluice logged %q\n nginx logged %q", got[1], got[0])
			}
		})
	}
}
