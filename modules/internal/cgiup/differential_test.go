package cgiup_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// answers are what the test backend sends, by REQUEST_URI's path; "echo"
// answers the params it received (in order) as the body.
var answers = map[string]string{
	"/status-line":        "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nnew",
	"/status-line-http10": "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold",
	"/cgi-status":         "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnothing here",
	"/cgi-location":       "Location: http://example.com/there\r\n\r\n",
	"/cgi-default":        "Content-Type: text/html\r\n\r\n<p>default</p>",
	"/lf-only":            "Content-Type: text/plain\nX-Test: lf\n\nbare LF",
	"/hidden":             "Status: 200 OK\r\nX-Accel-Buffering: no\r\nX-Accel-Limit-Rate: 0\r\nX-Pad: 1\r\nContent-Type: text/plain\r\n\r\nhidden",
	"/server-date":        "Server: backend/1\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: text/plain\r\n\r\nsd",
	"/cookie":             "Set-Cookie: a=1; path=/\r\nSet-Cookie: b=2\r\nContent-Type: text/plain\r\n\r\ncookies",
	"/no-content":         "Status: 204 No Content\r\nContent-Length: 5\r\n\r\n",
	"/not-modified":       "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
	"/length":             "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nfour-and-more",
	"/short":              "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort",
	"/bad-status":         "Status: abc\r\n\r\nbody",
	"/bad-header":         "Content-Type: text/plain\r\nX Bad: y\r\n\r\nbody",
	"/too-big":            "Content-Type: text/plain\r\nX-Long: " + strings.Repeat("x", 5000) + "\r\n\r\nbig",
	"/close":              "",
	"/redirect-error":     "Status: 500 Oops\r\nContent-Type: text/plain\r\n\r\nbackend error page",
	"/x-accel-redirect":   "X-Accel-Redirect: /internal\r\n\r\n",
}

// backend starts an SCGI or uwsgi server answering by REQUEST_URI.
func backend(t *testing.T, proto string) *testutil.Backend {
	read := testutil.ReadSCGI()
	if proto == "uwsgi" {
		read = testutil.ReadUWSGI()
	}
	return testutil.StartBackend(t, testutil.Script{read, testutil.Func(func(c *testutil.BackendConn) error {
		req := c.LastRequest()
		path, _, _ := strings.Cut(req.Header("REQUEST_URI"), "?")
		ans, ok := answers[path]
		if !ok {
			var b strings.Builder
			for _, l := range strings.Split(req.Head, "\r\n") {
				if l != "" {
					b.WriteString(l + "\n")
				}
			}
			fmt.Fprintf(&b, "body=%q\n", req.Body)
			ans = fmt.Sprintf("Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", b.Len(), b.String())
		}
		if ans == "" {
			return nil // close without an answer
		}
		_, err := c.Write([]byte(ans))
		return err
	})})
}

// diffConf is served by Debian's nginx and by sluice; P is the module
// (scgi or uwsgi), BACKEND the test server's address.
const diffConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        default_type text/plain;

        PFX_param REQUEST_METHOD $request_method;
        PFX_param REQUEST_URI $request_uri;
        PFX_param QUERY_STRING $query_string;
        PFX_param CONTENT_TYPE $content_type;
        PFX_param HTTPS $https if_not_empty;
        PFX_param EMPTY "";
        PFX_param SERVER_NAME $server_name;

        location / {
            PFX_pass BACKEND;
        }
        location /nohead/ {
            PFX_pass_request_headers off;
            PFX_pass BACKEND;
        }
        location /nobody/ {
            PFX_pass_request_body off;
            PFX_pass BACKEND;
        }
        location /unbuf/ {
            PFX_buffering off;
            PFX_pass BACKEND;
        }
        location /stream/ {
            PFX_request_buffering off;
            PFX_pass BACKEND;
        }
        location /own/ {
            PFX_param OWN yes;
            PFX_param HTTP_HOST forced;
            PFX_param HTTP_USER_AGENT "";
            PFX_pass BACKEND;
        }
        location /pass/ {
            PFX_pass_header X-Accel-Buffering;
            PFX_hide_header X-Pad;
            PFX_pass BACKEND;
        }
        location /intercept/ {
            PFX_intercept_errors on;
            error_page 500 = /fallback;
            PFX_pass BACKEND;
        }
        location = /fallback {
            return 200 "fallback\n";
        }
        location = /internal {
            internal;
            return 200 "internal\n";
        }
        location /var/ {
            set $up BACKEND;
            PFX_pass $up;
        }
        location /dir/ {
            PFX_pass BACKEND;
        }
        #EXTRA
        location /le/ {
            limit_except GET {
                allow 127.0.0.1;
                deny all;
            }
            PFX_pass BACKEND;
        }
        location /le-deny/ {
            limit_except GET {
                deny all;
            }
            PFX_pass BACKEND;
        }
    }
}
`

// comparison adds the headers these tests are about to the default ones.
// The echoed HTTP_HOST param is left out: sluice sends it as nginx 1.29.5
// does ($host$is_request_port$request_port, also without a Host header or
// with X_pass_request_headers off), which nginx 1.22 does not; TestHost
// checks it.
func comparison() oracle.Comparison {
	c := oracle.DefaultComparison()
	c.NormalizeBody = func(b []byte) []byte {
		return oracle.NormalizeServerTokens(hostParam.ReplaceAll(b, nil))
	}
	c.Headers = append(c.Headers, "X-Test", "Status", "X-Accel-Buffering", "X-Accel-Charset", "X-Pad", "X-Long")
	c.Headers = slices.DeleteFunc(c.Headers, func(h string) bool { return h == "Accept-Ranges" })
	return c
}

// TestDifferential compares sluice with nginx in front of the same SCGI
// and uwsgi backends: the answers, and the params the backend received
// (echoed in the body).
func TestDifferential(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) {
			b := backend(t, proto)
			conf := diffConf
			if proto == "uwsgi" {
				conf = strings.Replace(conf, "#EXTRA", "location /mod/ { uwsgi_modifier1 5; uwsgi_modifier2 255; uwsgi_pass BACKEND; }", 1)
			}
			conf = strings.ReplaceAll(strings.ReplaceAll(conf, "PFX_", proto+"_"), "BACKEND", b.Addr())
			n := oracle.Start(t, conf)
			s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
			tests := []struct {
				name string
				req  string
				head bool
			}{
				{name: "echo get", req: "GET /echo?a=1&b=%20 HTTP/1.0\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n"},
				{name: "echo post", req: "POST /echo HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/x\r\nContent-Length: 5\r\n\r\nhello"},
				{name: "echo post keepalive", req: "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"},
				{name: "echo chunked", req: "POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"},
				{name: "echo underscore header", req: "GET /echo HTTP/1.0\r\nHost: localhost\r\nX_Under: 1\r\nX-Dash: 2\r\n\r\n"},
				{name: "no request headers", req: "GET /nohead/echo HTTP/1.0\r\nHost: localhost\r\nX-A: 1\r\n\r\n"},
				{name: "streamed body", req: "POST /stream/echo HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"},
				{name: "streamed chunked body", req: "POST /stream/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
				{name: "own params", req: "GET /own/echo HTTP/1.0\r\nHost: localhost\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"},
				{name: "variables", req: "GET /var/echo HTTP/1.0\r\nHost: localhost\r\n\r\n"},
				{name: "status line", req: "GET /status-line HTTP/1.0\r\n\r\n"},
				{name: "status line http/1.0", req: "GET /status-line-http10 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
				{name: "cgi status", req: "GET /cgi-status HTTP/1.0\r\n\r\n"},
				{name: "cgi location", req: "GET /cgi-location HTTP/1.0\r\n\r\n"},
				{name: "cgi default", req: "GET /cgi-default HTTP/1.0\r\n\r\n"},
				{name: "bare LF", req: "GET /lf-only HTTP/1.0\r\n\r\n"},
				{name: "hidden headers", req: "GET /hidden HTTP/1.0\r\n\r\n"},
				{name: "pass and hide header", req: "GET /pass/hidden HTTP/1.0\r\n\r\n"},
				{name: "upstream server and date", req: "GET /server-date HTTP/1.0\r\n\r\n"},
				{name: "cookies", req: "GET /cookie HTTP/1.0\r\n\r\n"},
				{name: "no content", req: "GET /no-content HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
				{name: "not modified", req: "GET /not-modified HTTP/1.0\r\n\r\n"},
				{name: "more than content-length", req: "GET /length HTTP/1.0\r\n\r\n"},
				{name: "unbuffered more than content-length", req: "GET /unbuf/length HTTP/1.0\r\n\r\n"},
				{name: "head", req: "HEAD /cgi-default HTTP/1.0\r\n\r\n", head: true},
				{name: "head status line", req: "HEAD /status-line HTTP/1.0\r\n\r\n", head: true},
				{name: "invalid status", req: "GET /bad-status HTTP/1.0\r\n\r\n"},
				{name: "invalid header", req: "GET /bad-header HTTP/1.0\r\n\r\n"},
				{name: "too big header", req: "GET /too-big HTTP/1.0\r\n\r\n"},
				{name: "closed without answer", req: "GET /close HTTP/1.0\r\n\r\n"},
				{name: "intercepted error", req: "GET /intercept/redirect-error HTTP/1.0\r\n\r\n"},
				{name: "error not intercepted", req: "GET /redirect-error HTTP/1.0\r\n\r\n"},
				{name: "x-accel-redirect", req: "GET /x-accel-redirect HTTP/1.0\r\n\r\n"},
				{name: "modifiers (uwsgi only)", req: "GET /mod/echo HTTP/1.0\r\nHost: localhost\r\n\r\n"},
				{name: "limit_except allowed", req: "POST /le/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nok"},
				{name: "limit_except denied", req: "POST /le-deny/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nok"},
				{name: "limit_except other method", req: "GET /le-deny/echo HTTP/1.0\r\n\r\n"},
				{name: "auto redirect", req: "GET /dir HTTP/1.0\r\nHost: localhost\r\n\r\n"},
			}
			cmp := comparison()
			cmp.Normalize["location"] = func(v string) string { return portRE.ReplaceAllString(v, ":<port>") }
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c := cmp
					c.NoBody = tc.head
					oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), c)
				})
			}
			// the same lines in the error logs, once the ports are masked
			oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
		})
	}
}

var portRE = regexp.MustCompile(`:[0-9]{2,5}\b`)

var hostParam = regexp.MustCompile(`(?m)^HTTP_HOST: .*\n`)

// TestHost: HTTP_HOST is the host the request was routed by, with the
// port the client gave, whatever the client's headers (nginx 1.29.5).
func TestHost(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) {
			b := backend(t, proto)
			conf := strings.ReplaceAll(strings.ReplaceAll(diffConf, "PFX_", proto+"_"), "BACKEND", b.Addr())
			s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
			for _, tc := range []struct{ req, want string }{
				{"GET /echo HTTP/1.0\r\nHost: Example.COM:81\r\n\r\n", "HTTP_HOST: example.com:81\n"},
				{"GET /echo HTTP/1.0\r\n\r\n", "HTTP_HOST: localhost\n"},
				{"GET /nohead/echo HTTP/1.0\r\nHost: h\r\n\r\n", "HTTP_HOST: h\n"},
				{"GET /own/echo HTTP/1.0\r\nHost: h\r\n\r\n", "HTTP_HOST: forced\n"},
			} {
				c := testutil.Dial(t, s.Addr("0"))
				if err := c.WriteString(tc.req); err != nil {
					t.Fatal(err)
				}
				resp, err := c.ReadResponse()
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
				if got := hostParam.FindAllString(string(resp.Body), -1); len(got) != 1 || got[0] != tc.want {
					t.Errorf("%q: HTTP_HOST lines %q, want %q\n%s", tc.req, got, tc.want, resp.Body)
				}
			}
		})
	}
}
