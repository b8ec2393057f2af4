package authrequest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

func inLocation(s string) string {
	return "events {}\nhttp {\n    server {\n        location / {\n            " + s + "\n        }\n    }\n}\n"
}

// TestConf: the directives' errors, as nginx -t words them.
func TestConf(t *testing.T) {
	tests := []struct{ name, conf, want string }{
		{"valid", inLocation(`auth_request /auth; auth_request_set $u $upstream_http_x_user;`), ``},
		{"off", inLocation(`auth_request off;`), ``},
		{"set twice", inLocation(`auth_request_set $u a; auth_request_set $u b;`), ``},
		{"set a variable of another module", inLocation(`auth_request_set $limit_rate 10;`), ``},
		{"duplicate", inLocation(`auth_request /a; auth_request /b;`), `"auth_request" directive is duplicate in FILE:5`},
		{"off duplicate", inLocation(`auth_request off; auth_request /b;`), `"auth_request" directive is duplicate in FILE:5`},
		{"arguments", inLocation(`auth_request;`), `invalid number of arguments in "auth_request" directive in FILE:5`},
		{"set arguments", inLocation(`auth_request_set $u;`), `invalid number of arguments in "auth_request_set" directive in FILE:5`},
		{"set no dollar", inLocation(`auth_request_set u a;`), `invalid variable name "u" in FILE:5`},
		{"set only dollar", inLocation(`auth_request_set $ a;`), `invalid variable name "$" in FILE:5`},
		{"set a variable that cannot change", inLocation(`auth_request_set $uri a;`), `the duplicate "uri" variable in FILE:5`},
		{"set unknown variable in value", inLocation(`auth_request_set $u $nosuch;`), `unknown "nosuch" variable`},
		{"in if", inLocation(`if ($arg_a) { auth_request /a; }`), `"auth_request" directive is not allowed here in FILE:5`},
		{"in limit_except", inLocation(`limit_except GET { auth_request /a; }`), `"auth_request" directive is not allowed here in FILE:5`},
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

const serveConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        client_body_buffer_size 1k;
        location /p/ { auth_request /auth; proxy_pass http://MAIN; }
        location = /auth { proxy_pass http://AUTH; }
    }
}
`

// TestServe covers what the differential test cannot: several
// WWW-Authenticate lines (nginx 1.22, the oracle, copies the first only),
// keepalive connections with bodies, a body the main request buffers to a
// file, and a large auth answer body that never reaches the client.
func TestServe(t *testing.T) {
	testutil.CheckLeaks(t)
	b := startBackends(t)
	conf := strings.NewReplacer("AUTH", b.auth.Addr(), "MAIN", b.main.Addr()).Replace(serveConf)
	s := servertest.Start(t, conf)

	t.Run("every WWW-Authenticate line", func(t *testing.T) {
		c := testutil.Dial(t, s.Addr("0"))
		defer c.Close()
		c.WriteString(get("/p/", "X-Status: 401\r\nX-Www: Basic realm=\"one\"\r\nX-Www: Bearer\r\n"))
		r, err := c.ReadResponse()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(r.Values("WWW-Authenticate"), " | "); r.StatusCode != 401 || got != `Basic realm="one" | Bearer` {
			t.Errorf("status %d, WWW-Authenticate %q", r.StatusCode, got)
		}
	})

	t.Run("keepalive, bodies", func(t *testing.T) {
		na, nm := len(b.auth.Requests()), len(b.main.Requests())
		big := strings.Repeat("x", 100000)
		c := testutil.Dial(t, s.Addr("0"))
		defer c.Close()
		c.WriteString("POST /p/1 HTTP/1.1\r\nHost: localhost\r\nX-Status: 403\r\nContent-Length: 5\r\n\r\nhello" +
			"POST /p/2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + big +
			"POST /p/3 HTTP/1.1\r\nHost: localhost\r\nX-Status: 401\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
			"GET /p/4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		var statuses []int
		for range 4 {
			r, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("after %v: %v", statuses, err)
			}
			statuses = append(statuses, r.StatusCode)
		}
		if want := []int{403, 200, 401, 200}; !slices.Equal(statuses, want) {
			t.Errorf("statuses %v, want %v", statuses, want)
		}
		seen := b.seen(t, na, nm)
		if n := strings.Count(seen, "auth: "); n != 4 {
			t.Errorf("%d auth requests, want 4:\n%s", n, seen)
		}
		if strings.Count(seen, `after head: ""`) != 4 {
			t.Errorf("a body reached the auth server:\n%s", seen)
		}
		mains := b.main.Requests()[nm:]
		if len(mains) != 2 || string(mains[0].Body) != big || len(mains[1].Body) != 0 {
			t.Errorf("the backend received %d requests", len(mains))
		}
	})
}
