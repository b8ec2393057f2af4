package fastcgi_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

const stdParams = `
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_param SCRIPT_NAME     $fastcgi_script_name;
        fastcgi_param REQUEST_METHOD  $request_method;
        fastcgi_param QUERY_STRING    $query_string;
        fastcgi_param CONTENT_LENGTH  $content_length;
        fastcgi_param CONTENT_TYPE    $content_type;
        fastcgi_param REQUEST_URI     $request_uri;
        fastcgi_param SERVER_PROTOCOL $server_protocol;
`

// okAnswer is a minimal complete response.
func okAnswer(*fcgiRequest) []string {
	return []string{stdout("Content-Type: text/plain\r\n\r\nok") + stdout("") + endRequest()}
}

func TestParams(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startRaw(t, false, okAnswer)
	s := serve(t, b.addr(), stdParams, `
        location / {
            fastcgi_pass FCGI;
            fastcgi_index index.php;
        }
        location /split/ {
            fastcgi_pass FCGI;
            fastcgi_split_path_info ^(.+\.php)(/.*)$;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param EMPTY "" if_not_empty;
            fastcgi_param NOTEMPTY "x" if_not_empty;
            fastcgi_param HTTP_X_OVERRIDE "set by param";
            fastcgi_param HTTP_X_HIDDEN "";
        }
        location /nohdr/ {
            fastcgi_pass FCGI;
            fastcgi_pass_request_headers off;
            fastcgi_param SCRIPT_NAME /x;
        }
        location /body/ {
            fastcgi_pass FCGI;
            fastcgi_pass_request_body off;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_keep_conn on;
        }
`)
	tests := []struct {
		name   string
		req    string
		params map[string]string // "" value: absent
		stdin  string
		keep   bool
	}{
		{name: "GET with inherited params",
			req: "GET /dir/?a=1 HTTP/1.0\r\nHost: LocalHost.:8080\r\nUser-Agent: test-ua\r\nX-Dash-Name: d\r\n\r\n",
			params: map[string]string{"SCRIPT_NAME": "/dir/index.php", "QUERY_STRING": "a=1", "REQUEST_METHOD": "GET",
				"HTTP_USER_AGENT": "test-ua", "HTTP_HOST": "localhost:8080", "HTTP_X_DASH_NAME": "d", "REQUEST_URI": "/dir/?a=1",
				"SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": ""}},
		{name: "POST body",
			req:    "POST /p HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Type: text/x\r\n\r\nhello",
			params: map[string]string{"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5", "CONTENT_TYPE": "text/x", "HTTP_CONTENT_TYPE": "text/x"},
			stdin:  "hello"},
		{name: "split path info and a level with its own params",
			req: "GET /split/a.php/extra/path HTTP/1.0\r\nHost: localhost\r\nX-Override: client\r\nX-Hidden: h\r\nX-Other: o\r\n\r\n",
			params: map[string]string{"SCRIPT_NAME": "/split/a.php", "PATH_INFO": "/extra/path", "HTTP_X_OVERRIDE": "set by param",
				"HTTP_X_OTHER": "o", "HTTP_X_HIDDEN": "", "EMPTY": "", "NOTEMPTY": "x", "QUERY_STRING": "", "HTTP_HOST": "localhost"}},
		{name: "no request headers",
			req:    "GET /nohdr/ HTTP/1.0\r\nHost: localhost\r\nX-Secret: s\r\n\r\n",
			params: map[string]string{"SCRIPT_NAME": "/x", "HTTP_X_SECRET": "", "HTTP_HOST": "localhost"}},
		{name: "no request body, keep conn flag",
			req:    "POST /body/ HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
			params: map[string]string{"CONTENT_LENGTH": "5"}, keep: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := roundTrip(t, s, tt.req)
			if resp.StatusCode != 200 || string(resp.Body) != "ok" {
				t.Fatalf("response %s", resp)
			}
			req := b.last()
			for k, v := range tt.params {
				got, ok := req.params[k]
				if v == "" && ok {
					t.Errorf("param %s=%q sent, want none", k, got)
				}
				if v != "" && got != v {
					t.Errorf("param %s=%q, want %q", k, got, v)
				}
			}
			if string(req.stdin) != tt.stdin {
				t.Errorf("stdin %q, want %q", req.stdin, tt.stdin)
			}
			if req.keepConn != tt.keep {
				t.Errorf("keep conn flag %v", req.keepConn)
			}
		})
	}
}

func TestStatusAndHeaders(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startFCGI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			w.Header().Set("X-Accel-Expires", "10")
			w.WriteHeader(404)
			fmt.Fprint(w, "nope")
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 100000)))
		}
	}))
	s := serve(t, b.Addr().String(), "", `
        location / {
            fastcgi_pass FCGI;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param SCRIPT_NAME $uri;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
        }
        location /unbuffered/ {
            rewrite ^/unbuffered(.*)$ $1 break;
            fastcgi_pass FCGI;
            fastcgi_buffering off;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param SCRIPT_NAME $uri;
            fastcgi_param REQUEST_URI $uri;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
        }
`)
	resp := roundTrip(t, s, get("/404"))
	if resp.StatusCode != 404 || string(resp.Body) != "nope" || resp.Has("Status") || resp.Has("X-Accel-Expires") {
		t.Errorf("404: %s", resp)
	}
	resp = roundTrip(t, s, get("/redirect"))
	if resp.StatusCode != 302 || !strings.HasSuffix(resp.Get("Location"), "/elsewhere") {
		t.Errorf("redirect: %s", resp)
	}
	for _, path := range []string{"/big", "/unbuffered/big"} {
		resp = roundTrip(t, s, get(path))
		if resp.StatusCode != 200 || len(resp.Body) != 100000 || !resp.Complete {
			t.Errorf("%s: status %d, %d bytes, complete %v", path, resp.StatusCode, len(resp.Body), resp.Complete)
		}
	}
}

func TestStore(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startRaw(t, false, func(req *fcgiRequest) []string {
		if req.params["REQUEST_URI"] == "/store/missing" {
			return []string{stdout("Status: 404 Not Found\r\n\r\nno") + stdout("") + endRequest()}
		}
		return []string{stdout("Content-Type: text/plain\r\nContent-Length: 6\r\n\r\nstored") + stdout("") + endRequest()}
	})
	s := serve(t, b.addr(), "", `
        location /store/ {
            root %%PREFIX%%/html;
            fastcgi_pass FCGI;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_store on;
            fastcgi_store_access user:rw group:r;
            fastcgi_temp_path %%PREFIX%%/fcgi_temp;
        }
        location /named/ {
            fastcgi_pass FCGI;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_store %%PREFIX%%/named$uri.txt;
        }
`)
	for _, path := range []string{"/store/a/file", "/store/missing", "/named/x"} {
		roundTrip(t, s, get(path))
	}
	if resp := roundTrip(t, s, "HEAD /store/head HTTP/1.0\r\nHost: localhost\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %s", resp)
	}
	// the file is renamed into place as the request ends, which may be
	// just after the client has the whole body
	waitFile := func(name string) string {
		deadline := time.Now().Add(5 * time.Second)
		for s.ReadFile(name) == "" && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		return s.ReadFile(name)
	}
	if got := waitFile("html/store/a/file"); got != "stored" {
		t.Errorf("stored file %q", got)
	}
	if got := waitFile("named/named/x.txt"); got != "stored" {
		t.Errorf("stored file with a path %q", got)
	}
	for _, f := range []string{"html/store/missing", "html/store/head"} {
		if s.ReadFile(f) != "" {
			t.Errorf("%s stored", f)
		}
	}
	testutil.CheckNoFDsUnder(t, s.Prefix()+"fcgi_temp")
	if left, _ := os.ReadDir(s.Prefix() + "fcgi_temp"); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestLimitExceptInheritsPass(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startRaw(t, false, okAnswer)
	s := serve(t, b.addr(), "", `
        location / {
            fastcgi_pass FCGI;
            limit_except GET {
                allow 127.0.0.1;
                deny all;
            }
        }
`)
	for _, req := range []string{get("/"), "POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"} {
		if resp := roundTrip(t, s, req); resp.StatusCode != 200 || string(resp.Body) != "ok" {
			t.Errorf("%q: %s", req, resp)
		}
	}
}

func TestKeepConn(t *testing.T) {
	testutil.CheckLeaks(t)
	g := startFCGI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello "+r.URL.Path)
	}))
	raw := startRaw(t, true, func(req *fcgiRequest) []string {
		return []string{stdout("Content-Type: text/plain\r\n\r\nraw") + stderr("note") + stdout("") + endRequest()}
	})
	s := serve(t, "", `
    upstream gofcgi {
        server `+g.Addr().String()+`;
        keepalive 4;
    }
    upstream raw {
        server `+raw.addr()+`;
        keepalive 4;
    }
    fastcgi_param REQUEST_METHOD $request_method;
    fastcgi_param SCRIPT_NAME $uri;
    fastcgi_param REQUEST_URI $request_uri;
    fastcgi_param SERVER_PROTOCOL $server_protocol;
`, `
        location / {
            fastcgi_pass gofcgi;
            fastcgi_keep_conn on;
        }
        location /unbuf/ {
            fastcgi_pass gofcgi;
            fastcgi_keep_conn on;
            fastcgi_buffering off;
        }
        location /raw/ {
            fastcgi_pass raw;
            fastcgi_keep_conn on;
        }
        location /close/ {
            fastcgi_pass `+g.Addr().String()+`;
        }
`)
	for i := 0; i < 5; i++ {
		for _, path := range []string{"/a", "/unbuf/b"} {
			if resp := roundTrip(t, s, get(path)); resp.StatusCode != 200 || string(resp.Body) != "hello "+path {
				t.Fatalf("%s: %s", path, resp)
			}
		}
		if resp := roundTrip(t, s, get("/raw/x")); string(resp.Body) != "raw" {
			t.Fatalf("raw: %s", resp)
		}
	}
	if n := g.accepted.Load(); n != 1 {
		t.Errorf("net/http/fcgi accepted %d connections for 10 requests with fastcgi_keep_conn, want 1", n)
	}
	if n := raw.accepted.Load(); n != 1 {
		t.Errorf("raw backend accepted %d connections, want 1", n)
	}
	if req := raw.last(); !req.keepConn {
		t.Error("FCGI_KEEP_CONN not set")
	}
	before := g.accepted.Load()
	for i := 0; i < 2; i++ {
		roundTrip(t, s, get("/close/c"))
	}
	if n := g.accepted.Load() - before; n != 2 {
		t.Errorf("without fastcgi_keep_conn: %d connections for 2 requests", n)
	}
}

func TestRequestBodies(t *testing.T) {
	testutil.CheckLeaks(t)
	g := startFCGI(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(500)
			return
		}
		fmt.Fprintf(w, "%d %x", len(body), sha256.Sum256(body))
	}))
	s := serve(t, g.Addr().String(), `
    fastcgi_param REQUEST_METHOD $request_method;
    fastcgi_param SCRIPT_NAME $uri;
    fastcgi_param CONTENT_LENGTH $content_length;
    fastcgi_param SERVER_PROTOCOL $server_protocol;
`, `
        location /mem/ {
            fastcgi_pass FCGI;
            client_body_buffer_size 1m;
            client_max_body_size 10m;
        }
        location /file/ {
            fastcgi_pass FCGI;
            client_body_buffer_size 1k;
            client_max_body_size 10m;
        }
        location /stream/ {
            fastcgi_pass FCGI;
            fastcgi_request_buffering off;
            client_max_body_size 10m;
        }
`)
	body := make([]byte, 100003)
	for i := range body {
		body[i] = byte(i * 7)
	}
	want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body))
	chunked := func(b []byte) string {
		var sb strings.Builder
		for len(b) > 0 {
			n := min(len(b), 7000)
			fmt.Fprintf(&sb, "%x\r\n%s\r\n", n, b[:n])
			b = b[n:]
		}
		return sb.String() + "0\r\n\r\n"
	}
	for _, loc := range []string{"/mem/", "/file/", "/stream/"} {
		reqs := map[string]string{
			"length":  "POST " + loc + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + string(body),
			"chunked": "POST " + loc + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body),
		}
		for name, req := range reqs {
			resp := roundTrip(t, s, req)
			if resp.StatusCode != 200 || string(resp.Body) != want {
				t.Errorf("%s %s: %d %q, want %q", loc, name, resp.StatusCode, resp.Body, want)
			}
		}
	}
}

func TestParamsTooBig(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startRaw(t, false, okAnswer)
	s := serve(t, b.addr(), "", `
        location / {
            fastcgi_pass FCGI;
            fastcgi_param BIG `+strings.Repeat("$arg_x", 20)+`;
        }
`)
	if resp := roundTrip(t, s, get("/?x="+strings.Repeat("y", 3600))); resp.StatusCode != 500 {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	waitLog(t, s, "[alert]")
	waitLog(t, s, "fastcgi request record is too big: 7")
	if b.accepted.Load() != 0 {
		t.Error("the backend was asked")
	}
}

func TestNextUpstream(t *testing.T) {
	testutil.CheckLeaks(t)
	bad := startRaw(t, false, func(*fcgiRequest) []string {
		return []string{stderr("PHP FATAL error") + stdout("\r\nbad") + stdout("") + endRequest()}
	})
	good := startRaw(t, false, okAnswer)
	s := serve(t, "", `
    upstream both {
        server `+bad.addr()+`;
        server `+good.addr()+`;
    }
`, `
        location / {
            fastcgi_pass both;
            fastcgi_catch_stderr FATAL;
            fastcgi_next_upstream invalid_header;
        }
        location /off/ {
            fastcgi_pass `+bad.addr()+`;
            fastcgi_catch_stderr FATAL;
        }
`)
	for i := 0; i < 4; i++ {
		if resp := roundTrip(t, s, get("/")); resp.StatusCode != 200 || string(resp.Body) != "ok" {
			t.Fatalf("request %d: %s", i, resp)
		}
	}
	if resp := roundTrip(t, s, get("/off/")); resp.StatusCode != 502 {
		t.Errorf("caught stderr without next upstream: %d", resp.StatusCode)
	}
	waitLog(t, s, `FastCGI sent in stderr: "PHP FATAL error" while reading response header from upstream`)
}

func TestPassWithVariables(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startRaw(t, false, okAnswer)
	s := serve(t, "", `
    upstream named {
        server `+b.addr()+`;
    }
`, `
        location / {
            fastcgi_pass $arg_to;
        }
`)
	for _, to := range []string{b.addr(), "named"} {
		if resp := roundTrip(t, s, get("/?to="+to)); resp.StatusCode != 200 || string(resp.Body) != "ok" {
			t.Errorf("to %s: %s", to, resp)
		}
	}
	if resp := roundTrip(t, s, get("/?to=127.0.0.1:x")); resp.StatusCode != 500 {
		t.Errorf("bad address: %d", resp.StatusCode)
	}
	waitLog(t, s, `invalid port in upstream "127.0.0.1:x"`)
	if resp := roundTrip(t, s, get("/?to=nosuch.invalid:1")); resp.StatusCode != 502 {
		t.Errorf("no resolver: %d", resp.StatusCode)
	}
	waitLog(t, s, "no resolver defined to resolve nosuch.invalid")
}
