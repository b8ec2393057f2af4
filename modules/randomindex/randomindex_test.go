package randomindex_test

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const riConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        root %%PREFIX%%/t;
        absolute_redirect off;
        add_header X-URI "$uri?$args";
        location / { random_index on; }
        location /plain/ { alias %%PREFIX%%/t/one/; }
        location /nested/ {
            alias %%PREFIX%%/t/one/;
            random_index on;
            location /nested/off/ { random_index off; alias %%PREFIX%%/t/one/; }
        }
    }
}
`

// tree makes the directories the tests read under prefix/t.
func tree(t *testing.T, prefix string) {
	t.Helper()
	d := filepath.Join(prefix, "t")
	for _, f := range []struct{ path, body string }{
		{"one/only.txt", "only\n"},
		{"dots/.hidden", "hidden\n"},
		{"dots/index.html", "index\n"},
		{"dotsonly/.hidden", "hidden\n"},
		{"many/a", "a\n"},
		{"many/b", "b\n"},
		{"many/c", "c\n"},
		{"many/.d", "d\n"},
		{"many/sub/e", "e\n"},
	} {
		p := filepath.Join(d, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"empty", "links", "loop"} {
		if err := os.MkdirAll(filepath.Join(d, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []struct{ target, name string }{
		{"../one", "links/dirlink"},
		{"nowhere", "links/dangling"},
		{"../one/only.txt", "links/filelink"},
		{"self", "loop/self"},
	} {
		if err := os.Symlink(l.target, filepath.Join(d, l.name)); err != nil {
			t.Fatal(err)
		}
	}
}

var requests = []struct{ name, req string }{
	{"one file", "GET /one/ HTTP/1.0\r\n\r\n"},
	{"arguments kept", "GET /one/?a=1&b HTTP/1.0\r\n\r\n"},
	{"dot names skipped", "GET /dots/ HTTP/1.0\r\n\r\n"},
	{"only dot names", "GET /dotsonly/ HTTP/1.0\r\n\r\n"},
	{"empty", "GET /empty/ HTTP/1.0\r\n\r\n"},
	{"links: only the one to a file", "GET /links/ HTTP/1.0\r\n\r\n"},
	{"a link loop", "GET /loop/ HTTP/1.0\r\n\r\n"},
	{"missing", "GET /missing/ HTTP/1.0\r\n\r\n"},
	{"file as directory", "GET /one/only.txt/ HTTP/1.0\r\n\r\n"},
	{"not a directory URI", "GET /one HTTP/1.0\r\n\r\n"},
	{"post", "POST /one/ HTTP/1.0\r\nContent-Length: 2\r\n\r\nab"},
	{"put", "PUT /one/ HTTP/1.0\r\nContent-Length: 2\r\n\r\nab"},
	{"delete", "DELETE /one/ HTTP/1.0\r\n\r\n"},
	{"off", "GET /plain/ HTTP/1.0\r\n\r\n"},
	{"alias", "GET /nested/ HTTP/1.0\r\n\r\n"},
	{"off inside", "GET /nested/off/ HTTP/1.0\r\n\r\n"},
}

// TestDifferential sends the same requests to Debian's nginx and to
// sluice over the same tree: same answers, same error log lines.
func TestDifferential(t *testing.T) {
	// the collector is off, so that no finalizer closes a directory the
	// handler forgot (see CheckNoFDsUnder below)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	n := oracle.Start(t, riConf)
	s := servertest.Start(t, "error_log error.log info;\n"+riConf)
	tree(t, n.Prefix())
	tree(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	cmp.Headers = append(cmp.Headers, "X-URI")
	cmp.Normalize["last-modified"] = oracle.Present
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
	// every directory is closed, the failed reads' included
	testutil.CheckNoFDsUnder(t, s.Prefix()+"t")
	if n := len(oracle.ErrorLines(n.ErrorLog())); n < 3 {
		t.Errorf("nginx logged only %d request lines", n)
	}
	oracle.CompareErrorLogs(t, strings.ReplaceAll(n.ErrorLog(), n.Prefix()+"/", "PREFIX/"), strings.ReplaceAll(s.ErrorLog(), s.Prefix(), "PREFIX/"))
}

// TestRandom checks that every regular file is picked, and nothing else.
func TestRandom(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, riConf)
	tree(t, s.Prefix())
	seen := map[string]int{}
	for range 200 {
		r := testutil.RoundTrip(t, s.Addr("0"), "GET /many/ HTTP/1.0\r\n\r\n")
		if r.StatusCode != 200 {
			t.Fatalf("response:\n%s", r)
		}
		seen[r.Get("X-URI")]++
	}
	if len(seen) != 3 || seen["/many/a?"] == 0 || seen["/many/b?"] == 0 || seen["/many/c?"] == 0 {
		t.Errorf("picked %v, want a, b and c", seen)
	}
}

func TestConfErrors(t *testing.T) {
	for _, tc := range []struct{ name, conf, want string }{
		{"in server", "events {}\nhttp { server { random_index on; } }\n", `"random_index" directive is not allowed here in FILE:2`},
		{"value", "events {}\nhttp { server { location / { random_index yes; } } }\n", `invalid value "yes" in "random_index" directive, it must be "on" or "off" in FILE:2`},
		{"twice", "events {}\nhttp { server { location / { random_index on; random_index off; } } }\n", `"random_index" directive is duplicate in FILE:2`},
	} {
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
