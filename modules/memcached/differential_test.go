package memcached_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// diffConf is served by Debian's nginx and by sluice, both in front of the
// same memcached; MEMD is its address.
const diffConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;
        types { text/html html; image/gif gif; }

        location / {
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
        location /gz/ {
            set $memcached_key $uri;
            memcached_gzip_flag 2;
            memcached_pass MEMD;
        }
        location /q {
            set $memcached_key "$uri?$args";
            memcached_pass MEMD;
        }
        location /nokey {
            memcached_pass MEMD;
        }
        location /dir/ {
            set $memcached_key $uri;
            memcached_pass MEMD;
        }
        location /err/ {
            set $memcached_key $uri;
            memcached_pass MEMD;
            error_page 404 /404.html;
        }
        location = /404.html {
            return 200 "custom not found\n";
        }
    }
}
`

// comparison is the default one without Accept-Ranges (added by the range
// filter, which sluice does not have yet), with the port masked in Location
// (the two servers listen on different ports).
func comparison() oracle.Comparison {
	c := oracle.DefaultComparison()
	c.Headers = slices.DeleteFunc(c.Headers, func(h string) bool { return h == "Accept-Ranges" })
	c.Normalize["location"] = func(v string) string { return portRE.ReplaceAllString(v, ":<port>/") }
	return c
}

var portRE = regexp.MustCompile(`:[0-9]+/`)

// TestDifferential compares sluice with nginx in front of one memcached.
func TestDifferential(t *testing.T) {
	m := startMemcached(t)
	for key, v := range map[string]string{
		"/":               "SEE-THIS",
		"/index.html":     "<html>index</html>",
		"/img.gif":        "GIF89a",
		"/a%20b":          "space in key",
		"/pct%25":         "percent in key",
		"/gz/x":           "\x1f\x8bfake",
		"/dir/":           "directory",
		"/q?a=1":          "with args",
		"/empty":          "",
		"/big":            strings.Repeat("x", 300000),
		"/err/found":      "found",
		"/Case.HTML":      "upper-case extension",
		"/ctl%09tab":      "tab",
		"/q?a=%2520space": "escaped arg",
	} {
		flags := uint32(0)
		if strings.HasPrefix(key, "/gz/") {
			flags = 3
		}
		m.set(t, key, flags, v)
	}
	conf := strings.ReplaceAll(diffConf, "MEMD", m.addr)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)

	cmp := comparison()
	tests := []struct {
		name string
		req  string
		head bool
	}{
		{name: "hit", req: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{name: "hit keepalive", req: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{name: "hit http/1.0", req: "GET / HTTP/1.0\r\n\r\n"},
		{name: "type by extension", req: "GET /index.html HTTP/1.0\r\n\r\n"},
		{name: "gif", req: "GET /img.gif HTTP/1.0\r\n\r\n"},
		{name: "upper-case extension", req: "GET /Case.HTML HTTP/1.0\r\n\r\n"},
		{name: "space escaped", req: "GET /a%20b HTTP/1.0\r\n\r\n"},
		{name: "percent escaped", req: "GET /pct%25 HTTP/1.0\r\n\r\n"},
		{name: "tab escaped", req: "GET /ctl%09tab HTTP/1.0\r\n\r\n"},
		{name: "gzip flag", req: "GET /gz/x HTTP/1.0\r\n\r\n"},
		{name: "args in key", req: "GET /q?a=1 HTTP/1.0\r\n\r\n"},
		{name: "escaped args in key", req: "GET /q?a=%20space HTTP/1.0\r\n\r\n"},
		{name: "empty value", req: "GET /empty HTTP/1.0\r\n\r\n"},
		{name: "big value", req: "GET /big HTTP/1.0\r\n\r\n"},
		{name: "head", req: "HEAD / HTTP/1.0\r\n\r\n", head: true},
		{name: "miss", req: "GET /nothing HTTP/1.0\r\n\r\n"},
		{name: "head miss", req: "HEAD /nothing HTTP/1.0\r\n\r\n", head: true},
		{name: "post", req: "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nab"},
		{name: "put", req: "PUT / HTTP/1.0\r\nContent-Length: 0\r\n\r\n"},
		{name: "key not set", req: "GET /nokey HTTP/1.0\r\n\r\n"},
		{name: "auto redirect", req: "GET /dir HTTP/1.0\r\nHost: localhost\r\n\r\n"},
		{name: "directory", req: "GET /dir/ HTTP/1.0\r\n\r\n"},
		{name: "error_page hit", req: "GET /err/found HTTP/1.0\r\n\r\n"},
		{name: "error_page miss", req: "GET /err/missing HTTP/1.0\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			c.NoBody = tc.head
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
		})
	}
	// the same lines in the error logs, once the ports are masked
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
}
