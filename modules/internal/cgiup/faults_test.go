package cgiup_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// reader returns the step that reads a request of the protocol.
func reader(proto string) testutil.Step {
	if proto == "uwsgi" {
		return testutil.ReadUWSGI()
	}
	return testutil.ReadSCGI()
}

// serveProto starts sluice with httpLevel at http level and one server
// whose body is given; PFX_ is the module's prefix, TEMP a temp path.
func serveProto(t *testing.T, proto, httpLevel, body string) *servertest.Server {
	t.Helper()
	r := strings.NewReplacer("PFX_", proto+"_")
	return servertest.Start(t, r.Replace(`
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    PFX_temp_path %%PREFIX%%/temp;
    client_body_temp_path %%PREFIX%%/body;
`+httpLevel+`
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
`+body+`
    }
}
`))
}

func get(t *testing.T, s *servertest.Server, req string) (*testutil.Response, error) {
	t.Helper()
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	return c.ReadResponse()
}

// TestFaults: upstream failures get nginx's status and log line, and leave
// no goroutine, descriptor or temp file behind.
func TestFaults(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) {
			t.Run("read timeout", func(t *testing.T) {
				testutil.CheckLeaks(t)
				b := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Stall()})
				s := serveProto(t, proto, "", `location / { PFX_read_timeout 200ms; PFX_pass `+b.Addr()+`; }`)
				resp, err := get(t, s, "GET / HTTP/1.0\r\n\r\n")
				if err != nil || resp.StatusCode != 504 {
					t.Fatalf("%v %v", resp, err)
				}
				s.WaitErrorLog(t, "upstream timed out (110: Connection timed out) while reading response header from upstream")
			})
			t.Run("connection refused, next upstream", func(t *testing.T) {
				testutil.CheckLeaks(t)
				b := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Write("Status: 200 OK\r\n\r\nsecond")})
				dead := deadAddr(t)
				s := serveProto(t, proto, "upstream u { server "+dead+"; server "+b.Addr()+"; }", `location / { PFX_pass u; }`)
				resp, err := get(t, s, "GET / HTTP/1.0\r\n\r\n")
				if err != nil || resp.StatusCode != 200 || string(resp.Body) != "second" {
					t.Fatalf("%v %v", resp, err)
				}
				s.WaitErrorLog(t, "connect() failed (111: Connection refused) while connecting to upstream")
			})
			t.Run("invalid header, next upstream", func(t *testing.T) {
				testutil.CheckLeaks(t)
				bad := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Write("Status: xyz\r\n\r\n")})
				good := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Write("Status: 201 Made\r\n\r\nok")})
				s := serveProto(t, proto, "upstream u { server "+bad.Addr()+"; server "+good.Addr()+"; }",
					`location / { PFX_next_upstream invalid_header; PFX_pass u; }`)
				resp, err := get(t, s, "GET / HTTP/1.0\r\n\r\n")
				if err != nil || resp.StatusCode != 201 {
					t.Fatalf("%v %v", resp, err)
				}
				s.WaitErrorLog(t, `upstream sent invalid status "xyz" while reading response header from upstream`)
				if len(bad.Requests()) != 1 || len(good.Requests()) != 1 {
					t.Fatalf("requests: %d, %d", len(bad.Requests()), len(good.Requests()))
				}
			})
			t.Run("early close in body", func(t *testing.T) {
				testutil.CheckLeaks(t)
				b := testutil.StartBackend(t, testutil.Script{reader(proto),
					testutil.Write("Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly this")})
				s := serveProto(t, proto, "", `location / { PFX_pass `+b.Addr()+`; }`)
				c := testutil.Dial(t, s.Addr("A"))
				defer c.Close()
				if err := c.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				got, err := c.ReadUntilClose()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(got), "only this") || !strings.HasPrefix(string(got), "HTTP/1.1 200") {
					t.Fatalf("got %q", got)
				}
				// nothing says the response is complete: the connection is
				// closed with 9 of 100 bytes
				if strings.Contains(string(got), "\r\n0\r\n") {
					t.Fatalf("a cut body passed off as complete: %q", got)
				}
				s.WaitErrorLog(t, "upstream prematurely closed connection while reading upstream")
			})
			t.Run("too big header", func(t *testing.T) {
				testutil.CheckLeaks(t)
				b := testutil.StartBackend(t, testutil.Script{reader(proto),
					testutil.Write("X-Long: " + strings.Repeat("y", 2000) + "\r\n\r\n")})
				s := serveProto(t, proto, "", `location / { PFX_buffer_size 1k; PFX_pass `+b.Addr()+`; }`)
				resp, err := get(t, s, "GET / HTTP/1.0\r\n\r\n")
				if err != nil || resp.StatusCode != 502 {
					t.Fatalf("%v %v", resp, err)
				}
				s.WaitErrorLog(t, "upstream sent too big header while reading response header from upstream")
			})
			t.Run("body from temp file, response spilled to temp file", func(t *testing.T) {
				testutil.CheckLeaks(t)
				big := strings.Repeat("b", 300000)
				b := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Func(func(c *testutil.BackendConn) error {
					if got := string(c.LastRequest().Body); got != big {
						return errorf("body of %d bytes", len(got))
					}
					_, err := c.Write([]byte("Content-Length: 300000\r\n\r\n" + big))
					return err
				})})
				s := serveProto(t, proto, "", `location / { client_body_buffer_size 1k; client_max_body_size 1m; PFX_param CONTENT_LENGTH $content_length; PFX_buffer_size 1k; PFX_buffers 4 1k; PFX_pass `+b.Addr()+`; }`)
				c := testutil.Dial(t, s.Addr("A"))
				defer c.Close()
				if err := c.WriteString("POST / HTTP/1.0\r\nContent-Length: 300000\r\n\r\n" + big); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond) // let the response spill while the client does not read
				resp, err := c.ReadResponse()
				if err != nil || resp.StatusCode != 200 || string(resp.Body) != big {
					t.Fatalf("%v", err)
				}
				if errs := b.Errors(); len(errs) > 0 {
					t.Fatal(errs)
				}
				// the upstream's temp files are removed as the request
				// ends, which may be after the client has the response
				// (the body's is unlinked as soon as it is made)
				for _, d := range []string{"temp", "body"} {
					testutil.CheckNoFilesUnder(t, filepath.Join(s.Prefix(), d))
				}
			})
			t.Run("client closes while waiting", func(t *testing.T) {
				testutil.CheckLeaks(t)
				b := testutil.StartBackend(t, testutil.Script{reader(proto), testutil.Drain()})
				s := serveProto(t, proto, "", `location / { PFX_pass `+b.Addr()+`; }`)
				c := testutil.Dial(t, s.Addr("A"))
				if err := c.WriteString("GET / HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				if !b.WaitRequests(1, 5*time.Second) {
					t.Fatal("no request upstream")
				}
				c.Close()
				s.WaitErrorLog(t, "client prematurely closed connection")
				if !b.WaitFor(5*time.Second, func(b *testutil.Backend) bool { return b.Open() == 0 }) {
					t.Fatal("upstream connection left open")
				}
			})
			t.Run("unix socket", func(t *testing.T) {
				testutil.CheckLeaks(t)
				path := filepath.Join(t.TempDir(), "b.sock")
				ln, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					c, err := ln.Accept()
					if err != nil {
						done <- err
						return
					}
					defer c.Close()
					buf := make([]byte, 4096)
					if _, err := c.Read(buf); err != nil {
						done <- err
						return
					}
					_, err = c.Write([]byte("Status: 200 OK\r\n\r\nover unix"))
					done <- err
				}()
				defer ln.Close()
				s := serveProto(t, proto, "", `location / { PFX_pass unix:`+path+`; }`)
				resp, err := get(t, s, "GET / HTTP/1.0\r\n\r\n")
				if err != nil || resp.StatusCode != 200 || string(resp.Body) != "over unix" {
					t.Fatalf("%v %v", resp, err)
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestUWSGITooBig: a packet over 65535 bytes is nginx's alert and a 500.
func TestUWSGITooBig(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadUWSGI(), testutil.Write("Status: 200 OK\r\n\r\n")})
	s := serveProto(t, "uwsgi", "large_client_header_buffers 4 64k;", `location / { uwsgi_pass `+b.Addr()+`; }`)
	hdr := strings.Repeat("x", 40000)
	resp, err := get(t, s, "GET / HTTP/1.0\r\nX-A: "+hdr+"\r\nX-B: "+hdr+"\r\n\r\n")
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("%v %v", resp, err)
	}
	s.WaitErrorLog(t, "[alert]")
	// two vars of 2+8+2+40000 bytes, and HTTP_HOST's 2+9+2+9
	s.WaitErrorLog(t, "uwsgi request is too big: 80046, client: 127.0.0.1")
	if b.Accepted() != 0 {
		t.Fatal("the packet went out")
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// TestStore: X_store keeps a complete 200 as a file under the location's
// root (or the path given), with X_store_access, and nothing else.
func TestStore(t *testing.T) {
	for _, proto := range []string{"scgi", "uwsgi"} {
		t.Run(proto, func(t *testing.T) {
			testutil.CheckLeaks(t)
			root := t.TempDir()
			b := testutil.StartBackendFunc(t, func(i int) testutil.Script {
				return testutil.Script{reader(proto), testutil.Func(func(c *testutil.BackendConn) error {
					ans := "Status: 200 OK\r\nContent-Length: 6\r\n\r\nstored"
					if strings.Contains(c.LastRequest().Header("REQUEST_URI"), "missing") {
						ans = "Status: 404 Not Found\r\n\r\nnot found"
					}
					_, err := c.Write([]byte(ans))
					return err
				})}
			})
			s := serveProto(t, proto, "", `
        location / {
            root `+root+`;
            PFX_param REQUEST_URI $request_uri;
            PFX_store on;
            PFX_store_access user:rw group:r;
            PFX_pass `+b.Addr()+`;
        }
        location /named/ {
            PFX_param REQUEST_URI $request_uri;
            PFX_store `+root+`/named$uri.copy;
            PFX_pass `+b.Addr()+`;
        }`)
			for _, uri := range []string{"/a/b.html", "/missing.html", "/named/x"} {
				if _, err := get(t, s, "GET "+uri+" HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
			}
			c := testutil.Dial(t, s.Addr("A"))
			if err := c.WriteString("HEAD /head.html HTTP/1.0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadHeadResponse(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			// the file is renamed into place as the request ends, which may
			// be after the client has the response
			for _, f := range []string{"a/b.html", "named/named/x.copy"} {
				deadline := time.Now().Add(5 * time.Second)
				for _, err := os.Stat(filepath.Join(root, f)); err != nil && time.Now().Before(deadline); _, err = os.Stat(filepath.Join(root, f)) {
					time.Sleep(10 * time.Millisecond)
				}
			}
			st, err := os.Stat(filepath.Join(root, "a/b.html"))
			if err != nil || st.Mode().Perm() != 0640 {
				t.Fatalf("stored file: %v %v", st, err)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "a/b.html")); string(b) != "stored" {
				t.Fatalf("stored %q", b)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "named/named/x.copy")); string(b) != "stored" {
				t.Fatalf("stored with a path: %q", b)
			}
			for _, f := range []string{"missing.html", "head.html"} {
				if _, err := os.Stat(filepath.Join(root, f)); err == nil {
					t.Fatalf("%s stored", f)
				}
			}
			if ents, _ := os.ReadDir(filepath.Join(s.Prefix(), "temp")); len(ents) > 0 {
				t.Fatalf("%d temp files left", len(ents))
			}
		})
	}
}
