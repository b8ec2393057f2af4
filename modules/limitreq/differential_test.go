package limitreq_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice alike. Its zones
// allow 1 request per minute, so that what passes does not depend on the
// time between requests.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format st '$request_uri $status $limit_req_status';
    access_log %%PREFIX%%/access.log st;
    limit_req_zone $arg_k zone=slow:1m rate=1r/m;
    limit_req_zone $arg_k zone=slow2:1m rate=1r/m;
    limit_req_zone $arg_k zone=small:32k rate=1r/m;
    limit_req_zone $binary_remote_addr zone=addr:1m rate=1r/m;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root ROOT;
        add_header X-Status $limit_req_status always;
        limit_req zone=slow;
        location /inherit { alias ROOT/t; }
        location /plain { alias ROOT/t; limit_req zone=slow2; }
        location /nodelay { alias ROOT/t; limit_req zone=slow2 burst=1 nodelay; }
        location /status { alias ROOT/t; limit_req zone=slow2; limit_req_status 429; }
        location /dry { alias ROOT/t; limit_req zone=slow2 burst=1; limit_req_dry_run on; limit_req_log_level warn; }
        location /notice { alias ROOT/t; limit_req zone=slow2 burst=1 delay=1; limit_req_log_level notice; }
        location /both { alias ROOT/t; limit_req zone=slow2 burst=5 nodelay; limit_req zone=slow; }
        location /ep { alias ROOT/t; limit_req zone=slow2; error_page 503 /error.html?k=$arg_k; }
        location = /error.html { limit_req zone=slow2; }
        location /hold { alias ROOT/t; limit_req zone=slow2 burst=5; limit_req_log_level info; }
        location /small { alias ROOT/t; limit_req zone=small burst=5 nodelay; }
        location /ssi { alias ROOT/ssi.html; ssi on; default_type text/html; }
        location /realip { alias ROOT/t; set_real_ip_from 127.0.0.1; limit_req zone=addr; }
    }
}
`

// TestDifferential sends the same requests to nginx and to sluice: the
// same statuses, bodies and $limit_req_status, the same log lines (excess
// values compared to the request: they depend on the milliseconds between
// requests), the same 499 for a client leaving during a delay, and the
// same number of keys in a 32k zone before the least recently used goes.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	if err := os.WriteFile(filepath.Join(root, "ssi.html"), []byte(`<!--#include virtual="/plain?k=ssi" -->|<!--#include virtual="/plain?k=ssi" -->`), 0644); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(diffConf, "ROOT", root)
	// the full zone's "could not allocate node" is an [alert]
	n := oracle.StartWith(t, conf, oracle.Options{AllowAlerts: true})
	s := servertest.Start(t, conf)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Status")
	cmp.CloseWait = -1
	send := func(t *testing.T, uri string) {
		t.Helper()
		oracle.Compare(t, "GET "+uri+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
	}
	cases := []struct {
		name string
		uris []string // %s is the case's key
	}{
		{"no burst", []string{"/plain?k=%s", "/plain?k=%s", "/plain?k=%s"}},
		{"nodelay", []string{"/nodelay?k=%s", "/nodelay?k=%s", "/nodelay?k=%s"}},
		{"status", []string{"/status?k=%s", "/status?k=%s"}},
		{"dry run", []string{"/dry?k=%s", "/dry?k=%s", "/dry?k=%s"}},
		{"log level notice", []string{"/notice?k=%s", "/notice?k=%s", "/notice?k=%s"}},
		{"empty key", []string{"/plain", "/plain", "/plain?k="}},
		{"inherited", []string{"/inherit?k=%s", "/inherit?k=%s"}},
		{"two limits", []string{"/both?k=%s", "/both?k=%s", "/both?k=%s"}},
		{"error page", []string{"/ep?k=%s", "/ep?k=%s", "/ep?k=%s"}},
		{"no limit", []string{"/t?k=%s"}},
		// the first include sets the main request's $limit_req_status: the
		// second is not limited
		{"subrequests", []string{"/ssi", "/ssi"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			for _, u := range tc.uris {
				if strings.Contains(u, "%s") {
					u = fmt.Sprintf(u, key)
				}
				send(t, u)
			}
		})
	}

	// realip runs first in the preaccess phase: the key is the address
	// from X-Real-IP
	t.Run("realip", func(t *testing.T) {
		for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.1"} {
			oracle.Compare(t, "GET /realip HTTP/1.0\r\nX-Real-IP: "+ip+"\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		}
	})

	t.Run("zone bound", func(t *testing.T) {
		for i := range 191 {
			k := fmt.Sprintf("/small?k=%03d", i)
			send(t, k)
			if i == 1 {
				for range 5 {
					send(t, k)
				}
			}
		}
		for _, u := range []string{"/small?k=000", "/small?k=new", "/small?k=001", "/small?k=001",
			"/small?k=" + strings.Repeat("x", 200), "/small?k=003", "/small?k=004"} {
			send(t, u)
		}
	})

	t.Run("client leaves during a delay", func(t *testing.T) {
		for _, side := range []struct {
			addr    string
			errLog  func() string
			readLog func() string
		}{
			{n.Addr(0), n.ErrorLog, n.AccessLog},
			{s.Addr("0"), s.ErrorLog, func() string { return s.ReadFile("access.log") }},
		} {
			c := testutil.Dial(t, side.addr)
			c.WriteString("GET /hold?k=gone HTTP/1.1\r\nHost: localhost\r\n\r\n")
			if _, err := c.ReadResponse(); err != nil {
				t.Fatal(err)
			}
			c.WriteString("GET /hold?k=gone HTTP/1.1\r\nHost: localhost\r\n\r\n")
			waitFor(t, side.errLog, `delaying request, excess: [0-9.]+, by zone "slow2", client: 127\.0\.0\.1, server: localhost, request: "GET /hold\?k=gone `)
			c.Close()
			waitFor(t, side.readLog, regexp.QuoteMeta("/hold?k=gone 499 DELAYED\n"))
			waitFor(t, side.errLog, `client prematurely closed connection`)
		}
	})

	want, got := logLines(n.ErrorLog()), logLines(s.ErrorLog())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 10 {
		t.Errorf("nginx logged %d lines of limit_req, the test expects more:\n%s", len(want), strings.Join(want, "\n"))
	}
	// the access logs, as sets of lines: sluice writes a line once the
	// response is sent, so a client's next request may come first
	if a, b := accessLines(n.AccessLog()), accessLines(s.ReadFile("access.log")); a != b {
		t.Errorf("access logs differ\nsluice:\n%s\nnginx:\n%s", b, a)
	}
}

var (
	limitLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: (?:\*\d+ )?((?:limiting requests|delaying request|could not allocate node|client prematurely closed connection).*)`)
	excessNum = regexp.MustCompile(`excess: (\d+\.\d{3})`)
)

// logLines are the error log's lines of limit_req (and of clients leaving),
// level and message, with each excess rounded to whole requests.
func logLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := limitLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		msg := excessNum.ReplaceAllStringFunc(m[2], func(s string) string {
			f, _ := strconv.ParseFloat(strings.TrimPrefix(s, "excess: "), 64)
			return fmt.Sprintf("excess: ~%.0f", math.Round(f))
		})
		out = append(out, "["+m[1]+"] "+msg)
	}
	return out
}

func accessLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// waitFor waits until read() matches re.
func waitFor(t *testing.T, read func() string, re string) {
	t.Helper()
	x := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for !x.MatchString(read()) {
		if time.Now().After(deadline) {
			t.Fatalf("log does not match %s:\n%s", re, read())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
