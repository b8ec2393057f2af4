package access_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

const rulesConf = `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        listen unix:%%PREFIX%%/s.sock;
        server_name localhost;
        root %%PREFIX%%;
        deny 127.0.0.2;
        allow all;

        location /allow_all { allow all; }
        location /deny_all { deny all; }
        location /allow_unix { allow unix:; }
        location /deny_unix { deny unix:; }
        location /order { allow 127.0.0.1; deny all; }
        location /order2 { deny 127.0.0.0/8; allow 127.0.0.1; }
        location /net { deny 127.0.0.0/24; }
        location /othernet { deny 10.0.0.0/8; }
        location /v6only { deny ::1; deny ::/0; }
        location /inherit { }
        location /nested {
            deny all;
            location /nested/inner { }
            location /nested/own { allow 127.0.0.1; }
        }
        location /le {
            limit_except GET { deny all; }
        }
        location /any {
            satisfy any;
            deny all;
        }
        location /ep {
            error_page 403 /allow_all;
            deny all;
        }
    }
}
`

func TestRules(t *testing.T) {
	s := servertest.Start(t, strings.ReplaceAll(rulesConf, "%%PORT_0%%", "%%PORT_A%%"))
	sock := filepath.Join(s.Prefix(), "s.sock")
	tests := []struct {
		name, req string
		unix      bool
		status    int
		logged    bool
	}{
		{"allow all", "GET /allow_all", false, 404, false},
		{"deny all", "GET /deny_all", false, 403, true},
		{"allow unix over tcp", "GET /allow_unix", false, 404, false},
		{"deny unix over tcp", "GET /deny_unix", false, 404, false},
		{"first match allows", "GET /order", false, 404, false},
		{"first match denies", "GET /order2", false, 403, true},
		{"network", "GET /net", false, 403, true},
		{"other network", "GET /othernet", false, 404, false},
		{"v6 rules for a v4 client", "GET /v6only", false, 404, false},
		{"server rules inherited", "GET /inherit", false, 404, false},
		{"nested inherits deny", "GET /nested/inner", false, 403, true},
		{"nested own rules", "GET /nested/own", false, 404, false},
		{"limit_except GET", "GET /le", false, 404, false},
		{"limit_except POST", "POST /le", false, 403, true},
		{"satisfy any denied", "GET /any", false, 403, true},
		{"error_page", "GET /ep", false, 404, true},
		{"unix allow all", "GET /allow_all", true, 404, false},
		{"unix deny all", "GET /deny_all", true, 403, true},
		{"unix allow unix", "GET /allow_unix", true, 404, false},
		{"unix deny unix", "GET /deny_unix", true, 403, true},
		{"unix ignores address rules", "GET /net", true, 404, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(s.ErrorLog(), "access forbidden by rule")
			var c *testutil.RawClient
			if tc.unix {
				nc, err := net.DialTimeout("unix", sock, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c = testutil.NewRawClient(nc)
			} else {
				c = testutil.Dial(t, s.Addr("A"))
			}
			defer c.Close()
			c.WriteString(tc.req + " HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatal(err)
			}
			c.WaitClosed(5 * time.Second)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := strings.Count(s.ErrorLog(), "access forbidden by rule") - before; got != map[bool]int{false: 0, true: 1}[tc.logged] {
				t.Errorf("%d \"access forbidden by rule\" lines:\n%s", got, s.ErrorLog())
			}
		})
	}
}

// TestOracleRules compares the answers with nginx's over TCP.
func TestOracleRules(t *testing.T) {
	conf := strings.Replace(rulesConf, "events {}\n", "", 1)
	ngx := oracle.Start(t, conf)
	s := servertest.Start(t, "events {}\n"+strings.ReplaceAll(conf, "%%PORT_0%%", "%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	for _, p := range []string{"/allow_all", "/deny_all", "/allow_unix", "/deny_unix", "/order", "/order2", "/net",
		"/othernet", "/v6only", "/inherit", "/nested/inner", "/nested/own", "/le", "/any", "/ep"} {
		for _, m := range []string{"GET", "POST", "HEAD"} {
			req := m + " " + p + " HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
			t.Run(m+strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
				c := cmp
				c.NoBody = m == "HEAD"
				oracle.Compare(t, req, ngx.Addr(0), s.Addr("A"), c)
			})
		}
	}
	want, got := forbidden(ngx.ErrorLog()), forbidden(s.ErrorLog())
	if want != got {
		t.Errorf("\"access forbidden by rule\" lines: sluice %d, nginx %d", got, want)
	}
}

func forbidden(log string) int {
	return strings.Count(log, "] access forbidden by rule") + strings.Count(log, " access forbidden by rule, client: ")
}

// inLocation puts a statement at line 6, inside a location.
func inLocation(stmt string) string {
	return "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + stmt + "\n        }\n    }\n}\n"
}

var confCases = []struct {
	name, conf string
	emerg      string // the error, or "" for a good configuration
	warn       string // a warning expected with a good configuration
}{
	{name: "address", conf: inLocation("allow 10.1.2.3;")},
	{name: "network", conf: inLocation("deny 10.0.0.0/8;")},
	{name: "low bits", conf: inLocation("deny 10.1.2.3/8;"), warn: "low address bits of 10.1.2.3/8 are meaningless in FILE:7"},
	{name: "v6 low bits", conf: inLocation("allow 2001:db8::1/32;"), warn: "low address bits of 2001:db8::1/32 are meaningless in FILE:7"},
	{name: "empty octet", conf: inLocation("allow 1..2.3;")},
	{name: "trailing dot", conf: inLocation("allow 1.2.3.;")},
	{name: "leading colon", conf: inLocation("allow :1::;")},
	{name: "unix", conf: inLocation("deny unix:;")},
	{name: "all", conf: inLocation("deny all;")},
	{name: "broadcast", conf: inLocation("allow 255.255.255.255;"), emerg: `invalid parameter "255.255.255.255" in FILE:7`},
	{name: "hostname", conf: inLocation("allow localhost;"), emerg: `invalid parameter "localhost" in FILE:7`},
	{name: "mask too long", conf: inLocation("deny 1.2.3.4/33;"), emerg: `invalid parameter "1.2.3.4/33" in FILE:7`},
	{name: "v6 mask too long", conf: inLocation("deny ::/129;"), emerg: `invalid parameter "::/129" in FILE:7`},
	{name: "All", conf: inLocation("deny All;"), emerg: `invalid parameter "All" in FILE:7`},
	{name: "unix path", conf: inLocation("deny unix:/tmp/s;"), emerg: `invalid parameter "unix:/tmp/s" in FILE:7`},
	{name: "zone", conf: inLocation("deny fe80::1%lo;"), emerg: `invalid parameter "fe80::1%lo" in FILE:7`},
	{name: "arity", conf: inLocation("deny 1.2.3.4 5.6.7.8;"), emerg: `invalid number of arguments in "deny" directive in FILE:7`},
	{name: "in if", conf: inLocation("if ($uri) { deny all; }"), emerg: `"deny" directive is not allowed here in FILE:7`},
}

func TestConf(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(path, []byte(tc.conf), 0644); err != nil {
				t.Fatal(err)
			}
			o, _ := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
			cy, err := core.Load(o, modules.All(), nil, nil, nil)
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), path, "FILE")
			} else {
				cy.Files.CloseAll()
			}
			if got != tc.emerg {
				t.Errorf("error %q, want %q", got, tc.emerg)
			}
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			if tc.warn != "" && !strings.Contains(strings.ReplaceAll(string(log), path, "FILE"), tc.warn) {
				t.Errorf("warning %q missing from:\n%s", tc.warn, log)
			}
		})
	}
}

// TestConfOracle checks the cases against nginx -t.
func TestConfOracle(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			c := oracle.CheckConfig(t, tc.conf)
			warn := strings.Join(c.Warns, "\n")
			if c.Emerg != tc.emerg || warn != tc.warn {
				t.Errorf("nginx: emerg %q warn %q; the test expects %q %q", c.Emerg, warn, tc.emerg, tc.warn)
			}
		})
	}
}
