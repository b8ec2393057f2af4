package httpd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// limitRateConf serves a 20,000-byte file (/f, /var/f) and a backend
// answer with X-Accel-Limit-Rate (/xal/f) under rate limits. DIR is the
// files' directory.
const limitRateConf = `
error_log error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root DIR;
        location /slow/ { alias DIR/; limit_rate 8k; }
        location /after/ { alias DIR/; limit_rate 1k; limit_rate_after 24k; }
        location /var/ { alias DIR/; limit_rate $arg_l; limit_rate_after $arg_a; }
        location /set/ { alias DIR/; set $limit_rate 8k; }
        location /xal/ { proxy_pass http://127.0.0.1:%%PORT_0%%/back/; }
        location /xal-ignored/ { proxy_pass http://127.0.0.1:%%PORT_0%%/back/; proxy_ignore_headers X-Accel-Limit-Rate; }
        location /back/ { alias DIR/; add_header X-Accel-Limit-Rate 8192; }
        location /xar/ { proxy_pass http://127.0.0.1:%%PORT_0%%/redirect/; }
        location /redirect/ { add_header X-Accel-Redirect /unlimited/f; add_header X-Accel-Limit-Rate 8192; return 204; }
        location /unlimited/ { alias DIR/; limit_rate 0; }
    }
}
`

// TestDifferentialLimitRate: limit_rate, limit_rate_after, their values
// from variables, $limit_rate set by the configuration and
// X-Accel-Limit-Rate from a backend (hidden from the client by default,
// and kept across X-Accel-Redirect) pace a response as in Debian's nginx.
// A paced answer of 20,000 bytes at 8 KiB/s takes a second or more in
// both (nginx sends a second's worth at once, then a second's worth per
// second); an unpaced one takes milliseconds. Only that class is
// compared, with a wide margin, and the error log line of a value that
// is not a size.
func TestDifferentialLimitRate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte(strings.Repeat("x", 20000)), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(limitRateConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	cases := []struct {
		name, uri string
		slow      bool
		log       string // a line the error log must get
	}{
		{name: "no limit", uri: "/f"},
		{name: "limit_rate", uri: "/slow/f", slow: true},
		{name: "limit_rate_after beyond the body", uri: "/after/f"},
		{name: "variables", uri: "/var/f?l=8k&a=0", slow: true},
		{name: "variables, after beyond the body", uri: "/var/f?l=8k&a=24k"},
		{name: "variable not a size", uri: "/var/f?l=8x&a=0", log: `invalid size "8x"`},
		{name: "$limit_rate set", uri: "/set/f", slow: true},
		{name: "X-Accel-Limit-Rate", uri: "/xal/f", slow: true},
		{name: "X-Accel-Limit-Rate ignored", uri: "/xal-ignored/f"},
		// the rate outlives the redirect to a location without a limit
		{name: "X-Accel-Limit-Rate with X-Accel-Redirect", uri: "/xar/f", slow: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, srv := range []struct {
				name, addr string
				log        func() string
			}{{"nginx", n.Addr(0), n.ErrorLog}, {"sluice", s.Addr("0"), s.ErrorLog}} {
				c := testutil.Dial(t, srv.addr)
				start := time.Now()
				if err := c.WriteString("GET " + tc.uri + " HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := c.ReadResponse()
				if err != nil {
					t.Fatalf("%s: %v", srv.name, err)
				}
				d := time.Since(start)
				if resp.StatusCode != 200 || len(resp.Body) != 20000 {
					t.Errorf("%s: %d with %d bytes", srv.name, resp.StatusCode, len(resp.Body))
				}
				if slow := d >= 900*time.Millisecond; slow != tc.slow {
					t.Errorf("%s: answered in %v, paced: %v, want %v", srv.name, d, slow, tc.slow)
				}
				if tc.log != "" && !strings.Contains(srv.log(), "[error] ") || tc.log != "" && !strings.Contains(srv.log(), tc.log) {
					t.Errorf("%s: no %q in the error log", srv.name, tc.log)
				}
				c.Close()
			}
		})
	}
}

// TestDifferentialLimitRateHangup: a client that leaves while its response
// is paced ends the response at once, in nginx (ngx_http_test_reading, the
// read handler of a request whose output is delayed) and in sluice: the
// info line "client prematurely closed connection", long before the next
// paced write (10 bytes a second: the second write would come seconds
// later and fail as writev()).
func TestDifferentialLimitRateHangup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte(strings.Repeat("x", 20000)), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(limitRateConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	for _, side := range []struct {
		name, addr string
		log        func() string
	}{
		{"nginx", n.Addr(0), n.ErrorLog},
		{"sluice", s.Addr("0"), func() string { return s.ReadFile("error.log") }},
	} {
		t.Run(side.name, func(t *testing.T) {
			c := testutil.Dial(t, side.addr)
			defer c.Close()
			c.WriteString("GET /var/f?l=10 HTTP/1.0\r\n\r\n")
			var b [1]byte
			if _, err := c.Conn().Read(b[:]); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c.Close()
			for !strings.Contains(side.log(), "client prematurely closed connection") {
				if time.Since(start) > 5*time.Second {
					t.Fatalf("no \"client prematurely closed connection\":\n%s", side.log())
				}
				time.Sleep(5 * time.Millisecond)
			}
			if strings.Contains(side.log(), "writev() failed") {
				t.Errorf("the write failed instead:\n%s", side.log())
			}
		})
	}
}
