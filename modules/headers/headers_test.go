package headers_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

func TestInheritModes(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    access_log off;
    add_header X-A http;
    add_trailer X-TA http;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location /none { return 200 OK; }
        location /on { add_header X-B on; add_trailer X-TB on; return 200 OK; }
        location /merge {
            add_header_inherit merge;
            add_trailer_inherit merge;
            add_header X-B merge;
            add_trailer X-TB merge;
            return 200 OK;
            location /merge/deeper { add_header X-C deeper; return 200 OK; }
            location /merge/bare { return 200 OK; }
        }
        location /off {
            add_header_inherit off;
            add_trailer_inherit off;
            return 200 OK;
            location /off/inner { return 200 OK; }
        }
    }
}
`)
	tests := []struct {
		path              string
		headers, trailers string
	}{
		{"/none", "X-A=http", "X-TA=http"},
		{"/on", "X-B=on", "X-TB=on"},
		{"/merge", "X-B=merge X-A=http", "X-TB=merge X-TA=http"},
		{"/merge/deeper", "X-C=deeper X-B=merge X-A=http", "X-TB=merge X-TA=http"},
		{"/merge/bare", "X-B=merge X-A=http", "X-TB=merge X-TA=http"},
		{"/off", "", ""},
		{"/off/inner", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), "GET "+tc.path+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
			var hs, ts []string
			for _, h := range r.Headers {
				if strings.HasPrefix(h.Name, "X-") {
					hs = append(hs, h.Name+"="+h.Value)
				}
			}
			for _, h := range r.Trailers {
				ts = append(ts, h.Name+"="+h.Value)
			}
			if got := strings.Join(hs, " "); got != tc.headers {
				t.Errorf("headers %q, want %q", got, tc.headers)
			}
			if got := strings.Join(ts, " "); got != tc.trailers {
				t.Errorf("trailers %q, want %q", got, tc.trailers)
			}
			if tc.trailers != "" && (r.Get("Transfer-Encoding") != "chunked" || r.Has("Content-Length")) {
				t.Errorf("a response with trailers is not chunked:\n%s", r)
			}
		})
	}
}

func TestTrailers(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            add_trailer X-URI $uri;
            add_trailer Foo a;
            add_trailer X-Foo $sent_trailer_foo;
            add_trailer Foo b;
            add_trailer X-Foos $sent_trailer_foo;
            add_trailer X-Empty "";
            return 200 "0123456789";
        }
        location /head { add_trailer X-T t; return 200 "x"; }
    }
}
`)
	r := testutil.RoundTrip(t, s.Addr("A"), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	var got []string
	for _, h := range r.Trailers {
		got = append(got, h.Name+"="+h.Value)
	}
	// variables keep their first value in a request, as in nginx
	if want := "X-URI=/ Foo=a X-Foo=a Foo=b X-Foos=a"; strings.Join(got, " ") != want {
		t.Errorf("trailers %q, want %q", strings.Join(got, " "), want)
	}
	if string(r.Body) != "0123456789" || !r.LastChunk {
		t.Errorf("body %q, last chunk %v", r.Body, r.LastChunk)
	}

	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	c.WriteString("HEAD /head HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	hr, err := c.ReadHeadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if hr.Has("Transfer-Encoding") {
		t.Errorf("HEAD answered with framing:\n%s", hr)
	}
}

// inLocation puts statements at line 6, inside a location.
func inLocation(stmts string) string {
	return "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + stmts + "\n        }\n    }\n}\n"
}

var confErrors = []struct {
	name, conf, want string
	sluiceOnly       bool
}{
	{name: "expires duplicate", conf: inLocation("expires 1h;\nexpires 2h;"), want: `"expires" directive is duplicate in FILE:8`},
	{name: "expires bad", conf: inLocation("expires bad;"), want: `"expires" directive invalid value in FILE:7`},
	{name: "expires ms", conf: inLocation("expires 10ms;"), want: `"expires" directive invalid value in FILE:7`},
	{name: "expires two words", conf: inLocation("expires access 1h;"), want: `"expires" directive invalid value in FILE:7`},
	{name: "expires modified epoch", conf: inLocation("expires modified epoch;"), want: `"expires" directive invalid value in FILE:7`},
	{name: "expires modified daily", conf: inLocation("expires modified @1h;"), want: `"expires" directive daily time cannot be used with "modified" parameter in FILE:7`},
	{name: "expires daily too late", conf: inLocation("expires @25h;"), want: `"expires" directive daily time value must be less than 24 hours in FILE:7`},
	{name: "expires arity", conf: inLocation("expires modified 1h x;"), want: `invalid number of arguments in "expires" directive in FILE:7`},
	{name: "expires unknown variable", conf: inLocation("expires $nosuch;"), want: `unknown "nosuch" variable`},
	{name: "add_header arity", conf: inLocation("add_header X;"), want: `invalid number of arguments in "add_header" directive in FILE:7`},
	{name: "add_header bad flag", conf: inLocation("add_header X y sometimes;"), want: `invalid parameter "sometimes" in FILE:7`},
	{name: "add_header unclosed brace", conf: inLocation("add_header X ${a;"), want: `the closing bracket in "a" variable is missing in FILE:7`},
	{name: "add_header unknown variable", conf: inLocation("add_header X $nosuch;"), want: `unknown "nosuch" variable`},
	{name: "add_trailer bad flag", conf: inLocation("add_trailer X y Always;"), want: `invalid parameter "Always" in FILE:7`},
	{name: "add_header in server if", conf: "events {}\nhttp {\n    server {\n        if ($uri) { add_header X y; }\n    }\n}\n", want: `"add_header" directive is not allowed here in FILE:4`},
	{name: "inherit bad", conf: inLocation("add_header_inherit maybe;"), want: `invalid value "maybe" in FILE:7`, sluiceOnly: true},
	{name: "inherit duplicate", conf: inLocation("add_trailer_inherit on;\nadd_trailer_inherit off;"), want: `"add_trailer_inherit" directive is duplicate in FILE:8`, sluiceOnly: true},
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confErrors {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestConfErrorsOracle checks the expected messages against nginx -t
// (Debian's 1.22.1 has no add_header_inherit).
func TestConfErrorsOracle(t *testing.T) {
	for _, tc := range confErrors {
		if tc.sluiceOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if msg := oracle.CheckConfig(t, tc.conf).Emerg; msg != tc.want {
				t.Errorf("nginx says:\n%s\nthe test expects:\n%s", msg, tc.want)
			}
		})
	}
}
