package proxy_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// pair is Debian's nginx and sluice running the same server block, each
// proxying to its own copy of a scripted backend.
type pair struct {
	ng       *oracle.Nginx
	s        *servertest.Server
	nb, sb   *testutil.Backend
	ngAddr   string
	subjAddr string
}

// startPair starts nginx and sluice with server (BACKEND replaced by each
// side's backend address) and the same backend script.
func startPair(t *testing.T, script func(i int) testutil.Script, server string) *pair {
	t.Helper()
	p := &pair{}
	p.nb = testutil.StartBackendFunc(t, script)
	p.sb = testutil.StartBackendFunc(t, script)
	block := func(listen, addr string) string {
		return "http {\n    server {\n        listen 127.0.0.1:" + listen + ";\n        server_name localhost;\n" +
			strings.ReplaceAll(server, "BACKEND", addr) + "\n    }\n}\n"
	}
	p.ng = oracle.Start(t, "daemon off;\n"+block("%%PORT_0%%", p.nb.Addr()))
	// info, as the oracle logs: client errors are logged at that level
	p.s = servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+block("%%PORT_A%%", p.sb.Addr()))
	p.ngAddr, p.subjAddr = p.ng.Addr(0), p.s.Addr("A")
	return p
}

// heads sends req to each side in turn and returns the request heads the
// two backends received, with each backend's port written as PORT.
func (p *pair) heads(t *testing.T, req string) (string, string) {
	t.Helper()
	n := len(p.nb.Requests())
	oracle.Exchange(p.ngAddr, []byte(req), oracle.Comparison{CloseWait: -1})
	oracle.Exchange(p.subjAddr, []byte(req), oracle.Comparison{CloseWait: -1})
	ng := lastRequest(t, p.nb, n+1)
	su := lastRequest(t, p.sb, n+1)
	norm := func(h string, b *testutil.Backend) string {
		_, port, _ := strings.Cut(b.Addr(), ":")
		return strings.ReplaceAll(h, port, "PORT")
	}
	return norm(ng.Head, p.nb), norm(su.Head, p.sb)
}

// TestDiffRequests compares what nginx and sluice send upstream.
func TestDiffRequests(t *testing.T) {
	p := startPair(t, func(int) testutil.Script {
		return testutil.Script{testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok"))}
	}, `
        location /nouri/ { proxy_pass http://BACKEND; }
        location /uri/ { proxy_pass http://BACKEND/new/; }
        location /rw/ {
            rewrite ^/rw/(.*)$ /changed/$1 break;
            proxy_pass http://BACKEND/other/;
        }
        location /rwnouri/ {
            rewrite ^ /changed%20x break;
            proxy_pass http://BACKEND;
        }
        location /set {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Host example.com;
            proxy_set_header Accept "";
            proxy_set_header X-Fwd $proxy_add_x_forwarded_for;
            proxy_pass http://BACKEND;
        }
        location /v11 {
            proxy_http_version 1.1;
            proxy_pass http://BACKEND;
        }
        location /method {
            proxy_method PUT;
            proxy_pass http://BACKEND;
        }
        location /err/ {
            error_page 404 /up/redirected%20x?a=b;
            return 404;
        }
        location /up/ { proxy_pass http://BACKEND/u/; }
        location /empty {
            proxy_set_header X-Empty $arg_none;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_pass http://BACKEND;
        }
        location /nobody {
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_pass http://BACKEND;
        }
        location /body {
            proxy_set_body "hello $arg_a";
            proxy_pass http://BACKEND;
        }
        location /setargs {
            set $args $arg_c;
            proxy_pass http://BACKEND;
        }
`)
	reqs := []struct{ name, req string }{
		{"plain", get("/nouri/a%20b/../c?x=1")},
		{"uri part", get("/uri/a%20b?x=1")},
		{"rewrite break", get("/rw/a%20b?q=1")},
		{"rewrite break no uri", get("/rwnouri/zz")},
		{"set headers", "GET /set HTTP/1.0\r\nHost: localhost\r\nAccept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive\r\nKeep-Alive: 1\r\nTE: trailers\r\nUpgrade: foo\r\nX-Custom: c\r\n\r\n"},
		{"http 1.1", "GET /v11 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nExpect: foo\r\n\r\n"},
		{"method", get("/method")},
		{"set body", "POST /body?a=1 HTTP/1.0\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"},
		{"absolute uri", "GET http://localhost/nouri/abs?q HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"},
		{"no host", "GET /nouri/nohost HTTP/1.0\r\n\r\n"},
		{"internal redirect escapes", get("/err/x")},
		{"empty value dropped, xff joined", "GET /empty HTTP/1.0\r\nHost: localhost\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n"},
		{"no body, chunked", "POST /nobody HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{"encoded uri part", get("/uri/%7Efoo%2Fbar?x=%20")},
		{"set $args, emptied", get("/setargs%20x?f")},
		{"set $args", get("/setargs%20x?c=1&d=2")},
		{"chunked body", "POST /nouri/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	}
	for _, tc := range reqs {
		t.Run(tc.name, func(t *testing.T) {
			ng, su := p.heads(t, tc.req)
			if ng != su {
				t.Errorf("request heads differ\nnginx:  %q\nsluice: %q", ng, su)
			}
		})
	}
}
