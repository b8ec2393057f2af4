package proxy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestRequestBufferingOff checks proxy_request_buffering off: a body that
// is all there when the request is handled goes as a buffered body would
// (Content-Length, $request_body); otherwise the head goes at once with
// what arrived, and the rest follows as it comes, re-chunked for
// HTTP/1.1 when the client sent it chunked.
func TestRequestBufferingOff(t *testing.T) {
	testutil.CheckLeaks(t)
	tests := []struct {
		name    string
		uri     string
		head    string
		first   string // sent with the head
		rest    string // sent once the backend has the head ("" = none)
		bodyLen int    // what the backend reads after the head
		line    string // the backend's request line
		te, cl  string
		raw     string // body as the backend gets it
		stream  bool   // the backend gets the head before the whole body
	}{
		{name: "whole body with the head", uri: "/", head: "Content-Length: 10", first: "0123456789",
			cl: "10", raw: "0123456789"},
		{name: "streamed with content length", uri: "/", head: "Content-Length: 10", first: "01234", rest: "56789",
			cl: "10", raw: "0123456789", stream: true},
		{name: "chunked, whole", uri: "/v11", head: "Transfer-Encoding: chunked", first: "3\r\nabc\r\n0\r\n\r\n",
			cl: "3", raw: "abc"},
		{name: "chunked, streamed to http/1.1", uri: "/v11", head: "Transfer-Encoding: chunked", first: "3\r\nabc\r\n", rest: "2\r\nde\r\n0\r\n\r\n",
			te: "chunked", raw: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", stream: true},
		{name: "chunked to http/1.0 is buffered", uri: "/", head: "Transfer-Encoding: chunked", first: "3\r\nabc\r\n", rest: "2\r\nde\r\n0\r\n\r\n",
			cl: "5", raw: "abcde"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotHead := make(chan struct{}, 1)
			b := testutil.StartBackend(t, testutil.Script{
				testutil.ReadHead(),
				notify(gotHead),
				testutil.ReadN(len(tc.raw)),
				testutil.Write(testutil.HTTPResponse(200, "ok")),
			})
			s := servertest.Start(t, conf(b.Addr(), `
        proxy_request_buffering off;
        location / { proxy_pass http://BACKEND; }
        location /v11 { proxy_http_version 1.1; proxy_pass http://BACKEND; }
`))
			c := testutil.Dial(t, s.Addr("A"))
			defer c.Close()
			req := "POST " + tc.uri + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + tc.head + "\r\n\r\n" + tc.first
			if err := c.WriteString(req); err != nil {
				t.Fatal(err)
			}
			if tc.stream {
				await(t, gotHead, "get the head before the whole body")
			}
			if tc.rest != "" {
				if err := c.WriteString(tc.rest); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("%v\n%s", err, s.ErrorLog())
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d\n%s", resp.StatusCode, s.ErrorLog())
			}
			r := lastRequest(t, b, 1)
			if got := r.Header("Transfer-Encoding"); got != tc.te {
				t.Errorf("Transfer-Encoding %q, want %q", got, tc.te)
			}
			if got := r.Header("Content-Length"); got != tc.cl {
				t.Errorf("Content-Length %q, want %q", got, tc.cl)
			}
		})
	}
}

// TestStreamedBodyPipelined checks that a streamed chunked body is read no
// further than its end: the pipelined request after it is served.
func TestStreamedBodyPipelined(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackend(t, testutil.Script{
		testutil.ReadRequest(),
		testutil.Write(testutil.HTTPResponse(200, "ok")),
	})
	s := servertest.Start(t, conf(b.Addr(), `
        client_header_buffer_size 1k;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        location / {
            client_body_buffer_size 2k;
            proxy_pass http://BACKEND;
        }
`))
	bodies := []string{"0123456789", strings.Repeat("0123456789", 128), strings.Repeat("0123456789", 512), "foobar"}
	var req string
	for i, body := range bodies {
		conn := ""
		if i == len(bodies)-1 {
			conn = "Connection: close\r\n"
		}
		req += "POST / HTTP/1.1\r\nHost: localhost\r\n" + conn + "Transfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x", len(body)) + "\r\n" + body + "\r\n0\r\n\r\n"
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	resps, _, err := c.ReadAll()
	if err != nil || len(resps) != len(bodies) {
		t.Fatalf("%d responses, err %v\n%s", len(resps), err, s.ErrorLog())
	}
	for i, r := range resps {
		if r.StatusCode != 200 {
			t.Errorf("response %d: status %d", i, r.StatusCode)
		}
	}
	for i, r := range b.Requests() {
		if string(r.Body) != bodies[i] {
			t.Errorf("request %d: body of %d bytes, want %d", i, len(r.Body), len(bodies[i]))
		}
	}
}
