package ssl_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestRequestBodiesOverTLS: request bodies read through TLS reach a
// proxied backend whole, buffered or streamed, by length or chunked, on
// one keepalive connection.
func TestRequestBodiesOverTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	be := testutil.StartBackend(t, testutil.Script{testutil.Loop(testutil.ReadRequest(), testutil.Write(testutil.HTTPResponse(200, "ok", "Connection: keep-alive")))})
	s := servertest.Start(t, strings.ReplaceAll(strings.ReplaceAll(`
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    client_max_body_size 10m;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        location /buffered { proxy_pass http://BACKEND; }
        location /streamed { proxy_pass http://BACKEND; proxy_request_buffering off; proxy_http_version 1.1; }
    }
}`, "DIR", dir), "BACKEND", be.Addr()))
	body := make([]byte, 300000)
	rand.Read(body)
	chunked := func(b []byte) string {
		var sb strings.Builder
		for len(b) > 0 {
			n := min(len(b), 7000)
			fmt.Fprintf(&sb, "%x\r\n%s\r\n", n, b[:n])
			b = b[n:]
		}
		return sb.String() + "0\r\n\r\n"
	}
	tc, err := dialTLS(s.Addr("0"), &tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	cl := testutil.NewRawClient(tc)
	n := 0
	for _, path := range []string{"/buffered", "/streamed"} {
		for _, small := range []bool{true, false} {
			b := body
			if small {
				b = body[:100]
			}
			for _, req := range []string{
				"POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(b)) + "\r\n\r\n" + string(b),
				"POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b),
			} {
				if err := cl.WriteString(req); err != nil {
					t.Fatal(err)
				}
				resp, err := cl.ReadResponse()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s (%d bytes): %v %v", path, len(b), resp, err)
				}
				n++
				if !be.WaitRequests(n, 5*time.Second) {
					t.Fatalf("backend saw %d requests, want %d", len(be.Requests()), n)
				}
				if got := be.Requests()[n-1].Body; !bytes.Equal(got, b) {
					t.Errorf("%s: backend got %d bytes, want %d", path, len(got), len(b))
				}
			}
		}
	}
}

// TestClientAbortOverTLS: a TLS client that goes away while the upstream
// holds its answer ends the exchange with 499 and nginx's line: the
// socket under the TLS layer reports the hangup as a plain one does.
func TestClientAbortOverTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	release := make(chan struct{})
	defer close(release)
	be := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Hold(release)})
	s := servertest.Start(t, strings.ReplaceAll(strings.ReplaceAll(`
error_log error.log info;
events {}
http {
    log_format st "$status";
    access_log access.log st;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        location / { proxy_pass http://BACKEND; }
    }
}`, "DIR", dir), "BACKEND", be.Addr()))
	tc, err := dialTLS(s.Addr("0"), &tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Write([]byte("GET / HTTP/1.0\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if !be.WaitRequests(1, 5*time.Second) {
		t.Fatal("the backend got no request")
	}
	tc.Close()
	const line = "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while "
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !strings.Contains(s.ReadFile("access.log"), "499"); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.ReadFile("access.log"); got != "499\n" {
		t.Errorf("access log %q, want 499", got)
	}
	if !strings.Contains(s.ErrorLog(), line) {
		t.Errorf("error log lacks %q:\n%s", line, s.ErrorLog())
	}
}
