package dav_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice alike, each over its
// own copy of the same tree.
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    client_body_temp_path %%PREFIX%%/client_temp;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        absolute_redirect off;
        root %%PREFIX%%/html;
        location / { dav_methods PUT DELETE MKCOL COPY MOVE; }
        location /full/ { dav_methods PUT DELETE MKCOL COPY MOVE; create_full_put_path on; dav_access group:rw all:r; }
        location /min2/ { dav_methods DELETE; min_delete_depth 2; }
        location /ro/ { dav_methods off; }
        location /putonly/ { dav_methods PUT; }
        location /al/ { alias %%PREFIX%%/html/aliased/; dav_methods PUT DELETE MKCOL COPY MOVE; }
        location /abs/ { absolute_redirect on; dav_methods PUT MKCOL; }
    }
}
`

// diffSteps run in order on both servers; each may change the tree, so
// the answers and, at the end, the trees are compared.
var diffSteps = []struct{ name, req string }{
	{"put new", "PUT /a.txt HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"},
	{"put replace", "PUT /a.txt HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"},
	{"put empty", "PUT /empty HTTP/1.0\r\nContent-Length: 0\r\n\r\n"},
	{"put without body", "PUT /nobody HTTP/1.0\r\n\r\n"},
	{"put chunked", "PUT /c.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	{"put dated", "PUT /dated HTTP/1.0\r\nDate: Thu, 04 Mar 2021 05:06:07 GMT\r\nContent-Length: 1\r\n\r\nd"},
	{"put escaped location", "PUT /sp%20ace%3F HTTP/1.0\r\nContent-Length: 1\r\n\r\ns"},
	{"put to collection", "PUT /dir/ HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"put range", "PUT /r HTTP/1.0\r\nContent-Range: bytes 0-0/1\r\nContent-Length: 1\r\n\r\nx"},
	{"put on directory", "PUT /dir HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"put missing parent", "PUT /nodir/x HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"put full path", "PUT /full/a/b/c HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"put not allowed", "PUT /ro/x HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"put absolute location", "PUT /abs/x HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"},
	{"put alias", "PUT /al/x HTTP/1.0\r\nContent-Length: 2\r\n\r\nal"},
	{"delete not allowed", "DELETE /putonly/x HTTP/1.0\r\n\r\n"},

	{"mkcol", "MKCOL /m/ HTTP/1.0\r\n\r\n"},
	{"mkcol existing", "MKCOL /m/ HTTP/1.0\r\n\r\n"},
	{"mkcol no slash", "MKCOL /m2 HTTP/1.0\r\n\r\n"},
	{"mkcol missing parent", "MKCOL /x/y/ HTTP/1.0\r\n\r\n"},
	{"mkcol body", "MKCOL /m3/ HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"mkcol absolute location", "MKCOL /abs/d/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"},
	{"mkcol full access", "MKCOL /full/d/ HTTP/1.0\r\n\r\n"},

	{"copy file", "COPY /a.txt HTTP/1.0\r\nDestination: /m/a.txt\r\n\r\n"},
	{"copy url", "COPY /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nDestination: http://localhost/b.txt\r\n\r\n"},
	{"copy url port", "COPY /a.txt HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\nDestination: http://localhost:8080/b2.txt\r\n\r\n"},
	{"copy other host", "COPY /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nDestination: http://example.com/b.txt\r\n\r\n"},
	{"copy other scheme", "COPY /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nDestination: https://localhost/b.txt\r\n\r\n"},
	{"copy no path", "COPY /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nDestination: http://localhost\r\n\r\n"},
	{"copy no host", "COPY /a.txt HTTP/1.0\r\nDestination: http://localhost/b.txt\r\n\r\n"},
	{"copy no destination", "COPY /a.txt HTTP/1.0\r\n\r\n"},
	{"copy unsafe", "COPY /a.txt HTTP/1.0\r\nDestination: /../x\r\n\r\n"},
	{"copy unsafe escaped", "COPY /a.txt HTTP/1.0\r\nDestination: /%2e%2e/x\r\n\r\n"},
	{"copy escaped", "COPY /a.txt HTTP/1.0\r\nDestination: /e%41.txt\r\n\r\n"},
	{"copy args", "COPY /a.txt HTTP/1.0\r\nDestination: /q.txt?x=1\r\n\r\n"},
	{"copy no overwrite", "COPY /a.txt HTTP/1.0\r\nDestination: /b.txt\r\nOverwrite: F\r\n\r\n"},
	{"copy overwrite", "COPY /c.txt HTTP/1.0\r\nDestination: /b.txt\r\nOverwrite: t\r\n\r\n"},
	{"copy bad overwrite", "COPY /a.txt HTTP/1.0\r\nDestination: /b.txt\r\nOverwrite: yes\r\n\r\n"},
	{"copy depth 0", "COPY /a.txt HTTP/1.0\r\nDestination: /d0.txt\r\nDepth: 0\r\n\r\n"},
	{"copy depth 1", "COPY /a.txt HTTP/1.0\r\nDestination: /d1.txt\r\nDepth: 1\r\n\r\n"},
	{"copy bad depth", "COPY /a.txt HTTP/1.0\r\nDestination: /d1.txt\r\nDepth: Infinity\r\n\r\n"},
	{"copy file to collection", "COPY /a.txt HTTP/1.0\r\nDestination: /m/\r\n\r\n"},
	{"copy missing", "COPY /nope HTTP/1.0\r\nDestination: /nope2\r\n\r\n"},
	{"copy body", "COPY /a.txt HTTP/1.0\r\nDestination: /z\r\nContent-Length: 1\r\n\r\nx"},
	{"copy onto directory", "COPY /a.txt HTTP/1.0\r\nDestination: /m\r\n\r\n"},
	{"copy directory", "COPY /m/ HTTP/1.0\r\nDestination: /m-copy/\r\n\r\n"},
	{"copy directory no slash", "COPY /m HTTP/1.0\r\nDestination: /m-copy2\r\n\r\n"},
	{"copy directory over directory", "COPY /dir/ HTTP/1.0\r\nDestination: /m-copy/\r\n\r\n"},
	{"copy directory no overwrite", "COPY /dir/ HTTP/1.0\r\nDestination: /m/\r\nOverwrite: F\r\n\r\n"},
	{"copy alias short destination", "COPY /al/x HTTP/1.0\r\nDestination: /al\r\n\r\n"},
	{"copy alias", "COPY /al/x HTTP/1.0\r\nDestination: /al/y\r\n\r\n"},

	{"move file", "MOVE /b.txt HTTP/1.0\r\nDestination: /moved.txt\r\n\r\n"},
	{"move file new directory", "MOVE /moved.txt HTTP/1.0\r\nDestination: /mnew/deep/moved.txt\r\n\r\n"},
	{"move depth 0", "MOVE /d0.txt HTTP/1.0\r\nDestination: /d00.txt\r\nDepth: 0\r\n\r\n"},
	{"move directory", "MOVE /m-copy/ HTTP/1.0\r\nDestination: /m-moved/\r\n\r\n"},
	{"move directory over existing", "MOVE /m-moved/ HTTP/1.0\r\nDestination: /m/\r\n\r\n"},

	{"delete file", "DELETE /dated HTTP/1.0\r\n\r\n"},
	{"delete missing", "DELETE /dated HTTP/1.0\r\n\r\n"},
	{"delete under file", "DELETE /a.txt/x HTTP/1.0\r\n\r\n"},
	{"delete directory no slash", "DELETE /m HTTP/1.0\r\n\r\n"},
	{"delete directory depth 0", "DELETE /m/ HTTP/1.0\r\nDepth: 0\r\n\r\n"},
	{"delete file depth 1", "DELETE /a.txt HTTP/1.0\r\nDepth: 1\r\n\r\n"},
	{"delete body", "DELETE /a.txt HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"},
	{"delete directory", "DELETE /m/ HTTP/1.0\r\n\r\n"},
	{"delete shallow", "DELETE /min2/ HTTP/1.0\r\n\r\n"},
	{"delete shallow file", "DELETE /min2/x HTTP/1.0\r\n\r\n"},
	{"delete deep enough", "DELETE /min2/d/x HTTP/1.0\r\n\r\n"},
	{"delete deep directory", "DELETE /min2/d/ HTTP/1.0\r\n\r\n"},
	{"delete keepalive", "DELETE /c.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"},
}

// diffTree writes the starting tree under prefix.
func diffTree(t *testing.T, prefix string) {
	t.Helper()
	for name, body := range map[string]string{
		"html/dir/f":        "f",
		"html/dir/sub/g":    "g",
		"html/aliased/keep": "k",
		"html/min2/x":       "x",
		"html/min2/d/x":     "x",
		"html/min2/d/y":     "y",
		"html/putonly/x":    "x",
	} {
		p := filepath.Join(prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("f", filepath.Join(prefix, "html/dir/link")); err != nil {
		t.Fatal(err)
	}
}

// treeOf lists the tree under root: one line per entry with its type,
// permissions and contents (and the time of "dated" files).
func treeOf(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %s", rel, fi.Mode())
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + strconv.Quote(string(b))
			if strings.Contains(rel, "dated") {
				line += " " + fi.ModTime().UTC().Format(time.RFC3339)
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestDifferentialDAV(t *testing.T) {
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	diffTree(t, n.Prefix())
	diffTree(t, s.Prefix())
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 200 * time.Millisecond
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	for _, step := range diffSteps {
		t.Run(step.name, func(t *testing.T) {
			oracle.Compare(t, step.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
	if want, got := treeOf(t, filepath.Join(n.Prefix(), "html")), treeOf(t, filepath.Join(s.Prefix(), "html")); want != got {
		t.Errorf("trees differ:\nnginx:\n%s\nsluice:\n%s", want, got)
	}
	n.WaitErrorLog("DELETE with body is unsupported", 5*time.Second)
	want := requestLogLines(n.ErrorLog(), strings.TrimSuffix(n.Prefix(), "/")+"/")
	got := requestLogLines(s.ErrorLog(), s.Prefix())
	if len(want) < 20 {
		t.Errorf("nginx logged only %d request lines:\n%s", len(want), n.ErrorLog())
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("error log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
	// no body temp file is left behind, none is held open
	testutil.CheckNoFDsUnder(t, filepath.Join(s.Prefix(), "html"))
	testutil.CheckNoFDsUnder(t, filepath.Join(s.Prefix(), "client_temp"))
	testutil.CheckNoFilesUnder(t, filepath.Join(s.Prefix(), "client_temp"))
}

// tempName is a body temp file's name: the two servers number theirs
// independently.
var tempName = regexp.MustCompile(`client_temp/[0-9]{10}`)

// requestLogLines is oracle.ErrorLines with the prefix directory written
// "PREFIX/" and temp file numbers "N".
func requestLogLines(log, prefix string) []string {
	return oracle.ErrorLines(tempName.ReplaceAllString(strings.ReplaceAll(log, prefix, "PREFIX/"), "client_temp/N"))
}
