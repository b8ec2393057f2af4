package httpd_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// postActionConf: post_action to a static file, to a proxied URI, to a
// named location, to a file that does not exist, after an error, and
// from a post_action location that has one of its own. BACKEND records
// the post actions' upstream requests; DIR holds the files.
const postActionConf = `
error_log error.log info;
events {}
http {
    log_format pa "$request $status $body_bytes_sent uri=$uri";
    access_log access.log pa;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root DIR;
        location = /static { post_action /post.html; return 200 "main\n"; }
        location = /post.html { }
        location = /proxied { post_action /to-backend; return 200 "main\n"; }
        location = /to-backend { proxy_pass http://BACKEND/seen?from=$request_uri; }
        location = /named { post_action @pa; return 200 "main\n"; }
        location @pa { proxy_pass http://BACKEND; }
        location = /missing { post_action /none.html; return 200 "main\n"; }
        location = /error { post_action /to-backend; return 404; }
        location = /chain { post_action /again; return 200 "main\n"; }
        location = /again { post_action /to-backend; return 200 "again\n"; }
    }
}
`

// TestDifferentialPostAction: post_action runs after the response, sends
// the client nothing more, and the request is logged once, afterwards;
// the same requests reach the backend from Debian's nginx and from
// sluice, and the same access log lines are written. A second request on
// the connection shows it is still usable.
func TestDifferentialPostAction(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "post.html"), []byte("HIDDEN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, uri string
		backend   []string // request lines the backend gets
	}{
		{name: "static", uri: "/static"},
		{name: "proxied", uri: "/proxied", backend: []string{"GET /seen?from=/proxied HTTP/1.0"}},
		{name: "named location", uri: "/named", backend: []string{"GET /named HTTP/1.0"}},
		{name: "missing file", uri: "/missing"},
		{name: "after an error", uri: "/error", backend: []string{"GET /seen?from=/error HTTP/1.0"}},
		{name: "post_action of the post_action", uri: "/chain", backend: []string{"GET /seen?from=/chain HTTP/1.0"}},
	}
	ok := testutil.HTTPResponse(200, "from backend\n")
	var logs [2][]string
	for i, name := range []string{"nginx", "sluice"} {
		be := testutil.StartBackend(t, testutil.Script{testutil.ReadRequest(), testutil.Write(ok)})
		text := strings.NewReplacer("DIR", dir, "BACKEND", be.Addr()).Replace(postActionConf)
		var addr string
		var accessLog func() string
		if i == 0 {
			n := oracle.Start(t, text)
			addr = n.Addr(0)
			accessLog = func() string { return readFile(t, filepath.Join(n.Prefix(), "access.log")) }
		} else {
			s := servertest.Start(t, text)
			addr = s.Addr("0")
			accessLog = func() string { return readFile(t, filepath.Join(s.Prefix(), "access.log")) }
		}
		for _, tc := range cases {
			c := testutil.Dial(t, addr)
			before := len(be.Requests())
			for range 2 {
				if err := c.WriteString("GET " + tc.uri + " HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := c.ReadResponse()
				if err != nil {
					t.Fatalf("%s %s: %v", name, tc.name, err)
				}
				if strings.Contains(string(resp.Body), "HIDDEN") || strings.Contains(string(resp.Body), "backend") {
					t.Errorf("%s %s: the post action's output reached the client: %q", name, tc.name, resp.Body)
				}
			}
			c.Close()
			if !be.WaitRequests(before+2*len(tc.backend), 5*time.Second) && len(tc.backend) > 0 {
				t.Errorf("%s %s: the backend got %d requests, want %d", name, tc.name, len(be.Requests())-before, 2*len(tc.backend))
			}
			var got []string
			for _, r := range be.Requests()[before:] {
				got = append(got, r.Line())
			}
			want := append(append([]string(nil), tc.backend...), tc.backend...)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %s: backend got %q, want %q", name, tc.name, got, want)
			}
		}
		// every request is logged once, after its post action
		var lines []string
		for end := time.Now().Add(5 * time.Second); len(lines) < 2*len(cases) && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			lines = strings.Fields(strings.ReplaceAll(strings.TrimSpace(accessLog()), " ", "_"))
		}
		// sorted: a request is logged when its post action ends, which
		// may be after the next connection's request
		slices.Sort(lines)
		logs[i] = lines
	}
	if strings.Join(logs[0], "\n") != strings.Join(logs[1], "\n") {
		t.Errorf("access logs differ\nnginx:\n%s\nsluice:\n%s", strings.Join(logs[0], "\n"), strings.Join(logs[1], "\n"))
	}
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
