package dav_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const testConf = `
events {}
http {
    client_body_temp_path %%PREFIX%%/client_temp;
    client_body_buffer_size 1k;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        root %%PREFIX%%/html;
        location / { dav_methods PUT DELETE MKCOL COPY MOVE; dav_access user:rw all:r; }
    }
}
`

// TestCopyOntoItself: nginx after 1.22.1 (f0a084645, "Dav: improved path
// validation") refuses a COPY or MOVE onto the source, into it or around
// it, with 403; Debian's 1.22.1 truncated the file instead, so these are
// checked here rather than against the oracle.
func TestCopyOntoItself(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, testConf)
	html := filepath.Join(s.Prefix(), "html")
	os.MkdirAll(filepath.Join(html, "d/sub"), 0o755)
	os.WriteFile(filepath.Join(html, "f"), []byte("data"), 0o644)
	os.WriteFile(filepath.Join(html, "d/sub/g"), []byte("g"), 0o644)
	tests := []struct {
		name, req, log string
	}{
		{"same file", "COPY /f HTTP/1.0\r\nDestination: /f\r\n\r\n", `both URI "/f" and "Destination" URI "/f" point to the same location`},
		{"same file merged", "MOVE /f HTTP/1.0\r\nDestination: ///f\r\n\r\n", `both URI "/f" and "Destination" URI "///f" point to the same location`},
		{"into itself", "COPY /d/ HTTP/1.0\r\nDestination: /d/sub/x/\r\n\r\n", `"/d/" could not be COPYed to collection "/d/sub/x/"`},
		{"around itself", "MOVE /d/sub/ HTTP/1.0\r\nDestination: /d/\r\n\r\n", `"/d/sub/" could not be MOVEed to collection "/d/"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := testutil.RoundTrip(t, s.Addr("0"), tc.req); r.StatusCode != 403 {
				t.Errorf("status %d, want 403", r.StatusCode)
			}
			s.WaitErrorLog(t, tc.log)
		})
	}
	if b, _ := os.ReadFile(filepath.Join(html, "f")); string(b) != "data" {
		t.Errorf("f holds %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(html, "d/sub/g")); string(b) != "g" {
		t.Errorf("d/sub/g holds %q", b)
	}
}

// TestPutLarge: a body past client_body_buffer_size goes through the temp
// file like a small one, lands whole with dav_access, and no temp file or
// descriptor is left.
func TestPutLarge(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, testConf)
	os.MkdirAll(filepath.Join(s.Prefix(), "html"), 0o755)
	body := strings.Repeat("0123456789", 10000)
	r := testutil.RoundTrip(t, s.Addr("0"), "PUT /big HTTP/1.0\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	if r.StatusCode != 201 {
		t.Fatalf("status %d, want 201", r.StatusCode)
	}
	p := filepath.Join(s.Prefix(), "html/big")
	b, err := os.ReadFile(p)
	if err != nil || string(b) != body {
		t.Fatalf("stored %d bytes (%v), want %d", len(b), err, len(body))
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o604 {
		t.Errorf("mode %v, want -rw----r--", fi.Mode().Perm())
	}
	// a refused PUT (onto a directory) removes its temp file too
	os.Mkdir(filepath.Join(s.Prefix(), "html/dir"), 0o755)
	if r := testutil.RoundTrip(t, s.Addr("0"), "PUT /dir HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"); r.StatusCode != 409 {
		t.Errorf("PUT onto a directory: status %d, want 409", r.StatusCode)
	}
	testutil.CheckNoFDsUnder(t, s.Prefix()+"client_temp")
	testutil.CheckNoFilesUnder(t, s.Prefix()+"client_temp")
}

// TestConfErrors checks the directives' errors against Debian's "nginx -t".
func TestConfErrors(t *testing.T) {
	inServer := func(stmts string) string { return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n" }
	tests := []struct {
		name, conf, want string
	}{
		{"methods", inServer(`dav_methods PUT GET;`), `invalid value "GET" in FILE:4`},
		{"methods none", inServer(`dav_methods;`), `invalid number of arguments in "dav_methods" directive in FILE:4`},
		{"access who", inServer(`dav_access owner:rw;`), `invalid value "owner:rw" in FILE:4`},
		{"access what", inServer(`dav_access user:w;`), `invalid value "user:w" in FILE:4`},
		{"access too many", inServer(`dav_access user:rw group:r all:r user:r;`), `invalid number of arguments in "dav_access" directive in FILE:4`},
		{"access duplicate", inServer(`dav_access user:rw; dav_access all:r;`), `"dav_access" directive is duplicate in FILE:4`},
		{"depth", inServer(`min_delete_depth x;`), `"min_delete_depth" directive invalid number in FILE:4`},
		{"full path", inServer(`create_full_put_path yes;`), `invalid value "yes" in "create_full_put_path" directive, it must be "on" or "off" in FILE:4`},
		{"valid", inServer(`dav_methods put delete mkcol copy move; dav_access group:rw all:r; min_delete_depth 2; create_full_put_path on;
			location / { dav_methods off; }`), ``},
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
