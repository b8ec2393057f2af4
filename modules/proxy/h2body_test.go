package proxy_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// h2Frame is an HTTP/2 frame: its header, then payload.
func h2Frame(typ, flags byte, stream uint32, payload []byte) []byte {
	b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], stream)
	return append(b, payload...)
}

// h2Status sends first (after the client preface and an empty SETTINGS),
// then, once between returns, then; it returns the :status of stream 1's
// response, "" when none came.
func h2Status(t *testing.T, addr string, first []byte, between func(), then []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	out := append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), h2Frame(4, 0, 0, nil)...)
	if _, err := c.Write(append(out, first...)); err != nil {
		t.Fatal(err)
	}
	between()
	if _, err := c.Write(then); err != nil {
		t.Fatal(err)
	}
	dec := hpack.NewDecoder(4096, nil)
	var h [9]byte
	for {
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return ""
		}
		p := make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
		if _, err := io.ReadFull(c, p); err != nil {
			return ""
		}
		if h[3] != 1 || binary.BigEndian.Uint32(h[5:])&0x7fffffff != 1 {
			continue
		}
		fields, err := dec.DecodeFull(p)
		if err != nil {
			t.Fatalf("response header block: %v", err)
		}
		for _, f := range fields {
			if f.Name == ":status" {
				return f.Value
			}
		}
	}
}

// TestH2BodyLargerThanDeclared checks an HTTP/2 body that goes past its
// content-length after reaching it: nginx ends such a body with its
// stream's END_STREAM, not with its length, and answers 400, whether the
// body is buffered or streamed to the upstream.
func TestH2BodyLargerThanDeclared(t *testing.T) {
	testutil.CheckLeaks(t)
	text := `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        location / { proxy_pass http://BACKEND; }
        location /stream/ { proxy_request_buffering off; proxy_http_version 1.1; proxy_pass http://BACKEND; }
    }
}
`
	gotHead := make(chan struct{}, 2)
	script := testutil.Script{
		testutil.ReadHead(),
		testutil.Func(func(*testutil.BackendConn) error { gotHead <- struct{}{}; return nil }),
		testutil.Stall(),
	}
	bn, bs := testutil.StartBackend(t, script), testutil.StartBackend(t, script)
	n := oracle.Start(t, "daemon off;\n"+strings.ReplaceAll(text, "BACKEND", bn.Addr()))
	s := servertest.Start(t, "daemon off;\n"+strings.ReplaceAll(text, "BACKEND", bs.Addr()))
	for _, path := range []string{"/", "/stream/"} {
		var block bytes.Buffer
		enc := hpack.NewEncoder(&block)
		for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", path}, {":authority", "localhost"}, {"content-length", "10"}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		first := h2Frame(1, 4, 1, block.Bytes())                         // HEADERS, END_HEADERS
		first = append(first, h2Frame(0, 0, 1, []byte("0123456789"))...) // DATA: the declared length
		then := h2Frame(0, 1, 1, []byte("many"))                         // DATA past it, END_STREAM
		// the extra data comes once the declared length was taken: a
		// streamed body's head reached the backend; a buffered body
		// reaches no backend before its stream ends (a pause then)
		between := func() { time.Sleep(200 * time.Millisecond) }
		if path == "/stream/" {
			between = func() {
				select {
				case <-gotHead:
				case <-time.After(5 * time.Second):
					t.Error("the backend got no request head")
				}
			}
		}
		t.Run(path, func(t *testing.T) {
			if got := h2Status(t, n.Addr(0), first, between, then); got != "400" {
				t.Errorf("nginx: status %q, want 400", got)
			}
			if got := h2Status(t, s.Addr("0"), first, between, then); got != "400" {
				t.Errorf("sluice: status %q, want 400\n%s", got, s.ErrorLog())
			}
		})
	}
}

// TestH2BodyTooLarge checks an HTTP/2 body without content-length that
// goes past client_max_body_size: 413, and nginx's HTTP/2 wording of the
// log line (the bytes received, not HTTP/1's "total+chunk").
func TestH2BodyTooLarge(t *testing.T) {
	testutil.CheckLeaks(t)
	text := `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        client_max_body_size 1k;
        location / { proxy_pass http://127.0.0.1:1; }
    }
}
`
	n := oracle.Start(t, "daemon off;\n"+text)
	s := servertest.Start(t, "daemon off;\n"+text)
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {":authority", "localhost"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	first := h2Frame(1, 4, 1, block.Bytes())
	then := h2Frame(0, 1, 1, bytes.Repeat([]byte("x"), 2000))
	line := regexp.MustCompile(`\[error\] .* client intended to send too large chunked body: \d+ bytes, client`)
	for _, srv := range []struct {
		name, addr string
		log        func() string
	}{{"nginx", n.Addr(0), n.ErrorLog}, {"sluice", s.Addr("0"), s.ErrorLog}} {
		t.Run(srv.name, func(t *testing.T) {
			if got := h2Status(t, srv.addr, first, func() {}, then); got != "413" {
				t.Errorf("status %q, want 413", got)
			}
			if !line.MatchString(srv.log()) {
				t.Errorf("error log lacks %s:\n%s", line, srv.log())
			}
		})
	}
}
