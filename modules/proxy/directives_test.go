package proxy_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// respond is a backend script answering one request with raw bytes, in
// which BACKEND stands for the backend's own address.
func respond(raw string) testutil.Script {
	return testutil.Script{testutil.ReadRequest(), testutil.Func(func(c *testutil.BackendConn) error {
		_, err := c.Write([]byte(strings.ReplaceAll(raw, "BACKEND", c.LocalAddr().String())))
		return err
	})}
}

// TestDirectives runs one configuration per case against a scripted
// backend and checks the client's answer and what the backend got.
func TestDirectives(t *testing.T) {
	testutil.CheckLeaks(t)
	ok := testutil.HTTPResponse(200, "ok")
	tests := []struct {
		name     string
		server   string // server-level text; BACKEND is the backend address
		script   testutil.Script
		req      string
		status   int
		headers  map[string]string // expected values ("" = absent)
		body     string
		upstream func(t *testing.T, r testutil.Request)
		log      string
	}{
		{name: "redirect literal",
			server: `location / { proxy_pass http://BACKEND; proxy_redirect http://x.example/ /y/; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: http://x.example/a?b\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 302, headers: map[string]string{"Location": "http://localhost:PORT/y/a?b"}},
		{name: "redirect regex with captures",
			server: `location / { proxy_pass http://BACKEND; proxy_redirect ~^http://([^/.]+)\.example/(.*)$ /$1/$2; }`,
			script: respond("HTTP/1.1 301 Moved\r\nLocation: http://x.example/a/b\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 301, headers: map[string]string{"Location": "http://localhost:PORT/x/a/b"}},
		{name: "redirect caseless regex",
			server: `location / { proxy_pass http://BACKEND; proxy_redirect ~*^HTTP://X\.EXAMPLE/ /c/; }`,
			script: respond("HTTP/1.1 301 Moved\r\nLocation: http://x.example/a\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 301, headers: map[string]string{"Location": "http://localhost:PORT/c/"}},
		{name: "redirect with variables",
			server: `location / { proxy_pass http://BACKEND; proxy_redirect http://x.example/ http://$host:1/v/; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: http://x.example/a\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 302, headers: map[string]string{"Location": "http://localhost:1/v/a"}},
		{name: "redirect off",
			server: `proxy_redirect off; location /p/ { proxy_pass http://BACKEND/; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: http://BACKEND/a\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/p/"), status: 302, headers: map[string]string{"Location": "http://BACKEND/a"}},
		{name: "redirect default with uri part",
			server: `location /p/ { proxy_pass http://BACKEND/u/; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: http://BACKEND/u/a\r\nRefresh: 3; url=http://BACKEND/u/b\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/p/x"), status: 302, headers: map[string]string{"Location": "http://localhost:PORT/p/a", "Refresh": "3; url=/p/b"}},
		{name: "redirect default without uri part",
			server: `location /p/ { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: http://BACKEND/q\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/p/x"), status: 302, headers: map[string]string{"Location": "http://localhost:PORT/q"}},
		{name: "relative location kept",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 302 Found\r\nLocation: /rel\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 302, headers: map[string]string{"Location": "/rel"}},
		{name: "cookie domain and path",
			server: `location / { proxy_pass http://BACKEND; proxy_cookie_domain b.example f.example; proxy_cookie_path ~^/app(/.*)$ $1; }`,
			script: respond("HTTP/1.1 200 OK\r\nSet-Cookie: s=1; Domain=.B.example; Path=/app/x; HttpOnly\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 200, headers: map[string]string{"Set-Cookie": "s=1; Domain=.f.example; Path=/x; HttpOnly"}},
		{name: "cookie flags",
			server: `location / { proxy_pass http://BACKEND; proxy_cookie_flags ~^s secure samesite=strict; proxy_cookie_flags other nohttponly; }`,
			script: respond("HTTP/1.1 200 OK\r\nSet-Cookie: sess=1; HttpOnly\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 200, headers: map[string]string{"Set-Cookie": "sess=1; HttpOnly; Secure; SameSite=Strict"}},
		{name: "cookie flags off in the location",
			server: `proxy_cookie_flags ~ secure; location / { proxy_pass http://BACKEND; proxy_cookie_flags off; }`,
			script: respond("HTTP/1.1 200 OK\r\nSet-Cookie: sess=1\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 200, headers: map[string]string{"Set-Cookie": "sess=1"}},
		{name: "hide and pass headers",
			server: `location / { proxy_pass http://BACKEND; proxy_hide_header X-Secret; proxy_pass_header X-Accel-Expires; }`,
			script: respond("HTTP/1.1 200 OK\r\nX-Secret: s\r\nX-Accel-Expires: 5\r\nX-Pad: p\r\nX-Other: o\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 200, headers: map[string]string{"X-Secret": "", "X-Accel-Expires": "5", "X-Pad": "", "X-Other": "o"}},
		{name: "upstream date passed",
			server: `location / { proxy_pass http://BACKEND; proxy_pass_header Date; }`,
			script: respond("HTTP/1.1 200 OK\r\nServer: backend\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n"),
			req:    get("/"), status: 200, headers: map[string]string{"Date": "Thu, 01 Jan 1970 00:00:00 GMT"}},
		{name: "intercept errors",
			server: `location / { proxy_pass http://BACKEND; proxy_intercept_errors on; error_page 404 = @nf; } location @nf { return 200 "intercepted"; }`,
			script: respond("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"),
			req:    get("/"), status: 200, body: "intercepted"},
		{name: "errors passed without intercept",
			server: `location / { proxy_pass http://BACKEND; error_page 404 = @nf; } location @nf { return 200 "intercepted"; }`,
			script: respond("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"),
			req:    get("/"), status: 404, body: "nope"},
		{name: "trailers passed",
			server: `location / { proxy_pass http://BACKEND; proxy_http_version 1.1; proxy_pass_trailers on; }`,
			script: respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 42\r\n\r\n"),
			req:    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", status: 200, body: "ok"},
		{name: "variables in headers",
			server: `location / { proxy_pass http://BACKEND; proxy_set_header X-PH $proxy_host; proxy_set_header X-PP $proxy_port; proxy_set_header X-Len $proxy_internal_body_length; }`,
			script: respond(ok),
			req:    "POST / HTTP/1.0\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", status: 200, body: "ok",
			upstream: func(t *testing.T, r testutil.Request) {
				if r.Header("X-PH") != "127.0.0.1:BPORT" || r.Header("X-PP") != "BPORT" || r.Header("X-Len") != "3" || string(r.Body) != "abc" {
					t.Errorf("upstream request %q %q", r.Head, r.Body)
				}
			}},
		{name: "method and body set",
			server: `location / { proxy_pass http://BACKEND; proxy_method PUT; proxy_set_body "name=$arg_n"; }`,
			script: respond(ok),
			req:    "POST /?n=x HTTP/1.0\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", status: 200,
			upstream: func(t *testing.T, r testutil.Request) {
				if r.Line() != "PUT /?n=x HTTP/1.0" || r.Header("Content-Length") != "6" || string(r.Body) != "name=x" {
					t.Errorf("upstream request %q %q", r.Head, r.Body)
				}
			}},
		{name: "named location keeps the uri",
			server: `location / { error_page 404 = @up; return 404; } location @up { proxy_pass http://BACKEND; }`,
			script: respond(ok),
			req:    get("/orig?a=1"), status: 200,
			upstream: func(t *testing.T, r testutil.Request) {
				if r.Line() != "GET /orig?a=1 HTTP/1.0" {
					t.Errorf("request line %q", r.Line())
				}
			}},
		{name: "if with its own proxy_pass",
			server: `location / { if ($arg_up) { proxy_pass http://BACKEND; } }`,
			script: respond(ok),
			req:    get("/x?up=1"), status: 200, body: "ok"},
		{name: "if inherits proxy_pass",
			server: `location / { proxy_pass http://BACKEND; if ($arg_h) { set $x 1; } proxy_set_header X-X $x; }`,
			script: respond(ok),
			req:    get("/x?h=1"), status: 200, body: "ok"},
		{name: "limit_except inherits proxy_pass",
			server: `location / { limit_except GET { } proxy_pass http://BACKEND; }`,
			script: respond(ok),
			req:    "DELETE /d HTTP/1.0\r\nHost: localhost\r\n\r\n", status: 200, body: "ok",
			upstream: func(t *testing.T, r testutil.Request) {
				if r.Line() != "DELETE /d HTTP/1.0" {
					t.Errorf("upstream request %q", r.Head)
				}
			}},
		{name: "auto redirect",
			server: `location /dir/ { proxy_pass http://BACKEND; }`,
			req:    get("/dir?a=b"), status: 301, headers: map[string]string{"Location": "http://localhost:PORT/dir/?a=b"}},
		{name: "no resolver",
			server: `location / { proxy_pass http://$arg_h:1; }`,
			req:    get("/?h=name.invalid"), status: 502, log: "no resolver defined to resolve name.invalid"},
		{name: "variables with an invalid prefix",
			server: `location / { proxy_pass $arg_u; }`,
			req:    get("/?u=ftp://x"), status: 500, log: `invalid URL prefix in "ftp://x"`},
		{name: "variables to a group",
			server: `location / { proxy_pass http://$arg_g; }`,
			script: respond(ok),
			req:    get("/?g=grp"), status: 200, body: "ok"},
		{name: "http/0.9 upstream",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("raw bytes"),
			req:    get("/"), status: -1, body: "raw bytes", log: "upstream sent no valid HTTP/1.0 header"},
		{name: "too big header",
			server: `location / { proxy_pass http://BACKEND; proxy_buffer_size 1k; }`,
			script: respond("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 2000) + "\r\n\r\n"),
			req:    get("/"), status: 502, log: "upstream sent too big header"},
		{name: "invalid header logged",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 200 OK\r\nBad\x01Name\r\n\r\n"),
			req:    get("/"), status: 502, log: `upstream sent invalid header: "Bad\x01..."`},
		{name: "invalid chunked logged",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			// the head waits for body data, as nginx's postponed output, and
			// is never sent: the connection closes with nothing
			req: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", status: -1, body: "", log: "upstream sent invalid chunked response"},
		{name: "more data than content length",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokMORE"),
			req:    get("/"), status: 200, body: "ok", log: `upstream sent more data than specified in "Content-Length" header`},
		{name: "premature close",
			server: `location / { proxy_pass http://BACKEND; }`,
			script: respond("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nshort"),
			req:    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", status: 200, log: "upstream prematurely closed connection"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script := tc.script
			if script == nil {
				script = respond(ok)
			}
			b := testutil.StartBackend(t, script)
			_, bport, _ := net.SplitHostPort(b.Addr())
			text := strings.Replace(tc.server, "location /", "upstream_placeholder location /", 1)
			text = strings.Replace(text, "upstream_placeholder ", "", 1)
			cfg := "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\nhttp {\n    upstream grp { server " + b.Addr() + "; }\n    server {\n        listen 127.0.0.1:%%PORT_A%%;\n        server_name localhost;\n" +
				strings.ReplaceAll(text, "BACKEND", b.Addr()) + "\n    }\n}\n"
			s := servertest.Start(t, cfg)
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			if tc.status == -1 {
				data, _ := c.ReadUntilClose()
				if string(data) != tc.body {
					t.Errorf("raw answer %q, want %q", data, tc.body)
				}
			} else {
				resp, err := c.ReadResponse()
				if err != nil && resp == nil {
					t.Fatalf("%v\n%s", err, s.ErrorLog())
				}
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, s.ErrorLog())
				}
				for k, v := range tc.headers {
					v = strings.ReplaceAll(v, "PORT", s.Port("A"))
					v = strings.ReplaceAll(v, "BACKEND", b.Addr())
					if got := resp.Get(k); got != v || (v == "" && resp.Has(k)) {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				if tc.body != "" && string(resp.Body) != tc.body {
					t.Errorf("body %q, want %q", resp.Body, tc.body)
				}
				if tc.name == "trailers passed" {
					if len(resp.Trailers) != 1 || resp.Trailers[0].Value != "42" {
						t.Errorf("trailers %+v", resp.Trailers)
					}
				}
			}
			if tc.upstream != nil {
				r := lastRequest(t, b, 1)
				r.Head = strings.ReplaceAll(r.Head, bport, "BPORT")
				tc.upstream(t, r)
			}
			if tc.log != "" {
				waitLog(t, s, tc.log)
			}
		})
	}
}

// waitLog waits for the error log to have a line with want (the log is
// written when the request ends, which may be after the response).
func waitLog(t *testing.T, s *servertest.Server, want string) {
	t.Helper()
	s.WaitErrorLog(t, want)
}

// TestUnixSocket proxies to a backend on a unix socket, with the URI part
// after the socket path.
func TestUnixSocket(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "b.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		got <- string(buf[:n])
		c.Write([]byte(testutil.HTTPResponse(200, "unix")))
	}()
	s := servertest.Start(t, conf("", `location /u/ { proxy_pass http://unix:`+path+`:/base/; }`))
	resp := roundTrip(t, s, get("/u/x"))
	if resp.StatusCode != 200 || string(resp.Body) != "unix" {
		t.Fatalf("response %d %q\n%s", resp.StatusCode, resp.Body, s.ErrorLog())
	}
	head := <-got
	if !strings.HasPrefix(head, "GET /base/x HTTP/1.0\r\nHost: localhost\r\n") {
		t.Errorf("request %q", head)
	}
}

// TestStore checks proxy_store: a complete 200 body is stored at the path,
// with proxy_store_access and the upstream's Last-Modified; other answers
// are not stored and no temp file is left.
func TestStore(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		switch i {
		case 0:
			return respond("HTTP/1.1 200 OK\r\nLast-Modified: Mon, 02 Jan 2006 15:04:05 GMT\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nstore\r\n2\r\nd!\r\n0\r\n\r\n")
		case 1:
			return respond("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnot")
		default:
			return respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\ncut")
		}
	})
	s := servertest.Start(t, conf(b.Addr(), `
        location / {
            proxy_pass http://BACKEND;
            proxy_store %%PREFIX%%/store$uri;
            proxy_store_access user:rw group:r all:r;
        }
`))
	for _, uri := range []string{"/a/stored", "/missing", "/cut"} {
		c := testutil.Dial(t, s.Addr("A"))
		c.WriteString(get(uri))
		c.ReadUntilClose()
		c.Close()
	}
	root := filepath.Join(s.Prefix(), "store")
	data, err := os.ReadFile(filepath.Join(root, "a", "stored"))
	if err != nil || string(data) != "stored!" {
		t.Fatalf("stored file %q, %v\n%s", data, err, s.ErrorLog())
	}
	st, _ := os.Stat(filepath.Join(root, "a", "stored"))
	if st.Mode().Perm() != 0644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC); !st.ModTime().Equal(want) {
		t.Errorf("mtime %v, want %v", st.ModTime(), want)
	}
	for _, name := range []string{"missing", "cut"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			t.Errorf("%s was stored", name)
		}
	}
	tmp, _ := os.ReadDir(filepath.Join(s.Prefix(), "proxy_temp"))
	if len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

// TestStoreMove checks how proxy_store moves the temp file into place
// (ngx_ext_rename_file): across file systems (proxy_temp_path on
// /dev/shm) by a copy with the mode and Last-Modified, and onto a path
// that cannot be made with nginx's rename() line; no temp file or partial
// copy is left either way.
func TestStoreMove(t *testing.T) {
	testutil.CheckLeaks(t)
	shm, err := os.MkdirTemp("/dev/shm", "store")
	if err != nil {
		t.Fatalf("the test needs /dev/shm for a temp path on another file system: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
		return respond("HTTP/1.1 200 OK\r\nLast-Modified: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Length: 6\r\n\r\nstored")
	})
	s := servertest.Start(t, conf(b.Addr(), `
        location / {
            proxy_pass http://BACKEND;
            proxy_temp_path `+shm+`;
            proxy_store %%PREFIX%%/store$uri;
            proxy_store_access user:rw group:r;
        }
`))
	root := filepath.Join(s.Prefix(), "store")
	var a, c syscall.Stat_t
	if syscall.Stat(s.Prefix(), &a) != nil || syscall.Stat(shm, &c) != nil || a.Dev == c.Dev {
		t.Fatalf("/dev/shm and %s must be different file systems", s.Prefix())
	}
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "f"), nil, 0o644)
	for _, uri := range []string{"/a/b", "/f/x"} {
		c := testutil.Dial(t, s.Addr("A"))
		c.WriteString(get(uri))
		if resp, _ := c.ReadUntilClose(); !strings.HasSuffix(string(resp), "\r\n\r\nstored") {
			t.Errorf("%s: response %q", uri, resp)
		}
		c.Close()
	}
	p := filepath.Join(root, "a", "b")
	if data, err := os.ReadFile(p); err != nil || string(data) != "stored" {
		t.Fatalf("stored file %q, %v\n%s", data, err, s.ErrorLog())
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	if want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC); !st.ModTime().Equal(want) {
		t.Errorf("mtime %v, want %v", st.ModTime(), want)
	}
	if di, _ := os.Stat(filepath.Dir(p)); di.Mode().Perm() != 0o750 {
		t.Errorf("directory mode %v, want 0750", di.Mode().Perm())
	}
	s.WaitErrorLog(t, `" to "`+filepath.Join(root, "f", "x")+`" failed (20: Not a directory)`)
	if left, _ := os.ReadDir(shm); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "a")); len(left) != 1 {
		t.Errorf("store/a holds %v", left)
	}
}

// TestRetryAfterChunked checks that a retry after a chunked answer starts
// the next attempt with a clean parser (the chunked view is dropped).
func TestRetryAfterChunked(t *testing.T) {
	testutil.CheckLeaks(t)
	first := testutil.StartBackend(t, respond("HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n0\r\n\r\n"))
	second := testutil.StartBackend(t, respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood"))
	s := servertest.Start(t, conf("", `
        location / {
            proxy_pass http://u;
            proxy_next_upstream error http_502;
        }
    }
    upstream u {
        keepalive 0;
        server `+first.Addr()+`;
        server `+second.Addr()+`;
`))
	for i := 0; i < 2; i++ {
		resp := roundTrip(t, s, get("/"))
		if resp.StatusCode != 200 || string(resp.Body) != "good" {
			t.Fatalf("response %d %q\n%s", resp.StatusCode, resp.Body, s.ErrorLog())
		}
	}
}
