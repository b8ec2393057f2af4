package oracle

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testutil"
)

const selfTestConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { return 200 "ok"; }
        location /files/ { alias %%PREFIX%%/html/; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        location / { return 200 "ok"; }
        location /files/ { alias %%PREFIX%%/html/; }
    }
}
`

func TestNginxSelfTest(t *testing.T) {
	testutil.CheckLeaks(t)
	n := Start(t, selfTestConf)
	if err := os.MkdirAll(filepath.Join(n.Prefix(), "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.Prefix(), "html", "f.txt"), []byte("file body\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		req    string
		status int
		body   string
		closed bool
		log    string // expected in the error log
		access string // expected in the access log
	}{
		{
			name:   "return 200",
			req:    "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
			status: 200, body: "ok",
			access: `"GET / HTTP/1.1" 200 2`,
		},
		{
			name:   "static file from the prefix",
			req:    "GET /files/f.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
			status: 200, body: "file body\n",
		},
		{
			name:   "malformed request gets 400 and a close",
			req:    "GARBAGE\r\n\r\n",
			status: 400, closed: true,
			log:    "client sent invalid method",
			access: `"GARBAGE" 400`,
		},
		{
			name:   "missing Host in HTTP/1.1 gets 400",
			req:    "GET / HTTP/1.1\r\n\r\n",
			status: 400, closed: true,
			log: "client sent HTTP/1.1 request without \"Host\" header",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testutil.Dial(t, n.Addr(0))
			if err := c.WriteString(tc.req); err != nil {
				t.Fatal(err)
			}
			r, err := c.ReadResponse()
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d:\n%s", r.StatusCode, tc.status, r)
			}
			if tc.body != "" && string(r.Body) != tc.body {
				t.Errorf("body %q, want %q", r.Body, tc.body)
			}
			if !strings.HasPrefix(r.Get("Server"), "nginx/") {
				t.Errorf("Server %q, want nginx/...", r.Get("Server"))
			}
			if tc.closed {
				closed, extra, err := c.WaitClosed(testutil.DefaultTimeout)
				if err != nil || !closed || len(extra) != 0 {
					t.Errorf("after the 400: closed=%v extra=%q err=%v, want a close", closed, extra, err)
				}
				// nginx lingers (reads and discards) until the client
				// closes or lingering_timeout passes, and only then logs
				// the request: close so that the access log line comes.
				c.Close()
			}
			if tc.log != "" && !n.WaitErrorLog(tc.log, testutil.DefaultTimeout) {
				t.Errorf("error log lacks %q:\n%s", tc.log, n.ErrorLog())
			}
			if tc.access != "" && !n.WaitAccessLog(tc.access, testutil.DefaultTimeout) {
				t.Errorf("access log lacks %q:\n%s", tc.access, n.AccessLog())
			}
		})
	}

	t.Run("compare nginx with itself", func(t *testing.T) {
		for _, req := range []string{
			"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
			"GET /files/f.txt HTTP/1.0\r\n\r\n",
			"GET /files/none HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"BAD\r\n\r\n",
		} {
			a, b := Compare(t, req, n.Addr(0), n.Addr(1), DefaultComparison())
			if a.Resp == nil || b.Resp == nil {
				t.Fatalf("no response for %q: %v / %v", req, a.Err, b.Err)
			}
		}
	})

	t.Run("ports and paths", func(t *testing.T) {
		if n.Addr(0) == n.Addr(1) {
			t.Fatal("two placeholders got the same port")
		}
		if !strings.Contains(n.Conf(), "daemon off;") || n.PID() <= 0 {
			t.Fatalf("conf or pid not recorded: pid %d\n%s", n.PID(), n.Conf())
		}
	})

	if !n.Stop() {
		t.Error("nginx needed a kill to stop")
	}
	if !strings.Contains(n.ErrorLog(), "exit") {
		t.Errorf("no exit in the error log:\n%s", n.ErrorLog())
	}
}

// TestNginxTempFilesInPrefix checks that proxied responses are buffered into
// the prefix's proxy_temp, i.e. that the temp paths and "user root" that
// Start adds let the workers write there.
func TestNginxTempFilesInPrefix(t *testing.T) {
	testutil.CheckLeaks(t)
	body := strings.Repeat("0123456789abcdef", 1<<19) // 8 MiB
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, body)), testutil.Close()})
	n := Start(t, fmt.Sprintf(`
http {
    server {
        listen 127.0.0.1:%%%%PORT_0%%%%;
        location / { proxy_pass http://%s; proxy_buffers 4 4k; proxy_buffer_size 4k; }
    }
}`, b.Addr()))
	c := testutil.Dial(t, n.Addr(0))
	c.WriteString("GET / HTTP/1.0\r\n\r\n")
	if !n.WaitErrorLog("an upstream response is buffered to a temporary file "+n.Prefix()+"/proxy_temp/", testutil.DefaultTimeout) {
		t.Fatalf("no temp file under the prefix:\n%s", n.ErrorLog())
	}
	r, err := c.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != body {
		t.Fatalf("body of %d bytes, want %d", len(r.Body), len(body))
	}
}

// fakeTB captures Fatalf (ending the goroutine as testing does) so that
// Start's own failures can be checked.
type fakeTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func runFake(t *testing.T, fn func(tb testing.TB)) string {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.fatal
}

func TestStartFailures(t *testing.T) {
	tests := []struct {
		name string
		conf string
		opts Options
		want []string
	}{
		{
			name: "missing binary",
			conf: "events {}",
			opts: Options{Binary: "/nonexistent/nginx"},
			want: []string{MissingMessage},
		},
		{
			name: "nginx rejects the configuration",
			conf: "http { server { listen 127.0.0.1:%%PORT_0%%; no_such_directive; } }",
			want: []string{"nginx exited during startup", `unknown directive "no_such_directive"`, "--- nginx.conf ---"},
		},
		{
			name: "daemon on",
			conf: "daemon on;",
			want: []string{"daemon on"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := runFake(t, func(tb testing.TB) { StartWith(tb, tc.conf, tc.opts) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("failure %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestNginxStreamModule(t *testing.T) {
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), testutil.Write(testutil.HTTPResponse(200, "via stream")), testutil.Close()})
	n := Start(t, fmt.Sprintf(`
load_module %%%%MODULES%%%%/ngx_stream_module.so;
stream { server { listen 127.0.0.1:%%%%PORT_0%%%%; proxy_pass %s; } }`, b.Addr()))
	r := testutil.RoundTrip(t, n.Addr(0), "GET / HTTP/1.0\r\n\r\n")
	if string(r.Body) != "via stream" {
		t.Fatalf("body %q through the stream proxy", r.Body)
	}
}

func TestStartWithTimeouts(t *testing.T) {
	n := StartWith(t, "http { server { listen 127.0.0.1:%%PORT_0%%; } }",
		Options{StartTimeout: 20 * time.Second, StopTimeout: 20 * time.Second, LogLevel: "debug"})
	if !strings.Contains(n.Conf(), "debug;") {
		t.Errorf("log level not applied:\n%s", n.Conf())
	}
}
