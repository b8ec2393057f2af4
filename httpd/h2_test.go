package httpd_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// h2cClient speaks HTTP/2 with prior knowledge over plain TCP.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

const h2Conf = `
events {}
http {
    default_type text/plain;
    log_format p '$request $status $server_protocol $http2 $body_bytes_sent $request_length';
    access_log %%PREFIX%%/access.log p;
    client_max_body_size 100k;
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        location / { return 200 "uri=$uri proto=$server_protocol h2=$http2 host=$host\n"; }
        location /body { proxy_pass http://BACKEND; }
        location /stream { proxy_pass http://BACKEND; proxy_request_buffering off; }
        location /files/ { alias %%PREFIX%%/; }
        location /trailer { add_trailer X-T v always; return 200 "t\n"; }
    }
}
`

func TestH2cBasic(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "body=%s\n", b)
	}))
	defer be.Close()
	s := servertest.Start(t, strings.ReplaceAll(h2Conf, "BACKEND", be.Listener.Addr().String()))
	c := h2cClient()
	defer c.CloseIdleConnections()
	for _, tc := range []struct {
		name, method, path, body, want string
		status                         int
	}{
		{name: "get", method: "GET", path: "/x", status: 200, want: "uri=/x proto=HTTP/2.0 h2=h2c host=127.0.0.1\n"},
		{name: "post", method: "POST", path: "/body", body: "hello", status: 200, want: "body=hello\n"},
		{name: "stream", method: "POST", path: "/stream", body: "streamed", status: 200, want: "body=streamed\n"},
		{name: "too large", method: "POST", path: "/body", body: strings.Repeat("a", 200<<10), status: 413},
		{name: "trailer", method: "GET", path: "/trailer", status: 200, want: "t\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, "http://"+s.Addr("0")+tc.path, body)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Errorf("proto %s", resp.Proto)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.want != "" && string(b) != tc.want {
				t.Errorf("body %q, want %q", b, tc.want)
			}
			t.Logf("headers %v trailer %v", resp.Header, resp.Trailer)
		})
	}
	t.Log(s.ReadFile("access.log"))
	t.Log(s.ErrorLog())
}

// TestH2ResetEndsUpstream checks that a stream the client resets ends
// the upstream exchange it waits on, as nginx finalizes the request with
// 499 when a stream's fake connection gets its error: the backend sees
// its connection closed, and the access log has 499.
func TestH2ResetEndsUpstream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gotRequest, closed := make(chan struct{}), make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		n, _ := c.Read(buf) // the request head; no answer
		if n > 0 {
			close(gotRequest)
		}
		for {
			if _, err := c.Read(buf); err != nil {
				close(closed)
				return
			}
		}
	}()
	s := servertest.Start(t, strings.ReplaceAll(h2Conf, "BACKEND", ln.Addr().String()))
	c := h2cClient()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+s.Addr("0")+"/body", strings.NewReader("x"))
	done := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-gotRequest:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("the backend got no request")
	}
	cancel() // RST_STREAM CANCEL
	<-done
	select {
	case <-closed:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatalf("the upstream connection stayed open after the stream was reset\n%s", s.ErrorLog())
	}
	for end := time.Now().Add(testutil.DefaultTimeout); !strings.Contains(s.ReadFile("access.log"), "POST /body HTTP/2.0 499 "); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no 499 in the access log:\n%s", s.ReadFile("access.log"))
		}
	}
}

// TestH2MaxHeaders: over HTTP/2, max_headers counts the regular fields the
// client sent: not the Host header made from :authority nor the cookie
// line that joins the cookie fields (ngx_http_v2_state_process_header
// counts neither); one field too many is 400 (494).
func TestH2MaxHeaders(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        max_headers 2;
        location / { return 200 "ok\n"; }
    }
}`)
	req := func(fields ...string) []byte {
		kv := append([]string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "localhost"}, fields...)
		return h2Headers(1, http2.FlagEndHeaders|http2.FlagEndStream, kv...)
	}
	for _, tc := range []struct {
		name   string
		fields []string
		want   string
	}{
		{"two fields, two cookies", []string{"x-a", "1", "cookie", "a=1", "x-b", "2", "cookie", "b=2"}, "[HEADERS(1, 200)]"},
		{"three fields", []string{"x-a", "1", "x-b", "2", "x-c", "3"}, "[HEADERS(1, 400)]"},
		{"host and a field", []string{"host", "localhost", "x-a", "1"}, "[HEADERS(1, 200)]"},
		{"host and two fields", []string{"host", "localhost", "x-a", "1", "x-b", "2"}, "[HEADERS(1, 400)]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(h2Exchange(t, s.Addr("0"), req(tc.fields...), true)); got != tc.want {
				t.Errorf("frames %s, want %s", got, tc.want)
			}
		})
	}
}

// TestH2ConnectionVariables: a stream's $connection_requests counts the
// connection's streams and $connection_time the connection's age, as
// nginx gives them to each request on an HTTP/2 connection; a stream
// after keepalive_time still runs, on the same connection, with GOAWAY.
func TestH2ConnectionVariables(t *testing.T) {
	s := servertest.Start(t, `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        keepalive_time 1s;
        add_header X-Conn $connection:$connection_requests:$connection_time;
        location / { return 200 "ok\n"; }
    }
}`)
	c := h2cClient()
	defer c.CloseIdleConnections()
	var got []string
	for i := 0; i < 2; i++ {
		if i == 1 {
			time.Sleep(1100 * time.Millisecond) // past keepalive_time
		}
		resp, err := c.Get("http://" + s.Addr("0") + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, resp.Header.Get("X-Conn"))
	}
	a, b := strings.Split(got[0], ":"), strings.Split(got[1], ":")
	if len(a) != 3 || len(b) != 3 || a[0] != b[0] || a[1] != "1" || b[1] != "2" ||
		!strings.HasPrefix(a[2], "0.") || strings.HasPrefix(b[2], "0.") {
		t.Errorf("X-Conn %q then %q, want the same connection, requests 1 then 2, the second after a second", got[0], got[1])
	}
}
