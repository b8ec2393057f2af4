package authbasic_test

import (
	"encoding/base64"
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

// diffConf is served by Debian's nginx and by sluice alike; ROOT holds
// index.html and testdata/htpasswd.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root ROOT;
        add_header X-User "$remote_user" always;
        location / {
            auth_basic "closed site";
            auth_basic_user_file ROOT/htpasswd;
            location /inner/ { auth_basic off; alias ROOT/; }
            location /var/ { auth_basic_user_file ROOT/$arg_f; alias ROOT/; }
            location /realm/ { auth_basic $arg_r; alias ROOT/; }
        }
        location /quote/ { auth_basic 'say "hi" \ there'; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /empty/ { auth_basic ""; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /nofile/ { auth_basic "x"; auth_basic_user_file ROOT/nonexistent; alias ROOT/; }
        location /dir/ { auth_basic "x"; auth_basic_user_file ROOT/; alias ROOT/; }
        location /onlyrealm/ { auth_basic "x"; alias ROOT/; }
        location /any/ { satisfy any; allow 192.0.2.1; deny all; auth_basic "any"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; auth_basic "any"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /anynofile/ { satisfy any; deny all; auth_basic "any"; auth_basic_user_file ROOT/nonexistent; alias ROOT/; }
        location /all/ { allow 127.0.0.1; deny all; auth_basic "all"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /alldeny/ { deny all; auth_basic "all"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /lmt/ { alias ROOT/; limit_except GET { auth_basic "lmt"; auth_basic_user_file ROOT/htpasswd; } }
        location /delay/ { auth_delay 200ms; auth_basic "delay"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; }
        location /ep/ { auth_basic "ep"; auth_basic_user_file ROOT/htpasswd; alias ROOT/; error_page 401 /e401.html; }
        location = /e401.html { }
        location /user/ { return 200 "user=[$remote_user]\n"; }
    }
}
`

// docroot makes the document root: index.html, e401.html and the
// password file of testdata.
func docroot(t *testing.T) string {
	dir := t.TempDir()
	pw, err := os.ReadFile("testdata/htpasswd")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"index.html": []byte("SEETHIS\n"), "e401.html": []byte("custom 401\n"), "htpasswd": pw} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func basic(userpass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userpass)) + "\r\n"
}

// TestDifferential sends the same requests to nginx and to sluice: same
// statuses, bodies, WWW-Authenticate and $remote_user, and the same error
// log lines of the module.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	conf := strings.ReplaceAll(diffConf, "ROOT", root)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, conf)
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-User")
	cmp.CloseWait = -1

	cases := []struct {
		name, uri, head string
	}{
		{"no credentials", "/", ""},
		{"plain", "/", basic("plain:password")},
		{"plain wrong", "/", basic("plain:Password")},
		{"sha", "/", basic("sha:password")},
		{"sha wrong", "/", basic("sha:123")},
		{"ssha", "/", basic("ssha:password")},
		{"ssha wrong", "/", basic("ssha:123")},
		{"apr1", "/", basic("apr1:password")},
		{"apr1 wrong", "/", basic("apr1:passwort")},
		{"md5-crypt", "/", basic("md5:password")},
		{"md5-crypt wrong", "/", basic("md5:pass")},
		{"sha256-crypt", "/", basic("sha256:password")},
		{"sha256-crypt rounds", "/", basic("sha256r:password")},
		{"sha256-crypt wrong", "/", basic("sha256:x")},
		{"sha512-crypt", "/", basic("sha512:password")},
		{"sha512-crypt rounds", "/", basic("sha512r:password")},
		{"sha512-crypt wrong", "/", basic("sha512r:x")},
		{"des", "/", basic("des:password")},
		{"des first 8 characters", "/", basic("des:password123")},
		{"des wrong", "/", basic("des:passwor")},
		{"bcrypt 2y", "/", basic("bcrypt:password")},
		{"bcrypt 2b", "/", basic("bcryptb:password")},
		{"bcrypt 2a", "/", basic("bcrypta:password")},
		{"bcrypt wrong", "/", basic("bcrypt:passwd")},
		{"utf-8 password", "/", basic("utf8:ünïcode")},
		{"missing user", "/", basic("nobody:password")},
		{"user prefix of another", "/", basic("a:password")},
		{"commented user", "/", basic("hidden:password")},
		{"#commented user", "/", basic("#hidden:password")},
		{"indented line", "/", basic("spaced:password")},
		{"indented user", "/", basic("  spaced:password")},
		{"comment field", "/", basic("comment:password")},
		{"crlf line", "/", basic("crlf:password")},
		{"empty hash", "/", basic("empty:")},
		{"empty hash, password", "/", basic("empty:x")},
		{"broken md5", "/", basic("broken:1")},
		{"junk hash", "/", basic("junk:!!")},
		{"colon in password", "/", basic("colon:pa:ss")},
		{"colon in password, field", "/", basic("colon:pa")},
		{"first duplicate", "/", basic("dup:first")},
		{"second duplicate", "/", basic("dup:second")},
		{"last line", "/", basic("last:password")},
		{"no final newline", "/", basic("nonl:password")},
		{"nul in password", "/", basic("plain:password\x00junk")},
		{"empty password", "/", basic("plain:")},
		{"empty user", "/", basic(":password")},
		{"no colon", "/", basic("plainpassword")},
		{"scheme in lower case", "/", "Authorization: basic " + base64.StdEncoding.EncodeToString([]byte("plain:password")) + "\r\n"},
		{"spaces before credentials", "/", "Authorization: Basic     " + base64.StdEncoding.EncodeToString([]byte("plain:password")) + "\r\n"},
		{"no padding", "/", "Authorization: Basic " + base64.RawStdEncoding.EncodeToString([]byte("plain:password")) + "\r\n"},
		{"junk after padding", "/", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("plain:password")) + "!!junk\r\n"},
		{"not base64", "/", "Authorization: Basic cGxhaW46c!!!\r\n"},
		{"base64 4n+1", "/", "Authorization: Basic cGxhaW46cGFzc3dvcmQ\r\n"[:len("Authorization: Basic cGxhaW46cGFzc3dvcmQ")-2] + "\r\n"},
		{"base64url", "/", "Authorization: Basic " + base64.URLEncoding.EncodeToString([]byte("plain:>>>?")) + "\r\n"},
		{"no credentials after Basic", "/", "Authorization: Basic\r\n"},
		{"only spaces after Basic", "/", "Authorization: Basic    \r\n"},
		{"other scheme", "/", "Authorization: Bearer abc\r\n"},
		{"two Authorization headers", "/", basic("plain:password") + basic("plain:password")},
		{"auth_basic off nested", "/inner/", ""},
		{"user file variable", "/var/?f=htpasswd", basic("apr1:password")},
		{"user file variable missing", "/var/?f=nx", basic("apr1:password")},
		{"user file variable empty", "/var/", basic("apr1:password")},
		{"realm variable", "/realm/?r=from%20arg", ""},
		{"realm variable off", "/realm/?r=off", ""},
		{"realm variable empty", "/realm/", ""},
		{"realm with quotes", "/quote/", ""},
		{"empty realm", "/empty/", ""},
		{"user file missing", "/nofile/", basic("plain:password")},
		{"user file missing, no credentials", "/nofile/", ""},
		{"user file a directory", "/dir/", basic("plain:password")},
		{"no user file", "/onlyrealm/", ""},
		{"satisfy any, denied, no credentials", "/any/", ""},
		{"satisfy any, denied, right password", "/any/", basic("plain:password")},
		{"satisfy any, denied, wrong password", "/any/", basic("plain:x")},
		{"satisfy any, allowed", "/anyallow/", ""},
		{"satisfy any, allowed, wrong password", "/anyallow/", basic("plain:x")},
		{"satisfy any, no file", "/anynofile/", basic("plain:password")},
		{"satisfy all, allowed, no credentials", "/all/", ""},
		{"satisfy all, allowed, right password", "/all/", basic("plain:password")},
		{"satisfy all, denied", "/alldeny/", basic("plain:password")},
		{"limit_except GET", "/lmt/", ""},
		{"auth_delay", "/delay/", basic("plain:x")},
		{"auth_delay, right password", "/delay/", basic("plain:password")},
		{"error_page 401", "/ep/", ""},
		{"remote_user without auth_basic", "/user/", basic("some one:x")},
		{"remote_user of a bad header", "/user/", "Authorization: Basic !!\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, "GET "+tc.uri+" HTTP/1.0\r\nHost: localhost\r\n"+tc.head+"\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
	t.Run("limit_except POST", func(t *testing.T) {
		oracle.Compare(t, "POST /lmt/ HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		oracle.Compare(t, "POST /lmt/ HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n"+basic("md5:password")+"\r\n", n.Addr(0), s.Addr("0"), cmp)
	})

	want, got := logLines(n.ErrorLog()), logLines(s.ErrorLog())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 40 {
		t.Errorf("nginx logged %d lines of auth_basic, the test expects more:\n%s", len(want), strings.Join(want, "\n"))
	}
}

var authLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: (?:\*\d+ )?((?:no user/password|user "|open\(\) |pread\(\) |access forbidden|delaying unauthorized|client prematurely).*)`)

// logLines are the error log's lines of the module (and of the access
// phase), level and message with its context.
func logLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := authLine.FindStringSubmatch(l); m != nil {
			out = append(out, "["+m[1]+"] "+m[2])
		}
	}
	return out
}

// TestDelayDifferential: a client that leaves while its 401 is delayed
// ends the request with 499 in both, logged alike.
func TestDelayDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	conf := strings.ReplaceAll(diffConf, "ROOT", root)
	conf = strings.ReplaceAll(conf, "auth_delay 200ms", "auth_delay 5s")
	n := oracle.Start(t, conf)
	s := servertest.Start(t, conf)
	for _, side := range []struct {
		addr   string
		errLog func() string
	}{{n.Addr(0), n.ErrorLog}, {s.Addr("0"), s.ErrorLog}} {
		c := testutil.Dial(t, side.addr)
		start := time.Now()
		c.WriteString("GET /delay/ HTTP/1.1\r\nHost: localhost\r\n" + basic("plain:x") + "\r\n")
		waitFor(t, side.errLog, `delaying unauthorized request`)
		c.Close()
		waitFor(t, side.errLog, `client prematurely closed connection`)
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("the request ended after %v", d)
		}
	}
	want, got := logLines(n.ErrorLog()), logLines(s.ErrorLog())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func waitFor(t *testing.T, read func() string, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(5 * time.Second)
	for !re.MatchString(read()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", pattern, read())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
