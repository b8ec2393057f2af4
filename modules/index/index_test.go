package index_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const indexConf = `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        root %%PREFIX%%/html;
        location /multi/ { index a.html b.html; }
        location /var/ { index $arg_name.html default.html; }
        location /abs/ { index missing.html /target.html; }
        location /absfirst/ { index /target.html x.html; }
        location /two/ { index a.html; index b.html; }
        location /alias/ { alias %%PREFIX%%/html/multi/; index b.html; }
        location /aliasnoslash/ { alias %%PREFIX%%/html/multi; index b.html; }
        location /quiet/ { log_not_found off; }
        location /denied/ { }
        location = /target.html { return 200 "target $uri $args\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_B%%;
        server_name localhost;
        root %%PREFIX%%/html;
        index b.html;
    }
}
`

func tree(t *testing.T, prefix string) {
	t.Helper()
	for name, body := range map[string]string{
		"html/index.html":            "root index\n",
		"html/multi/b.html":          "multi b\n",
		"html/var/x.html":            "var x\n",
		"html/var/default.html":      "var default\n",
		"html/two/b.html":            "two b\n",
		"html/abs/other":             "other\n",
		"html/sub/index.html":        "sub index\n",
		"html/sub/b.html":            "sub b\n",
		"html/file.txt":              "file\n",
		"html/denied/index.html":     "denied\n",
		"html/dirindex/index.html/f": "f\n",
	} {
		p := filepath.Join(prefix, name)
		if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(prefix, "html/denied"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(prefix, "html/denied"), 0755) })
}

func TestIndex(t *testing.T) {
	s := servertest.Start(t, indexConf)
	tree(t, s.Prefix())
	p := s.Prefix()
	tests := []struct {
		name, addr, req string
		status          int
		body, location  string
		inLog, notInLog string
	}{
		{name: "default index", req: "GET / HTTP/1.0\r\n\r\n", status: 200, body: "root index\n"},
		{name: "head", req: "HEAD / HTTP/1.0\r\n\r\n", status: 200},
		{name: "post", req: "POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx", status: 405},
		{name: "second name", req: "GET /multi/ HTTP/1.0\r\n\r\n", status: 200, body: "multi b\n"},
		{name: "variable name", req: "GET /var/?name=x HTTP/1.0\r\n\r\n", status: 200, body: "var x\n"},
		{name: "variable name missing", req: "GET /var/?name=y HTTP/1.0\r\n\r\n", status: 200, body: "var default\n"},
		{name: "absolute in a missing directory", req: "GET /abs/nodir/ HTTP/1.0\r\n\r\n", status: 404},
		{name: "absolute last", req: "GET /abs/?q=1 HTTP/1.0\r\n\r\n", status: 200, body: "target /target.html q=1\n"},
		{name: "absolute first wins at once", req: "GET /absfirst/ HTTP/1.0\r\n\r\n", status: 200, body: "target /target.html \n"},
		{name: "directives add up", req: "GET /two/ HTTP/1.0\r\n\r\n", status: 200, body: "two b\n"},
		{name: "alias", req: "GET /alias/ HTTP/1.0\r\n\r\n", status: 200, body: "multi b\n"},
		{name: "alias without slash", req: "GET /aliasnoslash/ HTTP/1.0\r\n\r\n", status: 403,
			inLog: `directory index of "` + p + `html/multi" is forbidden`},
		{name: "missing directory", req: "GET /nodir/ HTTP/1.0\r\n\r\n", status: 404,
			inLog: `"` + p + `html/nodir/index.html" is not found (2: No such file or directory)`},
		{name: "missing directory quiet", req: "GET /quiet/ HTTP/1.0\r\n\r\n", status: 404, notInLog: `html/quiet/index.html" is not found`},
		{name: "file as directory", req: "GET /file.txt/ HTTP/1.0\r\n\r\n", status: 404,
			inLog: `"` + p + `html/file.txt/index.html" is not found (20: Not a directory)`},
		{name: "no index in an existing directory", req: "GET /multi/sub/ HTTP/1.0\r\n\r\n", status: 404},
		{name: "directory without index", req: "GET /var/../multi/ HTTP/1.0\r\n\r\n", status: 200, body: "multi b\n"},
		{name: "index that is a directory", req: "GET /dirindex/ HTTP/1.0\r\n\r\n", status: 301},
		{name: "server-level index", addr: "B", req: "GET /sub/ HTTP/1.0\r\n\r\n", status: 200, body: "sub b\n"},
		{name: "server-level index missing", addr: "B", req: "GET / HTTP/1.0\r\n\r\n", status: 403,
			inLog: `directory index of "` + p + `html/" is forbidden`},
	}
	if os.Geteuid() != 0 {
		tests = append(tests, struct {
			name, addr, req string
			status          int
			body, location  string
			inLog, notInLog string
		}{name: "forbidden", req: "GET /denied/ HTTP/1.0\r\n\r\n", status: 403, inLog: `html/denied/index.html" is forbidden (13: Permission denied)`})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr
			if addr == "" {
				addr = "A"
			}
			c := testutil.Dial(t, s.Addr(addr))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			read := c.ReadResponse
			if strings.HasPrefix(tc.req, "HEAD") {
				read = c.ReadHeadResponse
			}
			resp, err := read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s\n%s", resp.StatusCode, tc.status, resp, s.ErrorLog())
			}
			if tc.body != "" && string(resp.Body) != tc.body {
				t.Errorf("body %q, want %q", resp.Body, tc.body)
			}
			if tc.inLog != "" && !strings.Contains(s.ErrorLog(), tc.inLog) {
				t.Errorf("error log lacks %q:\n%s", tc.inLog, s.ErrorLog())
			}
			if tc.notInLog != "" && strings.Contains(s.ErrorLog(), tc.notInLog) {
				t.Errorf("error log has %q:\n%s", tc.notInLog, s.ErrorLog())
			}
		})
	}
}

func TestIndexConfErrors(t *testing.T) {
	tests := []struct{ name, stmt, want string }{
		{"empty name", `index "";`, `index "" in "index" directive is invalid`},
		{"no argument", `index;`, `invalid number of arguments in "index" directive`},
		{"bad variable", `index $;`, `invalid variable name`},
		{"unknown variable", `index $nosuch.html;`, `unknown "nosuch" variable`},
		{"in if", `if ($args) { index a.html; }`, `"index" directive is not allowed here`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := "events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  location / {\n" + tc.stmt + "\n  }\n }\n}\n"
			if err := servertest.LoadError(t, conf, nil); err == "" || !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
