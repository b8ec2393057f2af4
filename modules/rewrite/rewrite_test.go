package rewrite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// exchange is one request and what its answer must show.
type exchange struct {
	name     string
	req      string // a path for "GET path HTTP/1.0", or a raw request
	status   int
	location string // exact Location ("PORT" is the server's port); "-" means absent
	body     string // exact body unless empty
	inBody   string
	closed   bool
	inLog    string
	notInLog string
}

func (x exchange) raw() string {
	if strings.HasPrefix(x.req, "/") {
		return "GET " + x.req + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
	}
	return x.req
}

func runExchanges(t *testing.T, s *servertest.Server, tests []exchange) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			if err := c.WriteString(tc.raw()); err != nil {
				t.Fatal(err)
			}
			if tc.closed {
				data, _ := c.ReadUntilClose()
				if len(data) != 0 {
					t.Fatalf("want a close without response, got %q", data)
				}
				return
			}
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			switch {
			case tc.location == "-":
				if resp.Has("Location") {
					t.Errorf("unexpected Location %q", resp.Get("Location"))
				}
			case tc.location != "":
				want := strings.ReplaceAll(tc.location, "PORT", s.Port("A"))
				if got := resp.Get("Location"); got != want {
					t.Errorf("Location %q, want %q", got, want)
				}
			}
			if tc.body != "" && string(resp.Body) != tc.body {
				t.Errorf("body %q, want %q", resp.Body, tc.body)
			}
			if tc.inBody != "" && !strings.Contains(string(resp.Body), tc.inBody) {
				t.Errorf("body %q lacks %q", resp.Body, tc.inBody)
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

const rewriteConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    default_type text/plain;
    types { text/html html; }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;

        location / {
            rewrite ^ http://example.com/ redirect;
        }
        location /add {
            rewrite ^ http://example.com/?c=d redirect;
        }
        location /no {
            rewrite ^ http://example.com/?c=d? redirect;
        }
        location /perm {
            rewrite ^/perm/(.*)$ /new/$1 permanent;
        }
        location /rel {
            rewrite ^ /relative redirect;
        }
        location /url {
            rewrite ^ https://example.com/u;
            return 200 "not reached";
        }
        location /return204 { return 204; }
        location /return200 { return 200; }
        location /return306 { return 306; }
        location /return405 { return 405; }
        location /return404empty { return 404 ""; }
        location /return200text { return 200 "text"; }
        location /return404text { return 404 "text"; }
        location /return302text { return 302 "text"; }
        location /return301 { return 301 /path; }
        location /returnurl { return http://example.com/$uri; }
        location /returnvars { return 200 "uri:$uri args:$args"; }
        location /return444 { return 444; }
        location /error404return405 { error_page 404 /return405; return 404; }
        location /error405return200text { error_page 405 /return200text; return 405; }
        location /error302return200text { error_page 302 /return200text; return 302 "text"; }
        location /error405return302text { error_page 405 /return302text; return 405; }
        location /error405rewrite { error_page 405 /; return 405; }

        location /capture {
            rewrite ^(.*) $1?c=d;
            return 200 "uri:$uri args:$args";
        }
        location /capturedup {
            rewrite ^(.*) $1?c=$1;
            return 200 "uri:$uri args:$args";
        }
        location /dropargs {
            rewrite ^ /dropped?;
            return 200 "uri:$uri args:[$args]";
        }
        location /noflag {
            rewrite ^/noflag/(.*) /a/$1;
            rewrite ^/a/(.*) /b/$1;
            return 200 "uri:$uri";
        }
        location /last {
            rewrite ^/last/(.*) /target/$1 last;
            return 200 "not reached";
        }
        location /target {
            return 200 "target:$uri args:$args";
        }
        location /brk {
            rewrite_log on;
            rewrite ^/brk/(.*) /target/$1 break;
            return 200 "after break:$uri";
        }
        location /brk2 {
            rewrite ^ /target/x;
            break;
            return 200 "not reached";
        }
        location /loop {
            rewrite ^ /loop2 last;
        }
        location /loop2 {
            rewrite ^ /loop last;
        }
        location /empty {
            rewrite ^ ?;
        }
        location /named {
            rewrite "^/named/(?P<tail>.*)" /target/$tail last;
        }
        location ~ ^/keepcap/(.*)$ {
            rewrite ^ /target/$1 last;
        }
        location ~ ^/resetcap/(.*)$ {
            rewrite ^/nomatch(.) /x;
            return 200 "cap:[$1]";
        }
        location /html {
            return 200 "typed";
        }
    }
}
`

func TestRewriteAndReturn(t *testing.T) {
	s := servertest.Start(t, rewriteConf)
	runExchanges(t, s, []exchange{
		{name: "simple redirect", req: "/", status: 302, location: "http://example.com/", inBody: "302 Found"},
		{name: "redirect keeps args", req: "/?a=b", status: 302, location: "http://example.com/?a=b"},
		{name: "redirect adds args", req: "/add", status: 302, location: "http://example.com/?c=d"},
		{name: "redirect adds args with args", req: "/add?a=b", status: 302, location: "http://example.com/?c=d&a=b"},
		{name: "redirect drops args", req: "/no?a=b", status: 302, location: "http://example.com/?c=d"},
		{name: "permanent", req: "/perm/x/y?q=1", status: 301, location: "http://localhost:PORT/new/x/y?q=1"},
		{name: "relative redirect made absolute", req: "/rel", status: 302, location: "http://localhost:PORT/relative"},
		{name: "url replacement redirects", req: "/url", status: 302, location: "https://example.com/u"},
		{name: "return 204", req: "/return204", status: 204},
		{name: "return 200", req: "/return200", status: 200, location: "-"},
		{name: "return 306", req: "/return306", status: 306},
		{name: "return 405 page", req: "/return405", status: 405, inBody: "405 Not Allowed"},
		{name: "return 404 empty text", req: "/return404empty", status: 404, inBody: "404 Not Found"},
		{name: "return 200 text", req: "/return200text", status: 200, body: "text"},
		{name: "return 404 text", req: "/return404text", status: 404, body: "text"},
		{name: "return 302 text", req: "/return302text", status: 302, location: "text"},
		{name: "return 301 relative", req: "/return301", status: 301, location: "http://localhost:PORT/path"},
		{name: "return url", req: "/returnurl", status: 302, location: "http://example.com//returnurl"},
		{name: "return vars", req: "/returnvars?x=1", status: 200, body: "uri:/returnvars args:x=1"},
		{name: "return 444 closes", req: "/return444", closed: true},
		{name: "error 404 return 405", req: "/error404return405", status: 405},
		{name: "error 405 to return 200 text", req: "/error405return200text", status: 405, body: "text"},
		{name: "error 302 return 200 text", req: "/error302return200text", status: 302, location: "text", body: "text"},
		{name: "error 405 return 302 text", req: "/error405return302text", status: 302, location: "text"},
		{name: "error 405 rewrite redirect", req: "/error405rewrite", status: 302, location: "http://example.com/"},
		{name: "escape with added args", req: "/capture/%25?a=b", status: 200, body: "uri:/capture/% args:c=d&a=b"},
		{name: "escape dup capture", req: "/capturedup/%25?a=b", status: 200, body: "uri:/capturedup/% args:c=/capturedup/%25&a=b"},
		{name: "question mark drops args", req: "/dropargs?a=b", status: 200, body: "uri:/dropped args:[]"},
		{name: "rewrites chain without flag", req: "/noflag/x", status: 200, body: "uri:/b/x"},
		{name: "last finds location again", req: "/last/x?a=1", status: 200, body: "target:/target/x args:a=1"},
		{name: "break stays in the location", req: "/brk/x", status: 404, inLog: `rewritten data: "/target/x", args: "", client: 127.0.0.1, server: localhost, request: "GET /brk/x HTTP/1.0"`},
		{name: "break directive stops", req: "/brk2", status: 404},
		{name: "rewrite cycle", req: "/loop", status: 500, inLog: "rewrite or internal redirection cycle while processing \"/loop2\""},
		{name: "zero length uri", req: "/empty", status: 500, inLog: "the rewritten URI has a zero length"},
		{name: "named capture", req: "/named/abc", status: 200, body: "target:/target/abc args:"},
		{name: "capture-less regex empties location captures", req: "/keepcap/zz", status: 200, body: "target:/target/ args:"},
		{name: "failed match clears captures", req: "/resetcap/zz", status: 200, body: "cap:[]"},
		{name: "content type from extension", req: "/html/a.html", status: 200, body: "typed"},
	})
}

func TestReturnHeaders(t *testing.T) {
	s := servertest.Start(t, rewriteConf)
	tests := []struct {
		name, path, ctype string
		length            string
	}{
		{name: "default type", path: "/return200text", ctype: "text/plain", length: "4"},
		{name: "type by extension", path: "/html/a.html", ctype: "text/html", length: "5"},
		{name: "empty 200", path: "/return200", ctype: "text/plain", length: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := testutil.RoundTrip(t, s.Addr("A"), "GET "+tc.path+" HTTP/1.0\r\n\r\n")
			if got := resp.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := resp.Get("Content-Length"); got != tc.length {
				t.Errorf("Content-Length %q, want %q", got, tc.length)
			}
		})
	}
	t.Run("head", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("A"))
		defer c.Close()
		if err := c.WriteString("HEAD /return200text HTTP/1.0\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := c.ReadHeadResponse()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Get("Content-Length") != "4" || len(resp.Body) != 0 {
			t.Errorf("HEAD answer:\n%s", resp)
		}
	})
}

func TestIf(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0755); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(`
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;

        location / { if ($arg_c) { return 204; } }
        location /sp { if ( $arg_c ) { return 204; } }
        location /eq { if ($arg_c = 1) { return 204; } }
        location /quoted { if ($arg_c = "a b") { return 204; } }
        location /not { if ($arg_c != 2) { return 204; } }
        location /pos { if ($arg_c ~ foo) { return 204; } }
        location /cpos { if ($arg_c ~* foo) { return 204; } }
        location /neg { if ($arg_c !~ foo) { return 204; } }
        location /cneg { if ($arg_c !~* foo) { return 204; } }
        location /capture {
            if ($arg_c ~ ^(\w+)-(?P<second>\w+)$) { return 200 "$2 $1 $second"; }
        }
        location /plain { if (-f DIR/$arg_c) { return 204; } }
        location /dir { if (-d DIR/$arg_c) { return 204; } }
        location /exist { if (-e DIR/$arg_c) { return 204; } }
        location /exec { if (-x DIR/$arg_c) { return 204; } }
        location /not_plain { if (!-f DIR/$arg_c) { return 204; } }
        location /not_dir { if (!-d DIR/$arg_c) { return 204; } }
        location /not_exist { if (!-e DIR/$arg_c) { return 204; } }
        location /not_exec { if (!-x DIR/$arg_c) { return 204; } }
        location /after {
            if ($arg_c) { set $x "in-if"; }
            return 200 "x=$x";
        }
        location /ifconf {
            error_page 404 /nf;
            if ($arg_c) { error_page 404 /inif; }
        }
        location /nf { return 200 "outer page"; }
        location /inif { return 200 "if page"; }
        location /ifrewrite {
            if ($arg_c) { rewrite ^ /target last; }
            return 200 "no rewrite";
        }
        location /target { return 200 "target"; }
    }
}
`, "DIR", dir)
	s := servertest.Start(t, conf)
	runExchanges(t, s, []exchange{
		{name: "var", req: "/?c=1", status: 204},
		{name: "false", req: "/?c=0", status: 404},
		{name: "empty", req: "/?c=", status: 404},
		{name: "spaces", req: "/sp?c=1", status: 204},
		{name: "equal", req: "/eq?c=1", status: 204},
		{name: "equal false", req: "/eq?c=2", status: 404},
		{name: "equal quoted", req: "/quoted?c=a%20b", status: 404},
		{name: "not equal", req: "/not?c=1", status: 204},
		{name: "not equal false", req: "/not?c=2", status: 404},
		{name: "match", req: "/pos?c=food", status: 204},
		{name: "match case", req: "/cpos?c=FooD", status: 204},
		{name: "match negative", req: "/neg?c=FooD", status: 204},
		{name: "match negative case", req: "/cneg?c=bar", status: 204},
		{name: "mismatch", req: "/pos?c=FooD", status: 404},
		{name: "mismatch case", req: "/cpos?c=bar", status: 404},
		{name: "mismatch negative", req: "/neg?c=food", status: 404},
		{name: "mismatch negative case", req: "/cneg?c=FooD", status: 404},
		{name: "captures", req: "/capture?c=ab-cd", status: 200, body: "cd ab cd"},
		{name: "plain file", req: "/plain?c=file", status: 204},
		{name: "plain dir", req: "/plain?c=dir", status: 404},
		{name: "not plain file", req: "/not_plain?c=file", status: 404},
		{name: "not plain dir", req: "/not_plain?c=dir", status: 204},
		{name: "directory dir", req: "/dir?c=dir", status: 204},
		{name: "directory file", req: "/dir?c=file", status: 404},
		{name: "not directory file", req: "/not_dir?c=file", status: 204},
		{name: "not directory dir", req: "/not_dir?c=dir", status: 404},
		{name: "exist file", req: "/exist?c=file", status: 204},
		{name: "exist dir", req: "/exist?c=dir", status: 204},
		{name: "exist non-existent", req: "/exist?c=nx", status: 404},
		{name: "not exist non-existent", req: "/not_exist?c=nx", status: 204},
		{name: "not exist file", req: "/not_exist?c=file", status: 404},
		{name: "executable file", req: "/exec?c=file", status: 404},
		{name: "executable dir", req: "/exec?c=dir", status: 204},
		{name: "not executable file", req: "/not_exec?c=file", status: 204},
		{name: "not executable dir", req: "/not_exec?c=dir", status: 404},
		{name: "statements after if run", req: "/after?c=1", status: 200, body: "x=in-if"},
		{name: "uninitialized warning", req: "/after", status: 200, body: "x=", inLog: `[warn] `},
		{name: "if location conf applies", req: "/ifconf?c=1", status: 404, body: "if page"},
		{name: "outer conf without if", req: "/ifconf", status: 404, body: "outer page"},
		{name: "rewrite last in if", req: "/ifrewrite?c=1", status: 200, body: "target"},
		{name: "no rewrite", req: "/ifrewrite", status: 200, body: "no rewrite"},
	})
	if log := s.ErrorLog(); !strings.Contains(log, `using uninitialized "x" variable, client: 127.0.0.1, server: localhost, request: "GET /after HTTP/1.0"`) {
		t.Errorf("error log lacks the uninitialized warning:\n%s", log)
	}
}

func TestServerLevelAndSet(t *testing.T) {
	s := servertest.Start(t, `
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        rewrite_log on;

        rewrite ^/old/(.*)$ /new/$1;
        if ($arg_stop) { return 418; }
        if ($arg_brk) { rewrite ^ /brk break; }
        set $from "server";

        location /new/ { return 200 "new:$uri from:$from"; }
        location /brk { return 200 "brk:$uri"; }
        location /args { set $args "a=1&b=2"; return 200 "$args|$arg_b|$is_args"; }
        location /http { set $http_x_test "mine"; return 200 "[$http_x_test]"; }
        location /httpother { return 200 "[$http_x_test]"; }
        location /quiet {
            uninitialized_variable_warn off;
            return 200 "[$never]";
        }
        location /neverset { set $never 1; }
    }
}
`)
	runExchanges(t, s, []exchange{
		{name: "server rewrite then location", req: "/old/x", status: 200, body: "new:/new/x from:server",
			inLog: `"^/old/(.*)$" matches "/old/x"`},
		{name: "server if return", req: "/new/y?stop=1", status: 418},
		{name: "server break skips the rest", req: "/x?brk=1", status: 200, body: "brk:/brk"},
		{name: "set args", req: "/args?z=9", status: 200, body: "a=1&b=2|2|?"},
		{name: "weak variable set here", req: "GET /http HTTP/1.0\r\nX-Test: header\r\n\r\n", status: 200, body: "[mine]"},
		{name: "weak variable is the header elsewhere", req: "GET /httpother HTTP/1.0\r\nX-Test: header\r\n\r\n", status: 200, body: "[header]"},
		{name: "no warning when off", req: "/quiet", status: 200, body: "[]", notInLog: `"never"`},
	})
}
