package proxy_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// streamConf is served by nginx and by sluice: a streamed request body
// (proxy_request_buffering off) to BACKEND.
const streamConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    lingering_timeout 300ms;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        location / {
            proxy_pass http://BACKEND;
        }
        location /rt/ {
            proxy_read_timeout 600ms;
            proxy_pass http://BACKEND;
        }
        location /nb/ {
            proxy_buffering off;
            proxy_pass http://BACKEND;
        }
        location /cbt/ {
            client_body_timeout 300ms;
            proxy_pass http://BACKEND;
        }
    }
}
`

// startBoth serves streamConf with nginx and with sluice, each in front of
// a backend of its own running script.
func startBoth(t *testing.T, script testutil.Script) []target {
	bn, bs := testutil.StartBackend(t, script), testutil.StartBackend(t, script)
	n := oracle.Start(t, "daemon off;\n"+strings.ReplaceAll(streamConf, "BACKEND", bn.Addr()))
	s := servertest.Start(t, "daemon off;\n"+strings.ReplaceAll(streamConf, "BACKEND", bs.Addr()))
	return targets(n, s)
}

// TestStreamedBodyEarlyResponse checks that a response that comes while
// the body is still streamed reaches the client at once, and that the
// connection then closes: the body was not read to its end.
func TestStreamedBodyEarlyResponse(t *testing.T) {
	testutil.CheckLeaks(t)
	servers := startBoth(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write(testutil.HTTPResponse(200, "early\n", "Connection: close")),
		testutil.Close(),
	})
	for _, srv := range servers {
		for _, uri := range []string{"/up", "/nb/up"} {
			t.Run(srv.name+uri, func(t *testing.T) {
				earlyResponse(t, srv.addr, uri, srv.log)
			})
		}
	}
}

func earlyResponse(t *testing.T, addr, uri string, log func() string) {
	c := testutil.Dial(t, addr)
	defer c.Close()
	if err := c.WriteString("POST " + uri + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatalf("%v\n%s", err, log())
	}
	if resp.StatusCode != 200 || string(resp.Body) != "early\n" {
		t.Fatalf("%d %q\n%s", resp.StatusCode, resp.Body, log())
	}
	if closed, _, err := c.WaitClosed(5 * time.Second); !closed {
		t.Fatalf("the connection stayed open (%v)", err)
	}
}

// TestStreamedBodyReadTimeout checks that proxy_read_timeout counts from
// the end of a streamed body (nginx arms it once the request is sent): a
// body that takes longer than the timeout to arrive is no upstream
// timeout.
func TestStreamedBodyReadTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	body := "0123456789"
	servers := startBoth(t, testutil.Script{
		testutil.ReadHead(),
		testutil.ReadN(len(body)),
		testutil.Write(testutil.HTTPResponse(200, "got it\n")),
	})
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := testutil.Dial(t, srv.addr)
			defer c.Close()
			pieces := [][]byte{
				[]byte("POST /rt/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 10\r\n\r\n0123"),
				[]byte("456"),
				[]byte("789"),
			}
			// 2 x 400 ms between the pieces: longer than the read timeout,
			// which leaves the backend 600 ms to answer once it has all
			err := c.WritePieces(pieces, func(int) error { time.Sleep(400 * time.Millisecond); return nil })
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("%v\n%s", err, srv.log())
			}
			if resp.StatusCode != 200 || string(resp.Body) != "got it\n" {
				t.Fatalf("%d %q\n%s", resp.StatusCode, resp.Body, srv.log())
			}
		})
	}
}

// TestStreamedBodyClientTimeout checks client_body_timeout while a body
// is streamed to a backend that waits for it: the request ends with 408
// and the client connection closes, the upstream is not blamed.
func TestStreamedBodyClientTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	servers := startBoth(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Stall(),
	})
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := testutil.Dial(t, srv.addr)
			defer c.Close()
			if err := c.WriteString("POST /cbt/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
				t.Fatal(err)
			}
			got, err := c.ReadUntilClose()
			if err != nil {
				t.Fatalf("%v\n%s", err, srv.log())
			}
			if len(got) != 0 {
				t.Errorf("the client got %q, want a close", got)
			}
			if log := srv.log(); strings.Contains(log, "upstream timed out") || strings.Contains(log, "[error]") {
				t.Errorf("error log:\n%s", log)
			}
		})
	}
}

// TestStreamedBodyClientCloses checks a client that goes away in the
// middle of a streamed body while the backend waits: the exchange ends at
// once, with nginx's log line.
func TestStreamedBodyClientCloses(t *testing.T) {
	testutil.CheckLeaks(t)
	gotHead := make(chan struct{}, 2)
	servers := startBoth(t, testutil.Script{
		testutil.ReadHead(),
		notify(gotHead),
		testutil.Stall(),
	})
	const want = "client prematurely closed connection while sending request to upstream"
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := testutil.Dial(t, srv.addr)
			if err := c.WriteString("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
				t.Fatal(err)
			}
			await(t, gotHead, "get the request head") // the body is being streamed
			c.Close()
			srv.waitLog(t, want)
		})
	}
}

// TestStreamedBodyUpstreamCloses checks a backend that closes while the
// body is being streamed to it: 502, with the failed send or the early
// close logged (whichever the server sees first, in nginx as in sluice).
func TestStreamedBodyUpstreamCloses(t *testing.T) {
	testutil.CheckLeaks(t)
	gotHead := make(chan struct{}, 2)
	servers := startBoth(t, testutil.Script{
		testutil.ReadHead(),
		notify(gotHead),
		testutil.Reset(),
	})
	logged := regexp.MustCompile(`\[error\] .*(writev\(\) failed \((32: Broken pipe|104: Connection reset by peer)\) while sending request to upstream|upstream prematurely closed connection while reading response header from upstream|recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream)`)
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := testutil.Dial(t, srv.addr)
			defer c.Close()
			if err := c.WriteString("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n0123456789"); err != nil {
				t.Fatal(err)
			}
			await(t, gotHead, "get the request head")
			// more body, for the send that finds the connection gone
			c.WriteString(strings.Repeat("x", 50000))
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatalf("%v\n%s", err, srv.log())
			}
			if resp.StatusCode != 502 {
				t.Errorf("status %d, want 502\n%s", resp.StatusCode, srv.log())
			}
			if !logged.MatchString(srv.log()) {
				t.Errorf("error log lacks %s:\n%s", logged, srv.log())
			}
		})
	}
}
