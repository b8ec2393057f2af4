package authbasic_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

func inLocation(s string) string {
	return "events {}\nhttp {\n    server {\n        location / {\n            " + s + "\n        }\n    }\n}\n"
}

// TestConf: the directives' errors, as nginx -t words them.
func TestConf(t *testing.T) {
	tests := []struct{ name, conf, want string }{
		{"valid", inLocation(`auth_basic "x"; auth_basic_user_file htpasswd;`), ``},
		{"valid variables", inLocation(`auth_basic $arg_r; auth_basic_user_file /etc/$arg_f;`), ``},
		{"limit_except", inLocation(`limit_except GET { auth_basic "x"; auth_basic_user_file htpasswd; }`), ``},
		{"realm duplicate", inLocation(`auth_basic "x"; auth_basic "y";`), `"auth_basic" directive is duplicate in FILE:5`},
		{"file duplicate", inLocation(`auth_basic_user_file a; auth_basic_user_file b;`), `"auth_basic_user_file" directive is duplicate in FILE:5`},
		{"realm arguments", inLocation(`auth_basic;`), `invalid number of arguments in "auth_basic" directive in FILE:5`},
		{"file arguments", inLocation(`auth_basic_user_file a b;`), `invalid number of arguments in "auth_basic_user_file" directive in FILE:5`},
		{"in if", inLocation(`if ($arg_a) { auth_basic "x"; }`), `"auth_basic" directive is not allowed here in FILE:5`},
		{"unknown variable", inLocation(`auth_basic_user_file $nosuch;`), `unknown "nosuch" variable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, tc.conf).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}

const serveConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root ROOT;
        auth_basic "site";
        auth_basic_user_file htpasswd;
        location /delay/ { auth_delay 300ms; alias ROOT/; }
        location /any/ { satisfy any; deny all; auth_delay 300ms; alias ROOT/; }
    }
}
`

func get(t *testing.T, addr, uri, head string) *testutil.Response {
	t.Helper()
	c := testutil.Dial(t, addr)
	defer c.Close()
	c.WriteString("GET " + uri + " HTTP/1.0\r\nHost: localhost\r\n" + head + "\r\n")
	r, err := c.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestServe covers what the differential test cannot: a relative user
// file (relative to the configuration's directory), changes to the file
// seen at the next request, the schemes sluice refuses to verify, a
// password field cut at 2048 bytes, and auth_delay's timing.
func TestServe(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	s := servertest.Start(t, strings.ReplaceAll(serveConf, "ROOT", root))
	pw := filepath.Join(s.Prefix(), "htpasswd")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(pw, []byte(content), 0644); err != nil {
			t.Fatal(err)
		}
	}
	unsupported, err := os.ReadFile("testdata/unsupported.txt")
	if err != nil {
		t.Fatal(err)
	}
	yescrypt := strings.Split(string(unsupported), "\n")[1]
	long := strings.Repeat("x", 3000)

	cases := []struct {
		name, file, head string
		status           int
		log              string
	}{
		{"relative file", "u:{PLAIN}pw\n", basic("u:pw"), 200, ""},
		{"changed file", "u:{PLAIN}new\n", basic("u:pw"), 401, `\[error\] \d+#\d+: \*\d+ user "u": password mismatch, client: 127.0.0.1`},
		{"changed file, new password", "u:{PLAIN}new\n", basic("u:new"), 200, ""},
		{"yescrypt", "u:" + yescrypt + "\n", basic("u:password"), 500, `\[crit\] \d+#\d+: \*\d+ user "u": password scheme of "\$y\$" is not supported, client: 127.0.0.1`},
		{"password field of 2048 bytes", "u:{PLAIN}" + long + "\n", basic("u:" + long[:2048-len("{PLAIN}")]), 200, ""},
		{"password field longer", "u:{PLAIN}" + long + "\n", basic("u:" + long), 401, `password mismatch`},
		{"user after a long line", "v:{PLAIN}" + long + "\nu:{PLAIN}pw\n", basic("u:pw"), 200, ""},
		{"file gone", "", basic("u:pw"), 403, `\[error\] \d+#\d+: \*\d+ open\(\) "` + regexp.QuoteMeta(pw) + `" failed \(2: No such file or directory\), client: 127.0.0.1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "file gone" {
				os.Remove(pw)
			} else {
				write(tc.file)
			}
			r := get(t, s.Addr("0"), "/", tc.head)
			if r.StatusCode != tc.status {
				t.Errorf("status %d, want %d", r.StatusCode, tc.status)
			}
			if tc.log != "" && !regexp.MustCompile(tc.log).MatchString(s.ErrorLog()) {
				t.Errorf("no %q in the log:\n%s", tc.log, s.ErrorLog())
			}
		})
	}

	write("u:{PLAIN}pw\n")
	delays := []struct {
		name, uri, head string
		status          int
		delayed         bool
	}{
		{"wrong password delayed", "/delay/", basic("u:x"), 401, true},
		{"no credentials delayed", "/delay/", "", 401, true},
		{"right password not delayed", "/delay/", basic("u:pw"), 200, false},
		{"satisfy any delayed", "/any/", basic("u:x"), 401, true},
		{"no auth_delay", "/", basic("u:x"), 401, false},
	}
	for _, tc := range delays {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := get(t, s.Addr("0"), tc.uri, tc.head)
			d := time.Since(start)
			if r.StatusCode != tc.status {
				t.Errorf("status %d, want %d", r.StatusCode, tc.status)
			}
			if tc.delayed && d < 300*time.Millisecond || !tc.delayed && d >= 300*time.Millisecond {
				t.Errorf("answered after %v (delayed: %v)", d, tc.delayed)
			}
		})
	}
	if !regexp.MustCompile(`\[info\] \d+#\d+: \*\d+ delaying unauthorized request, client`).MatchString(s.ErrorLog()) {
		t.Errorf("no delay logged:\n%s", s.ErrorLog())
	}
}
