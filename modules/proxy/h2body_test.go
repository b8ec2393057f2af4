package proxy_test

import (
	"bytes"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluicehq/sluice/http2"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// h2Frame is a frame of stream 1: its header, then payload.
func h2Frame(typ http2.FrameType, flags uint8, payload []byte) []byte {
	return append(http2.AppendFrameHeader(nil, len(payload), typ, flags, 1), payload...)
}

// h2Request is the HEADERS frame (END_HEADERS, not END_STREAM) of a POST
// to path on stream 1, with the fields kv (name, value, ...) after the
// pseudo-headers.
func h2Request(path string, kv ...string) []byte {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	kv = append([]string{":method", "POST", ":scheme", "http", ":path", path, ":authority", "localhost"}, kv...)
	for i := 0; i+1 < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return h2Frame(http2.FrameHeaders, http2.FlagEndHeaders, block.Bytes())
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
	out := http2.AppendFrameHeader([]byte(http2.Preface), 0, http2.FrameSettings, 0, 0)
	if _, err := c.Write(append(out, first...)); err != nil {
		t.Fatal(err)
	}
	between()
	if _, err := c.Write(then); err != nil {
		t.Fatal(err)
	}
	dec := hpack.NewDecoder(4096, nil)
	var hb [http2.FrameHeaderLen]byte
	for {
		if _, err := io.ReadFull(c, hb[:]); err != nil {
			return ""
		}
		h := http2.ParseFrameHeader(hb[:])
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c, p); err != nil {
			return ""
		}
		if h.Type != http2.FrameHeaders || h.StreamID != 1 {
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
	script := testutil.Script{testutil.ReadHead(), notify(gotHead), testutil.Stall()}
	bn, bs := testutil.StartBackend(t, script), testutil.StartBackend(t, script)
	n := oracle.Start(t, "daemon off;\n"+strings.ReplaceAll(text, "BACKEND", bn.Addr()))
	s := servertest.Start(t, "daemon off;\n"+strings.ReplaceAll(text, "BACKEND", bs.Addr()))
	for _, path := range []string{"/", "/stream/"} {
		first := h2Request(path, "content-length", "10")
		first = append(first, h2Frame(http2.FrameData, 0, []byte("0123456789"))...) // the declared length
		then := h2Frame(http2.FrameData, http2.FlagEndStream, []byte("many"))       // past it
		t.Run(path, func(t *testing.T) {
			// the extra data comes once the declared length was taken: a
			// streamed body's head reached the backend; a buffered body
			// reaches no backend before its stream ends (a pause then)
			between := func() { time.Sleep(200 * time.Millisecond) }
			if path == "/stream/" {
				between = func() { await(t, gotHead, "get the request head") }
			}
			for _, srv := range targets(n, s) {
				if got := h2Status(t, srv.addr, first, between, then); got != "400" {
					t.Errorf("%s: status %q, want 400\n%s", srv.name, got, srv.log())
				}
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
	first := h2Request("/")
	then := h2Frame(http2.FrameData, http2.FlagEndStream, bytes.Repeat([]byte("x"), 2000))
	line := regexp.MustCompile(`\[error\] .* client intended to send too large chunked body: \d+ bytes, client`)
	for _, srv := range targets(n, s) {
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
