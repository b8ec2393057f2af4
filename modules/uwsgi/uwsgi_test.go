package uwsgi_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// serve starts sluice with one server whose body is the given text;
// BACKEND in it is replaced by addr.
func serve(t *testing.T, addr, body string) *servertest.Server {
	t.Helper()
	return servertest.Start(t, `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
`+strings.ReplaceAll(body, "BACKEND", addr)+`
    }
}
`)
}

// roundTrip sends one request on a new connection and reads the answer.
func roundTrip(t *testing.T, s *servertest.Server, req string) *testutil.Response {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	var resp *testutil.Response
	var err error
	if strings.HasPrefix(req, "HEAD ") {
		resp, err = c.ReadHeadResponse()
	} else {
		resp, err = c.ReadResponse()
	}
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return resp
}

func TestBasic(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadUWSGI(),
		testutil.Write("HTTP/1.1 201 Made\r\nContent-Type: text/plain\r\nX-Test: 1\r\n\r\nhello")})
	s := serve(t, b.Addr(), `
        location / {
            uwsgi_param REQUEST_METHOD $request_method;
            uwsgi_param CONTENT_LENGTH $content_length;
            uwsgi_modifier1 5;
            uwsgi_pass BACKEND;
        }
`)
	resp := roundTrip(t, s, "POST /x?a=b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc")
	if resp.StatusCode != 201 || string(resp.Body) != "hello" {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Body)
	}
	reqs := b.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	t.Logf("%s body %q %s", reqs[0].Head, reqs[0].Body, resp.Head)
}
