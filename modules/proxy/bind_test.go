package proxy_test

import (
	"net"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestProxyBindTransparent: "proxy_bind address transparent" makes the
// upstream socket transparent before binding it (IP_TRANSPARENT), so
// that an address that is not local can be bound; without the flag the
// bind fails, which ends the request with 500 and a crit line, as in
// nginx (ngx_event_connect_peer). Compared with Debian's nginx. 192.0.2.1 (TEST-NET-1) is not
// local, and the backend's answers to it go nowhere: the transparent
// connection times out. Transparency needs CAP_NET_ADMIN (or
// CAP_NET_RAW): without it, both answer 500 with an alert.
func TestProxyBindTransparent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	privileged := os.Geteuid() == 0
	cases := []struct {
		name, bind string
		status     int
		log        string
	}{
		{name: "address not local", bind: "proxy_bind 192.0.2.1;", status: 500,
			log: `[crit] bind(192.0.2.1) failed (99: Cannot assign requested address) while connecting to upstream`},
	}
	if privileged {
		cases = append(cases, struct {
			name, bind string
			status     int
			log        string
		}{name: "transparent", bind: "proxy_bind 192.0.2.1 transparent;", status: 504,
			log: `[error] upstream timed out (110: Connection timed out) while connecting to upstream`})
	} else {
		cases = append(cases, struct {
			name, bind string
			status     int
			log        string
		}{name: "transparent, unprivileged", bind: "proxy_bind 192.0.2.1 transparent;", status: 500,
			log: `[alert] setsockopt(IP_TRANSPARENT) failed (1: Operation not permitted) while connecting to upstream`})
	}
	lineRE := regexp.MustCompile(`\[(crit|error|alert)\] \d+#\d+: \*\d+ ([^,]*)`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { ` + tc.bind + ` proxy_connect_timeout 300ms; proxy_pass http://` + ln.Addr().String() + `; }
    }
}
`
			n := oracle.Start(t, text)
			s := servertest.Start(t, text)
			for _, srv := range targets(n, s) {
				c := testutil.Dial(t, srv.addr)
				if err := c.WriteString("GET / HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := c.ReadResponse()
				if err != nil {
					t.Fatalf("%s: %v", srv.name, err)
				}
				c.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("%s: status %d, want %d", srv.name, resp.StatusCode, tc.status)
				}
				var got string
				for end := time.Now().Add(3 * time.Second); got == "" && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
					if m := lineRE.FindStringSubmatch(srv.log()); m != nil {
						got = "[" + m[1] + "] " + m[2]
					}
				}
				if got != tc.log {
					t.Errorf("%s logged %q\n             want %q", srv.name, got, tc.log)
				}
			}
		})
	}
}
