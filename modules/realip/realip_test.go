package realip_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const realipConf = `
events {}
http {
    access_log off;
    set_real_ip_from 127.0.0.1/32;
    set_real_ip_from 10.0.1.0/24;
    set_real_ip_from 2001:db8::/32;
    add_header X-IP $remote_addr always;
    add_header X-Peer $realip_remote_addr always;
    add_header X-Port $remote_port always;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { }
        location /custom {
            real_ip_header X-Real-IP-Custom;
        }
        location /xff {
            real_ip_header X-Forwarded-For;
        }
        location /rec {
            real_ip_header X-Forwarded-For;
            real_ip_recursive on;
        }
        location /untrusted {
            set_real_ip_from 192.0.2.0/24;
            real_ip_header X-Real-IP-Custom;
        }
        location /deny {
            deny 192.0.2.1;
        }
        location /ret {
            real_ip_header X-Forwarded-For;
            return 200 "$remote_addr";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        return 200 "postread $remote_addr|$realip_remote_addr\n";
    }
}
`

// realipCases: want is "X-IP|X-Peer|X-Port" ("*" for the connection's
// own port), or the body for the second server.
var realipCases = []struct {
	name, path string
	headers    string
	port       int // server index
	status     int
	want       string
}{
	{"no header", "/", "", 0, 404, "127.0.0.1|127.0.0.1|*"},
	{"x-real-ip", "/", "X-Real-IP: 192.0.2.1\r\n", 0, 404, "192.0.2.1|127.0.0.1|"},
	{"x-real-ip with port", "/", "X-Real-IP: 192.0.2.1:8000\r\n", 0, 404, "192.0.2.1|127.0.0.1|8000"},
	{"x-real-ip v6", "/", "X-Real-IP: 2001:db8::5\r\n", 0, 404, "2001:db8::5|127.0.0.1|"},
	{"x-real-ip v6 port", "/", "X-Real-IP: [2001:db8::5]:99\r\n", 0, 404, "2001:db8::5|127.0.0.1|99"},
	{"x-real-ip garbage", "/", "X-Real-IP: nonsense\r\n", 0, 404, "127.0.0.1|127.0.0.1|*"},
	{"x-real-ip bad port", "/", "X-Real-IP: 192.0.2.1:0\r\n", 0, 404, "127.0.0.1|127.0.0.1|*"},
	{"custom at post-read", "/custom", "X-Real-IP: 192.0.2.7\r\n", 0, 404, "192.0.2.7|127.0.0.1|"},
	{"custom", "/custom", "X-Real-IP-Custom: 192.0.2.7\r\n", 0, 404, "192.0.2.7|127.0.0.1|"},
	{"xff last", "/xff", "X-Forwarded-For: 10.0.0.1, 192.0.2.1\r\n", 0, 404, "192.0.2.1|127.0.0.1|"},
	{"xff not recursive", "/xff", "X-Forwarded-For: 192.0.2.1, 10.0.1.1, 127.0.0.1\r\n", 0, 404, "127.0.0.1|127.0.0.1|"},
	{"xff recursive", "/rec", "X-Forwarded-For: 10.0.1.1, 192.0.2.1, 127.0.0.1\r\n", 0, 404, "192.0.2.1|127.0.0.1|"},
	{"xff recursive all trusted", "/rec", "X-Forwarded-For: 10.0.1.2, 10.0.1.1\r\n", 0, 404, "10.0.1.2|127.0.0.1|"},
	{"xff recursive garbage", "/rec", "X-Forwarded-For: junk, 10.0.1.1\r\n", 0, 404, "10.0.1.1|127.0.0.1|"},
	{"xff spaces", "/xff", "X-Forwarded-For: 192.0.2.1 ,  \r\n", 0, 404, "192.0.2.1|127.0.0.1|"},
	{"multi xff not recursive", "/xff", "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 127.0.0.1, 10.0.1.1\r\n", 0, 404, "10.0.1.1|127.0.0.1|"},
	{"multi xff recursive", "/rec", "X-Forwarded-For: 10.0.1.1\r\nX-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 127.0.0.1\r\n", 0, 404, "192.0.2.1|127.0.0.1|"},
	{"multi xff recursive through", "/rec", "X-Forwarded-For: 192.0.2.9\r\nX-Forwarded-For: 10.0.1.1, 127.0.0.1\r\n", 0, 404, "192.0.2.9|127.0.0.1|"},
	{"untrusted peer", "/untrusted", "X-Real-IP-Custom: 192.0.2.1\r\n", 0, 404, "127.0.0.1|127.0.0.1|*"},
	{"deny sees real ip", "/deny", "X-Real-IP: 192.0.2.1\r\n", 0, 403, "192.0.2.1|127.0.0.1|"},
	{"deny other ip", "/deny", "X-Real-IP: 192.0.2.2\r\n", 0, 404, "192.0.2.2|127.0.0.1|"},
	{"return before preaccess", "/ret", "X-Forwarded-For: 192.0.2.2\r\n", 0, 200, "127.0.0.1|127.0.0.1|*"},
	{"post read", "/", "X-Real-IP: 192.0.2.3\r\n", 1, 200, "postread 192.0.2.3|127.0.0.1"},
}

func TestRealIP(t *testing.T) {
	s := servertest.Start(t, strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(realipConf))
	addrs := []string{s.Addr("A"), s.Addr("B")}
	for _, tc := range realipCases {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, addrs[tc.port])
			defer c.Close()
			c.WriteString("GET " + tc.path + " HTTP/1.0\r\nHost: localhost\r\n" + tc.headers + "\r\n")
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			got := strings.TrimSuffix(string(resp.Body), "\n")
			if tc.port == 0 {
				port := resp.Get("X-Port")
				if strings.HasSuffix(tc.want, "|*") && port != "" && port == strings.Split(c.Conn().LocalAddr().String(), ":")[1] {
					port = "*"
				}
				got = resp.Get("X-IP") + "|" + resp.Get("X-Peer") + "|" + port
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRealIPKeepalive checks that the connection's address comes back for
// the next request on the connection.
func TestRealIPKeepalive(t *testing.T) {
	s := servertest.Start(t, strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(realipConf))
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	for i, tc := range []struct{ hdr, want string }{
		{"X-Real-IP: 192.0.2.1\r\n", "192.0.2.1|127.0.0.1|"},
		{"", "127.0.0.1|127.0.0.1|"},
	} {
		c.WriteString("GET / HTTP/1.1\r\nHost: localhost\r\n" + tc.hdr + "\r\n")
		resp, err := c.ReadResponse()
		if err != nil {
			t.Fatal(err)
		}
		body := resp.Get("X-IP") + "|" + resp.Get("X-Peer") + "|"
		if i == 0 {
			body += resp.Get("X-Port")
		}
		if body != tc.want {
			t.Errorf("request %d: body %q, want %q", i, body, tc.want)
		}
	}
}

// TestRealIPOracle compares $remote_addr and $realip_remote_addr with
// Debian's nginx (the port is left out: it is the client's own).
func TestRealIPOracle(t *testing.T) {
	conf := strings.Replace(realipConf, "events {}\n", "", 1)
	ngx := oracle.Start(t, conf)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(conf))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-IP", "X-Peer")
	addrs := [][2]string{{ngx.Addr(0), s.Addr("A")}, {ngx.Addr(1), s.Addr("B")}}
	for _, tc := range realipCases {
		t.Run(tc.name, func(t *testing.T) {
			req := "GET " + tc.path + " HTTP/1.0\r\nHost: localhost\r\n" + tc.headers + "\r\n"
			oracle.Compare(t, req, addrs[tc.port][0], addrs[tc.port][1], cmp)
		})
	}
}
