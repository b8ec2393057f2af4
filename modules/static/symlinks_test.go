package static_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// symlinksConf serves one tree under several disable_symlinks settings.
const symlinksConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location /off/ { alias %%PREFIX%%/t/; }
        location /on/ { disable_symlinks on; alias %%PREFIX%%/t/; }
        location /owner/ { disable_symlinks if_not_owner; alias %%PREFIX%%/t/; }
        location /from/ { disable_symlinks on from=%%PREFIX%%/t/dirlink; alias %%PREFIX%%/t/; }
        location /fromdoc/ { root %%PREFIX%%/t/dirlink; disable_symlinks on from=$document_root; }
        location /try/ {
            disable_symlinks on;
            alias %%PREFIX%%/t/;
            try_files $uri =410;
        }
        location /if/ {
            disable_symlinks on;
            alias %%PREFIX%%/t/;
            if (-f $request_filename) { return 204; }
            return 410;
        }
        location /ifowner/ {
            disable_symlinks if_not_owner;
            alias %%PREFIX%%/t/;
            if (-e $request_filename) { return 204; }
            return 410;
        }
        location /index/ { disable_symlinks on; alias %%PREFIX%%/t/; index index.html; }
        location /inherit/ {
            disable_symlinks on;
            location /inherit/off/ { disable_symlinks off; alias %%PREFIX%%/t/; }
            location /inherit/on/ { alias %%PREFIX%%/t/; }
        }
    }
}
`

// symlinkTree makes the tree under prefix/t: a file, a link to it (same
// owner), a link whose owner does not own its target, a directory, a link
// to that directory and a link to a file in it.
func symlinkTree(t *testing.T, prefix string) {
	t.Helper()
	d := filepath.Join(prefix, "t")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(d, "dir"), 0755))
	must(os.WriteFile(filepath.Join(d, "file.txt"), []byte("file\n"), 0644))
	must(os.WriteFile(filepath.Join(d, "dir", "index.html"), []byte("index\n"), 0644))
	must(os.WriteFile(filepath.Join(d, "dir", "in.txt"), []byte("in\n"), 0644))
	must(os.Symlink("file.txt", filepath.Join(d, "link")))
	must(os.Symlink("dir", filepath.Join(d, "dirlink")))
	must(os.Symlink("dir/in.txt", filepath.Join(d, "deeplink")))
	// a link whose owner is not its target's: as root the link is given
	// away; otherwise it points at a file root owns
	if os.Getuid() == 0 {
		must(os.Symlink("file.txt", filepath.Join(d, "other")))
		must(os.Lchown(filepath.Join(d, "other"), 65534, 65534))
	} else {
		must(os.Symlink("/etc/passwd", filepath.Join(d, "other")))
	}
	// the trees are made one after the other: the same times for both
	must(setTimes(d))
	// the test process may run under a temporary directory reached
	// through a link itself: the tree's own path must hold none, or
	// every request of "on" fails
	if real, err := filepath.EvalSymlinks(prefix); err != nil || real != strings.TrimSuffix(prefix, "/") {
		t.Fatalf("the test prefix %s is reached through a symbolic link (%s): disable_symlinks cannot be tested there", prefix, real)
	}
}

var symlinkRequests = []struct{ name, uri string }{
	{"off file", "/off/file.txt"},
	{"off link", "/off/link"},
	{"off other owner", "/off/other"},
	{"off through dir link", "/off/dirlink/in.txt"},
	{"on file", "/on/file.txt"},
	{"on file in dir", "/on/dir/in.txt"},
	{"on link", "/on/link"},
	{"on other owner", "/on/other"},
	{"on through dir link", "/on/dirlink/in.txt"},
	{"on link to a deeper file", "/on/deeplink"},
	{"on missing", "/on/missing"},
	{"on complex path", "/on/./dir/../file.txt"},
	{"owner link", "/owner/link"},
	{"owner other owner", "/owner/other"},
	{"owner through dir link", "/owner/dirlink/in.txt"},
	{"from: the link is in the unchecked part", "/from/dirlink/in.txt"},
	{"from: a link after it", "/from/link"},
	{"from document root", "/fromdoc/in.txt"},
	{"try_files file", "/try/file.txt"},
	{"try_files link", "/try/link"},
	{"if -f file", "/if/file.txt"},
	{"if -f link", "/if/link"},
	{"if -e same owner", "/ifowner/link"},
	{"if -e other owner", "/ifowner/other"},
	{"index in dir", "/index/dir/"},
	{"index through dir link", "/index/dirlink/"},
	{"inherited off", "/inherit/off/link"},
	{"inherited on", "/inherit/on/link"},
}

// TestDifferentialSymlinks: the same tree and requests to Debian's nginx
// and to sluice under disable_symlinks off, on, if_not_owner and from=,
// through the static handler, try_files, if and index: same answers,
// same error log lines.
func TestDifferentialSymlinks(t *testing.T) {
	n := oracle.Start(t, symlinksConf)
	s := servertest.Start(t, "error_log error.log info;\n"+symlinksConf)
	symlinkTree(t, n.Prefix())
	symlinkTree(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	delete(cmp.Normalize, "etag")
	delete(cmp.Normalize, "last-modified")
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	for _, tc := range symlinkRequests {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, "GET "+tc.uri+" HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
	want := requestLogLines(n.ErrorLog(), n.Prefix()+"/")
	got := requestLogLines(s.ErrorLog(), s.Prefix())
	if len(want) < 8 {
		t.Errorf("nginx logged only %d request lines:\n%s", len(want), n.ErrorLog())
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("error log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

// TestSymlinksConf: disable_symlinks's errors, worded as nginx's.
func TestSymlinksConf(t *testing.T) {
	tests := []struct{ name, args, err string }{
		{"no mode", "from=/x", `"disable_symlinks" must have "off", "on" or "if_not_owner" parameter`},
		{"from with off", "off from=/x", `"from=" cannot be used with "off" parameter`},
		{"two modes", "on off", `duplicate parameters "on off"`},
		{"unknown", "yes", `invalid parameter "yes"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := "events {}\nhttp {\n    disable_symlinks " + tc.args + ";\n}\n"
			want := oracle.CheckConfig(t, conf).Emerg
			if !strings.Contains(want, tc.err) {
				t.Fatalf("nginx -t says %q, the test expects %q", want, tc.err)
			}
			if got := servertest.LoadError(t, conf, nil); got != want {
				t.Errorf("sluice: %q\nnginx: %q", got, want)
			}
		})
	}
	// accepted: each mode, with and without from=
	for _, args := range []string{"off", "on", "if_not_owner", "on from=/srv", "if_not_owner from=$document_root"} {
		conf := "events {}\nhttp {\n    disable_symlinks " + args + ";\n}\n"
		if got := servertest.LoadError(t, conf, nil); got != "" {
			t.Errorf("disable_symlinks %s: %s", args, got)
		}
	}
}
