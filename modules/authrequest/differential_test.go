package authrequest_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice alike. AUTH is the
// side's auth server, MAIN its application backend, DOWN a refused
// address, ROOT a document root with the password file.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    log_format ar '$request_method $request_uri $uri $status up=[$upstream_status] u=[$u] s=[$s]';
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        access_log %%PREFIX%%/ar.log ar;
        log_subrequest on;
        proxy_set_header Connection "";
        location /p/ { auth_request /auth; proxy_pass http://MAIN; }
        location = /auth { proxy_pass http://AUTH; }
        location = /auth-down { proxy_pass http://DOWN; }
        location = /auth-hide { proxy_hide_header WWW-Authenticate; proxy_pass http://AUTH; }
        location /hide/ { auth_request /auth-hide; proxy_pass http://MAIN; }
        location = /auth-small { client_max_body_size 1; proxy_pass http://AUTH; }
        location = /auth-ep {
            proxy_pass http://AUTH;
            proxy_intercept_errors on;
            error_page 404 = /auth-404;
        }
        location = /auth-404 { return 403; }
        location = /auth-204 { return 204; }
        location = /auth-addheader { add_header WWW-Authenticate "Basic realm=added" always; return 401; }
        location /addheader/ { auth_request /auth-addheader; proxy_pass http://MAIN; }
        location = /auth-403 { return 403; }
        location = /auth-file { root ROOT; try_files /index.html =404; }
        location /down/ { auth_request /auth-down; proxy_pass http://MAIN; }
        location /big/ { client_max_body_size 100; auth_request /auth-small; proxy_pass http://MAIN; }
        location /authep/ { auth_request /auth-ep; proxy_pass http://MAIN; }
        location /static204/ { auth_request /auth-204; proxy_pass http://MAIN; }
        location /static403/ { auth_request /auth-403; proxy_pass http://MAIN; }
        location /file/ { auth_request /auth-file; proxy_pass http://MAIN; }
        location /set/ {
            auth_request /auth;
            auth_request_set $u $upstream_http_x_user;
            auth_request_set $s $upstream_status;
            auth_request_set $t "$upstream_http_x_user:$u";
            add_header X-U "[$u]" always;
            add_header X-S "[$s]" always;
            add_header X-T "[$t]" always;
            add_header X-Up "[$upstream_status]" always;
            proxy_set_header X-User $u;
            proxy_pass http://MAIN;
        }
        location /noset/ {
            add_header X-U "[$u]" always;
            return 200 "u=[$u]\n";
        }
        location /off/ {
            auth_request /auth;
            proxy_pass http://MAIN;
            location /off/in/ { auth_request off; proxy_pass http://MAIN; }
        }
        location /any/ { satisfy any; allow 192.0.2.1; deny all; auth_request /auth; proxy_pass http://MAIN; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; auth_request /auth; proxy_pass http://MAIN; }
        location /all/ { allow 127.0.0.1; deny all; auth_request /auth; proxy_pass http://MAIN; }
        location /alldeny/ { deny all; auth_request /auth; proxy_pass http://MAIN; }
        location /anybasic/ {
            satisfy any;
            auth_basic "basic";
            auth_basic_user_file ROOT/htpasswd;
            auth_request /auth;
            proxy_pass http://MAIN;
        }
        location /allbasic/ {
            auth_basic "basic";
            auth_basic_user_file ROOT/htpasswd;
            auth_request /auth;
            proxy_pass http://MAIN;
        }
        location /ep/ {
            auth_request /auth;
            error_page 401 403 /denied.html;
            error_page 500 =503 /denied.html;
            proxy_pass http://MAIN;
        }
        location = /denied.html { root ROOT; }
        location /epset/ {
            auth_request /auth;
            auth_request_set $u $upstream_http_x_user;
            error_page 401 = /deniedvar;
            proxy_pass http://MAIN;
        }
        location = /deniedvar { return 200 "denied u=[$u]\n"; }
        location /again/ {
            auth_request /auth;
            error_page 403 = /p/redirected;
            proxy_pass http://MAIN;
        }
    }
}
`

// backends are one side's auth server and application backend.
type backends struct {
	auth, main *testutil.Backend
	mu         sync.Mutex
	rest       map[int][]byte // auth connection → bytes after its head
}

// authResponse answers as the request's X-Status header says (200 by
// default), with X-User: alice, and WWW-Authenticate lines from X-Www.
func authResponse(req testutil.Request) string {
	st, err := strconv.Atoi(req.Header("X-Status"))
	if err != nil {
		st = 200
	}
	hdrs := []string{"X-User: alice"}
	for _, l := range strings.Split(req.Head, "\r\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && strings.EqualFold(k, "X-Www") {
			hdrs = append(hdrs, "WWW-Authenticate: "+v)
		}
	}
	switch st {
	case 204:
		return "HTTP/1.1 204 No Content\r\n" + strings.Join(hdrs, "\r\n") + "\r\n\r\n"
	case 302:
		hdrs = append(hdrs, "Location: http://example.com/login")
	}
	return testutil.HTTPResponse(st, "auth body, never for the client\n", hdrs...)
}

func startBackends(t *testing.T) *backends {
	b := &backends{rest: map[int][]byte{}}
	b.auth = testutil.StartBackendFunc(t, func(i int) testutil.Script {
		return testutil.Script{
			testutil.ReadHead(),
			testutil.Func(func(c *testutil.BackendConn) error {
				var req testutil.Request
				for _, r := range b.auth.Requests() {
					if r.Conn == c.Index {
						req = r
					}
				}
				if req.Header("X-Status") == "stall" {
					// no answer: the server closes first
					return nil
				}
				_, err := c.Write([]byte(authResponse(req)))
				return err
			}),
			testutil.ReadToClose(func(rest []byte) {
				b.mu.Lock()
				b.rest[i] = rest
				b.mu.Unlock()
			}),
		}
	})
	b.main = testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Write(testutil.HTTPResponse(200, "main\n", "X-Main: yes")),
	})
	return b
}

// seen is what a side's backends received during one exchange: the auth
// requests' heads and what followed each head, and the main requests'
// heads and bodies, ports masked.
func (b *backends) seen(t *testing.T, nAuth, nMain int) string {
	t.Helper()
	// the auth connection's end is recorded once the server closed it
	b.auth.WaitFor(testutil.DefaultTimeout, func(*testutil.Backend) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.rest) >= len(b.auth.Requests())
	})
	var s strings.Builder
	mask := func(h string) string {
		for _, bk := range []*testutil.Backend{b.auth, b.main} {
			h = strings.ReplaceAll(h, strconv.Itoa(bk.Port()), "PORT")
		}
		return h
	}
	b.mu.Lock()
	for _, r := range b.auth.Requests()[nAuth:] {
		s.WriteString("auth: " + mask(r.Head) + "after head: " + strconv.Quote(string(b.rest[r.Conn])) + "\n")
	}
	b.mu.Unlock()
	for _, r := range b.main.Requests()[nMain:] {
		s.WriteString("main: " + mask(r.Head) + "body: " + strconv.Quote(string(r.Body)) + "\n")
	}
	return s.String()
}

func docroot(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"index.html":  "index\n",
		"denied.html": "custom denial page\n",
		"htpasswd":    "alice:{PLAIN}secret\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func basic(userpass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userpass)) + "\r\n"
}

func sideConf(root string, b *backends, down string) string {
	r := strings.NewReplacer("ROOT", root, "AUTH", b.auth.Addr(), "MAIN", b.main.Addr(), "DOWN", down)
	return r.Replace(diffConf)
}

// TestDifferential sends the same requests to nginx and to sluice, each
// with its own auth server and backend: same answers, same requests at
// the auth server (no body) and at the backend (the body), the same
// access log lines with the variables, and the same error log lines.
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	down := testutil.RefusedAddr(t)
	nb, sb := startBackends(t), startBackends(t)
	n := oracle.Start(t, sideConf(root, nb, down))
	s := servertest.Start(t, strings.ReplaceAll(sideConf(root, sb, down), "%%PORT_0%%", "%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-U", "X-S", "X-T", "X-Up", "X-Main", "X-User")
	cmp.CloseWait = -1

	const post = "POST %s HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n%s\r\nhello"
	cases := []struct {
		name, req string
	}{
		{"allow 200", get("/p/a", "X-Status: 200\r\n")},
		{"allow 204", get("/p/a", "X-Status: 204\r\n")},
		{"allow 206", get("/p/a", "X-Status: 206\r\n")},
		{"deny 401 with WWW-Authenticate", get("/p/a", "X-Status: 401\r\nX-Www: Bearer realm=\"api\"\r\n")},
		{"deny 401 without WWW-Authenticate", get("/p/a", "X-Status: 401\r\n")},
		{"deny 403", get("/p/a", "X-Status: 403\r\n")},
		{"403 with WWW-Authenticate", get("/p/a", "X-Status: 403\r\nX-Www: Basic realm=\"x\"\r\n")},
		{"unexpected 404", get("/p/a", "X-Status: 404\r\n")},
		{"unexpected 500", get("/p/a", "X-Status: 500\r\n")},
		{"unexpected 302", get("/p/a", "X-Status: 302\r\n")},
		{"unexpected 400", get("/p/a", "X-Status: 400\r\n")},
		{"auth server down", get("/down/a", "")},
		{"WWW-Authenticate hidden in the auth location", get("/hide/a", "X-Status: 401\r\nX-Www: Basic realm=\"h\"\r\n")},
		{"auth location error_page", get("/authep/a", "X-Status: 404\r\n")},
		{"auth location return 204", get("/static204/a", "")},
		{"auth location return 401 with add_header", get("/addheader/a", "")},
		{"auth location return 403", get("/static403/a", "")},
		{"auth location a file", get("/file/a", "")},
		{"HEAD allowed", "HEAD /p/a HTTP/1.0\r\nHost: localhost\r\nX-Status: 200\r\n\r\n"},
		{"HEAD denied", "HEAD /p/a HTTP/1.0\r\nHost: localhost\r\nX-Status: 401\r\nX-Www: Basic\r\n\r\n"},
		{"Authorization passed to the auth server", get("/p/a", basic("alice:secret"))},
		{"variables, allowed", get("/set/a", "X-Status: 200\r\n")},
		{"variables, 401", get("/set/a", "X-Status: 401\r\nX-Www: Basic realm=\"v\"\r\n")},
		{"variables, 403", get("/set/a", "X-Status: 403\r\n")},
		{"variables, unexpected", get("/set/a", "X-Status: 404\r\n")},
		{"variable never set", get("/noset/", "")},
		{"auth_request off nested", get("/off/in/a", "X-Status: 403\r\n")},
		{"auth_request outer", get("/off/a", "X-Status: 403\r\n")},
		{"satisfy any, denied, auth allows", get("/any/a", "X-Status: 200\r\n")},
		{"satisfy any, denied, auth 403", get("/any/a", "X-Status: 403\r\n")},
		{"satisfy any, denied, auth 401", get("/any/a", "X-Status: 401\r\nX-Www: Basic realm=\"a\"\r\n")},
		{"satisfy any, denied, auth unexpected", get("/any/a", "X-Status: 404\r\n")},
		{"satisfy any, allowed, auth not asked", get("/anyallow/a", "X-Status: 403\r\n")},
		{"satisfy all, allowed, auth allows", get("/all/a", "X-Status: 200\r\n")},
		{"satisfy all, allowed, auth 401", get("/all/a", "X-Status: 401\r\nX-Www: Basic realm=\"a\"\r\n")},
		{"satisfy all, denied, auth not asked", get("/alldeny/a", "X-Status: 200\r\n")},
		{"satisfy any, good password, auth not asked", get("/anybasic/a", "X-Status: 403\r\n"+basic("alice:secret"))},
		{"satisfy any, no password, auth allows", get("/anybasic/a", "X-Status: 200\r\n")},
		{"satisfy any, no password, auth 403", get("/anybasic/a", "X-Status: 403\r\n")},
		{"satisfy any, no password, auth 401", get("/anybasic/a", "X-Status: 401\r\nX-Www: Bearer\r\n")},
		{"satisfy any, wrong password, auth 500", get("/anybasic/a", "X-Status: 500\r\n"+basic("alice:x"))},
		{"satisfy all, good password, auth allows", get("/allbasic/a", "X-Status: 200\r\n"+basic("alice:secret"))},
		{"satisfy all, good password, auth 401", get("/allbasic/a", "X-Status: 401\r\nX-Www: Bearer\r\n"+basic("alice:secret"))},
		{"satisfy all, no password, auth not asked", get("/allbasic/a", "X-Status: 200\r\n")},
		{"POST allowed", sprintf(post, "/p/a", "X-Status: 200\r\n")},
		{"POST denied", sprintf(post, "/p/a", "X-Status: 403\r\n")},
		{"POST 401", sprintf(post, "/p/a", "X-Status: 401\r\nX-Www: Basic\r\n")},
		{"POST chunked allowed", "POST /p/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX-Status: 200\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"POST chunked denied", "POST /p/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX-Status: 403\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"POST body over the auth location's limit", sprintf(post, "/big/a", "X-Status: 200\r\n")},
		{"POST variables", sprintf(post, "/set/a", "X-Status: 200\r\n")},
		{"error_page 401", get("/ep/a", "X-Status: 401\r\nX-Www: Basic realm=\"e\"\r\n")},
		{"error_page 403", get("/ep/a", "X-Status: 403\r\n")},
		{"error_page 500", get("/ep/a", "X-Status: 404\r\n")},
		{"error_page sees the variables", get("/epset/a", "X-Status: 401\r\n")},
		{"internal redirect asks again", get("/again/a", "X-Status: 403\r\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			na, nm := len(nb.auth.Requests()), len(nb.main.Requests())
			sa, sm := len(sb.auth.Requests()), len(sb.main.Requests())
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("A"), cmp)
			want, got := nb.seen(t, na, nm), sb.seen(t, sa, sm)
			if got != want {
				t.Errorf("the backends received\nnginx:\n%s\nsluice:\n%s", want, got)
			}
		})
	}

	// Expect: 100-continue: the auth subrequest never answers it; the
	// proxied main request does when it reads the body, a denial does not
	for _, tc := range []struct{ name, status string }{{"allowed", "200"}, {"denied", "403"}} {
		t.Run("Expect "+tc.name, func(t *testing.T) {
			req := "POST /p/a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nExpect: 100-continue\r\n" +
				"Content-Length: 5\r\nX-Status: " + tc.status + "\r\n\r\nhello"
			var answers [2]string
			for i, addr := range []string{n.Addr(0), s.Addr("A")} {
				c := testutil.Dial(t, addr)
				c.WriteString(req)
				for {
					r, err := c.ReadResponse()
					if err != nil {
						t.Fatal(err)
					}
					answers[i] += strconv.Itoa(r.StatusCode) + " "
					if r.StatusCode >= 200 {
						answers[i] += strconv.Quote(string(oracle.NormalizeServerTokens(r.Body)))
						break
					}
				}
				c.Close()
			}
			if answers[0] != answers[1] {
				t.Errorf("nginx answered %s, sluice %s", answers[0], answers[1])
			}
		})
	}

	// the order of lines may differ: a line is written when its
	// connection is done
	sorted := func(s string) string {
		l := strings.Split(s, "\n")
		sort.Strings(l)
		return strings.Join(l, "\n")
	}
	// and a line is written when the connection is done: after a
	// lingering close, nginx's may come late
	nlog := func() string { return readFile(t, filepath.Join(n.Prefix(), "ar.log")) }
	// (wait until both logs hold the same lines: counting lines alone
	// could stop while each side still missed a different one)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if nl := strings.Count(nlog(), "\n"); nl >= len(cases)+2 && sorted(nlog()) == sorted(s.ReadFile("ar.log")) {
			break
		}
	}
	// log_subrequest is on: the auth subrequests' lines, with their own
	// $upstream_status, are compared too
	if !strings.Contains(nlog(), "GET /set/a /auth 401 up=[401]") {
		t.Errorf("no auth subrequest line in nginx's access log:\n%s", nlog())
	}
	if got, want := sorted(s.ReadFile("ar.log")), sorted(nlog()); got != want {
		t.Errorf("access log lines differ\nsluice:\n%s\nnginx:\n%s", got, want)
	}
	want, got := logLines(n.ErrorLog(), nb, down), logLines(s.ErrorLog(), sb, down)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 10 {
		t.Errorf("nginx logged %d lines, the test expects more:\n%s", len(want), strings.Join(want, "\n"))
	}
}

func get(uri, head string) string {
	return "GET " + uri + " HTTP/1.0\r\nHost: localhost\r\n" + head + "\r\n"
}

func sprintf(format string, a ...string) string {
	for _, s := range a {
		format = strings.Replace(format, "%s", s, 1)
	}
	return format
}

var errLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: (?:\*\d+ )?((?:auth request|access forbidden|client intended|connect\(\) failed|no user/password|user "|upstream).*)`)

// logLines are the error log's lines of the module and of what it meets,
// level and message with its context, the backends' ports masked.
func logLines(log string, b *backends, down string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := errLine.FindStringSubmatch(l); m != nil {
			line := "[" + m[1] + "] " + m[2]
			line = strings.ReplaceAll(line, b.auth.Addr(), "AUTH")
			line = strings.ReplaceAll(line, b.main.Addr(), "MAIN")
			line = strings.ReplaceAll(line, down, "DOWN")
			out = append(out, line)
		}
	}
	return out
}

func readFile(t *testing.T, name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// TestClientCloses: a client that closes its connection while the auth
// server has not answered ends the request as in nginx (499, the same
// log lines), and the auth connection is closed.
func TestClientCloses(t *testing.T) {
	testutil.CheckLeaks(t)
	root := docroot(t)
	down := testutil.RefusedAddr(t)
	nb, sb := startBackends(t), startBackends(t)
	n := oracle.Start(t, sideConf(root, nb, down))
	s := servertest.Start(t, strings.ReplaceAll(sideConf(root, sb, down), "%%PORT_0%%", "%%PORT_A%%"))
	for _, side := range []struct {
		addr string
		b    *backends
		log  func() string
	}{
		{n.Addr(0), nb, func() string { return readFile(t, filepath.Join(n.Prefix(), "ar.log")) }},
		{s.Addr("A"), sb, func() string { return s.ReadFile("ar.log") }},
	} {
		c := testutil.Dial(t, side.addr)
		c.WriteString(get("/set/a", "X-Status: stall\r\n"))
		if !side.b.auth.WaitRequests(1, testutil.DefaultTimeout) {
			t.Fatal("the auth server got no request")
		}
		c.Close()
		side.b.seen(t, 0, 0) // waits for the auth connection's close
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(side.log(), "GET /set/a /set/a"); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no access log line for the main request:\n%s", side.addr, side.log())
			}
		}
	}
	if got, want := s.ReadFile("ar.log"), readFile(t, filepath.Join(n.Prefix(), "ar.log")); got != want {
		t.Errorf("access log lines differ\nsluice:\n%s\nnginx:\n%s", got, want)
	}
	want, got := logLines(n.ErrorLog(), nb, down), logLines(s.ErrorLog(), sb, down)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(sb.main.Requests()) != 0 {
		t.Errorf("the backend got %d requests", len(sb.main.Requests()))
	}
}
