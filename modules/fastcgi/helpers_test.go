package fastcgi_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/fcgi"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// serve starts sluice with httpLevel at http level and one server whose
// body is the given text; "FCGI" in both is replaced by addr.
func serve(t testing.TB, addr, httpLevel, body string) *servertest.Server {
	t.Helper()
	conf := `
daemon off;
error_log %%PREFIX%%/error.log debug;
events {}
http {
` + httpLevel + `
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
` + body + `
    }
}
`
	return servertest.Start(t, strings.ReplaceAll(conf, "FCGI", addr))
}

// roundTrip sends one request on a new connection and reads the answer.
func roundTrip(t testing.TB, s *servertest.Server, req string) *testutil.Response {
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
		t.Fatalf("reading response to %q: %v", req, err)
	}
	return resp
}

func get(path string) string { return "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n" }

// waitLog waits until the error log holds text.
func waitLog(t testing.TB, s *servertest.Server, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.ErrorLog(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("error log lacks %q:\n%s", text, s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fcgiBackend is Go's net/http/fcgi serving a handler, counting the
// connections it accepted.
type fcgiBackend struct {
	ln       net.Listener
	accepted atomic.Int32
}

func (b *fcgiBackend) Accept() (net.Conn, error) {
	c, err := b.ln.Accept()
	if err == nil {
		b.accepted.Add(1)
	}
	return c, err
}
func (b *fcgiBackend) Close() error   { return b.ln.Close() }
func (b *fcgiBackend) Addr() net.Addr { return b.ln.Addr() }

// startFCGI serves h with net/http/fcgi on 127.0.0.1:0.
func startFCGI(t testing.TB, h http.Handler) *fcgiBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &fcgiBackend{ln: ln}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fcgi.Serve(b, h)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return b
}

// echoEnv answers with the request's FastCGI params, one "K=V" line each,
// sorted, then the body after a "--" line.
func echoEnv(w http.ResponseWriter, r *http.Request) {
	env := fcgi.ProcessEnv(r)
	var lines []string
	for k, v := range env {
		lines = append(lines, k+"="+v)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			lines = append(lines, "hdr:"+k+"="+v)
		}
	}
	lines = append(lines, "method="+r.Method, "uri="+r.RequestURI)
	sort.Strings(lines)
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%s\n--\n%s", strings.Join(lines, "\n"), body)
}

// fcgiRequest is what a raw backend read: params and stdin.
type fcgiRequest struct {
	keepConn bool
	params   map[string]string
	order    []string
	stdin    []byte
	records  []byte // record types in order
}

// readRequest reads one FastCGI request up to its empty FCGI_STDIN.
func readRequest(r *bufio.Reader) (*fcgiRequest, error) {
	req := &fcgiRequest{params: map[string]string{}}
	var params []byte
	for {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, err
		}
		if h[0] != 1 || h[2] != 0 || h[3] != 1 {
			return nil, fmt.Errorf("bad record header % x", h)
		}
		n := int(binary.BigEndian.Uint16(h[4:6]))
		content := make([]byte, n+int(h[6]))
		if _, err := io.ReadFull(r, content); err != nil {
			return nil, err
		}
		content = content[:n]
		req.records = append(req.records, h[1])
		switch h[1] {
		case 1:
			req.keepConn = content[2]&1 != 0
		case 4:
			if n == 0 {
				if err := parsePairs(req, params); err != nil {
					return nil, err
				}
			}
			params = append(params, content...)
		case 5:
			if n == 0 {
				return req, nil
			}
			req.stdin = append(req.stdin, content...)
		}
	}
}

func parsePairs(req *fcgiRequest, b []byte) error {
	length := func() (int, error) {
		if len(b) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		if b[0]&0x80 == 0 {
			n := int(b[0])
			b = b[1:]
			return n, nil
		}
		if len(b) < 4 {
			return 0, io.ErrUnexpectedEOF
		}
		n := int(binary.BigEndian.Uint32(b) & 0x7fffffff)
		b = b[4:]
		return n, nil
	}
	for len(b) > 0 {
		k, err := length()
		if err != nil {
			return err
		}
		v, err := length()
		if err != nil {
			return err
		}
		if len(b) < k+v {
			return io.ErrUnexpectedEOF
		}
		key := string(b[:k])
		req.params[key] = string(b[k : k+v])
		req.order = append(req.order, key)
		b = b[k+v:]
	}
	return nil
}

// record builds one response record with nginx's 8-byte padding.
func record(typ byte, content string) string {
	pad := (8 - len(content)%8) % 8
	h := []byte{1, typ, 0, 1, byte(len(content) >> 8), byte(len(content)), byte(pad), 0}
	return string(h) + content + strings.Repeat("\x00", pad)
}

// stdout, stderr and endRequest are response records.
func stdout(s string) string { return record(6, s) }
func stderr(s string) string { return record(7, s) }
func endRequest() string     { return record(3, "\x00\x00\x00\x00\x00\x00\x00\x00") }

// rawBackend answers each connection's requests with what answer returns
// (written in the pieces given, with a short pause between them so that
// they arrive in separate reads), then closes unless keep is set.
type rawBackend struct {
	ln       net.Listener
	mu       sync.Mutex
	requests []*fcgiRequest
	accepted atomic.Int32
}

func (b *rawBackend) addr() string { return b.ln.Addr().String() }

func (b *rawBackend) last() *fcgiRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		return nil
	}
	return b.requests[len(b.requests)-1]
}

func startRaw(t testing.TB, keep bool, answer func(req *fcgiRequest) []string) *rawBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &rawBackend{ln: ln}
	var wg sync.WaitGroup
	var conns sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.accepted.Add(1)
			conns.Store(c, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := readRequest(br)
					if err != nil {
						return
					}
					b.mu.Lock()
					b.requests = append(b.requests, req)
					b.mu.Unlock()
					for i, p := range answer(req) {
						if i > 0 {
							time.Sleep(5 * time.Millisecond)
						}
						if _, err := c.Write([]byte(p)); err != nil {
							return
						}
					}
					if !keep {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return b
}
