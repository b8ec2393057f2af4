package proxy_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestRequestLine checks the URI rules of proxy_pass: with and without a
// URI part, in regex locations, after rewrite ... break, with variables.
func TestRequestLine(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Write(testutil.HTTPResponse(200, "ok")),
	})
	s := servertest.Start(t, conf(b.Addr(), `
        location /nouri/ { proxy_pass http://BACKEND; }
        location /uri/ { proxy_pass http://BACKEND/new/; }
        location /short { proxy_pass http://BACKEND/x; }
        location ~ ^/re/ { proxy_pass http://BACKEND; }
        location /rw/ {
            rewrite ^/rw/(.*)$ /changed/$1 break;
            proxy_pass http://BACKEND/other/;
        }
        location /rwnouri/ {
            rewrite ^ /changed%20x break;
            proxy_pass http://BACKEND;
        }
        location /var/ { proxy_pass http://BACKEND/v$arg_a; }
        location /varnouri/ { proxy_pass http://$arg_h; }
        location = /exact { proxy_pass http://BACKEND/e; }
`))
	tests := []struct {
		name, req, line string
	}{
		{"no uri part keeps the raw uri", get("/nouri/a%20b/../c?x=1"), "GET /nouri/a%20b/../c?x=1 HTTP/1.0"},
		{"uri part replaces the prefix", get("/uri/a/b?x=1"), "GET /new/a/b?x=1 HTTP/1.0"},
		{"uri part with a decoded uri is escaped", get("/uri/a%20b"), "GET /new/a%20b HTTP/1.0"},
		{"normalised uri", get("/uri/a/../b"), "GET /new/b HTTP/1.0"},
		{"short prefix", get("/shortcut"), "GET /xcut HTTP/1.0"},
		{"regex location", get("/re/x?y"), "GET /re/x?y HTTP/1.0"},
		{"rewrite break uses the changed uri", get("/rw/abc?q=1"), "GET /changed/abc?q=1 HTTP/1.0"},
		{"rewrite without uri part escapes again (as nginx)", get("/rwnouri/zz"), "GET /changed%2520x HTTP/1.0"},
		{"variables: uri as evaluated, no args", get("/var/x?a=1"), "GET /v1 HTTP/1.0"},
		{"variables without uri: raw uri", get("/varnouri/q?h=" + b.Addr()), "GET /varnouri/q?h=" + b.Addr() + " HTTP/1.0"},
		{"exact location", get("/exact?z"), "GET /e?z HTTP/1.0"},
		{"method kept", "POST /nouri/p HTTP/1.0\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc", "POST /nouri/p HTTP/1.0"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, tc.req)
			if resp.StatusCode != 200 || string(resp.Body) != "ok" {
				t.Fatalf("response %d %q\n%s", resp.StatusCode, resp.Body, s.ErrorLog())
			}
			got := lastRequest(t, b, i+1)
			if got.Line() != tc.line {
				t.Errorf("request line %q, want %q", got.Line(), tc.line)
			}
		})
	}
}

// TestRequestHeaders checks proxy_set_header and the client's headers.
func TestRequestHeaders(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Write(testutil.HTTPResponse(200, "ok")),
	})
	s := servertest.Start(t, conf(b.Addr(), `
        location /default { proxy_pass http://BACKEND; }
        location /set {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Host example.com;
            proxy_set_header Accept "";
            proxy_set_header X-Fwd $proxy_add_x_forwarded_for;
            proxy_pass http://BACKEND;
        }
        location /noheaders {
            proxy_pass_request_headers off;
            proxy_pass http://BACKEND;
        }
        location /v11 {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://BACKEND;
        }
`))
	const req = "GET %s HTTP/1.0\r\nHost: localhost\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive\r\nKeep-Alive: 1\r\nTE: trailers\r\nUpgrade: foo\r\nX-Custom: c\r\n\r\n"
	port := strings.TrimPrefix(b.Addr(), "127.0.0.1:")
	tests := []struct {
		name, uri string
		head      string
	}{
		{"defaults", "/default", "GET /default HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nX-Custom: c\r\n\r\n"},
		{"set headers first, then defaults", "/set", "GET /set HTTP/1.0\r\nX-Real-IP: 127.0.0.1\r\nHost: example.com\r\nX-Fwd: 10.0.0.1, 127.0.0.1\r\nConnection: close\r\nX-Forwarded-For: 10.0.0.1\r\nX-Custom: c\r\n\r\n"},
		{"pass_request_headers off", "/noheaders", "GET /noheaders HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n"},
		{"http 1.1 without connection", "/v11", "GET /v11 HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nX-Custom: c\r\n\r\n"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, strings.Replace(req, "%s", tc.uri, 1))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d\n%s", resp.StatusCode, s.ErrorLog())
			}
			got := lastRequest(t, b, i+1)
			if got.Head != tc.head {
				t.Errorf("head\n%q\nwant\n%q", got.Head, tc.head)
			}
		})
	}
}
