package gzip_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// streamConf proxies to a scripted backend, %%BACKEND%%.
const streamConf = `
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        gzip on;
        gzip_min_length 0;
        location /unbuffered { proxy_buffering off; proxy_pass http://%%BACKEND%%; }
        location /buffered { proxy_pass http://%%BACKEND%%; }
    }
}
`

// streamClient reads a chunked gzip response as it arrives.
type streamClient struct {
	t    *testing.T
	conn net.Conn
	raw  []byte // bytes after the head not yet decoded as chunks
	body []byte // the compressed body so far
	last bool
	// inBody: the head was read
	inBody bool
}

func dialStream(t *testing.T, addr, uri string) *streamClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c := &streamClient{t: t, conn: conn}
	for {
		if i := bytes.Index(c.raw, []byte("\r\n\r\n")); i >= 0 {
			head := string(c.raw[:i])
			c.raw = c.raw[i+4:]
			c.inBody = true
			c.decode()
			if !strings.Contains(head, "\r\nContent-Encoding: gzip") || !strings.Contains(head, "\r\nTransfer-Encoding: chunked") {
				t.Fatalf("not a chunked gzip response:\n%s", head)
			}
			return c
		}
		c.read()
	}
}

// read reads what comes within the test's patience.
func (c *streamClient) read() {
	c.t.Helper()
	b := make([]byte, 64<<10)
	c.conn.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	n, err := c.conn.Read(b)
	if n == 0 && err != nil {
		c.t.Fatalf("read: %v (have %d compressed bytes)", err, len(c.body))
	}
	c.raw = append(c.raw, b[:n]...)
	c.decode()
}

// decode moves complete chunks from raw to body.
func (c *streamClient) decode() {
	for c.inBody && !c.last {
		i := bytes.Index(c.raw, []byte("\r\n"))
		if i < 0 {
			return
		}
		size, err := strconv.ParseInt(string(c.raw[:i]), 16, 64)
		if err != nil {
			c.t.Fatalf("chunk size %q", c.raw[:i])
		}
		if int64(len(c.raw)) < int64(i)+2+size+2 {
			return
		}
		c.body = append(c.body, c.raw[i+2:i+2+int(size)]...)
		c.raw = c.raw[i+2+int(size)+2:]
		c.last = size == 0
	}
}

// plain decompresses what arrived so far; a stream cut at a sync flush
// gives all the data before it.
func (c *streamClient) plain() []byte {
	zr, err := gzip.NewReader(bytes.NewReader(c.body))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(zr)
	return out
}

// TestFlush: with proxy_buffering off every read from the backend is
// flushed (as nginx's gzip_flush.t checks with $r->flush): the client can
// decompress the first part while the backend still holds the second.
func TestFlush(t *testing.T) {
	testutil.CheckLeaks(t)
	release := make(chan struct{})
	be := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\nfirst part, "),
		testutil.Hold(release),
		testutil.Write("second part"),
		testutil.Close(),
	})
	s := servertest.Start(t, strings.ReplaceAll(streamConf, "%%BACKEND%%", be.Addr()))
	c := dialStream(t, s.Addr("A"), "/unbuffered")
	for string(c.plain()) != "first part, " {
		c.read()
	}
	close(release)
	for !c.last {
		c.read()
	}
	if got := string(c.plain()); got != "first part, second part" {
		t.Errorf("body %q", got)
	}
}

// TestBounded: a large body is compressed and sent as it comes, in units
// of gzip_buffers, not held until its end: while the backend holds the
// rest, the client gets most of what was sent before.
func TestBounded(t *testing.T) {
	testutil.CheckLeaks(t)
	// random letters compress to a bit more than half
	rnd := rand.New(rand.NewSource(2))
	part := make([]byte, 2<<20)
	for i := range part {
		part[i] = byte('a' + rnd.Intn(26))
	}
	release := make(chan struct{})
	be := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", 2*len(part))),
		testutil.Write(string(part)),
		testutil.Hold(release),
		testutil.Write(string(part)),
		testutil.Close(),
	})
	s := servertest.Start(t, strings.ReplaceAll(streamConf, "%%BACKEND%%", be.Addr()))
	c := dialStream(t, s.Addr("A"), "/buffered")
	// at most the compressor's window and the buffers (128k) are held back
	for len(c.plain()) < len(part)-256<<10 {
		c.read()
	}
	close(release)
	for !c.last {
		c.read()
	}
	if got := c.plain(); !bytes.Equal(got, append(part, part...)) {
		t.Errorf("body of %d bytes differs", len(got))
	}
}

// TestCache: the cache keeps the response as the backend sent it, and
// each answer is compressed (or not) for its own request, hit or miss.
func TestCache(t *testing.T) {
	testutil.CheckLeaks(t)
	body := strings.Repeat("<p>cached page</p>\n", 100)
	be := testutil.StartBackend(t, testutil.Script{
		testutil.ReadHead(),
		testutil.Write(testutil.HTTPResponse(200, body, "Content-Type: text/html", "Cache-Control: max-age=60", "Connection: close")),
		testutil.Close(),
	})
	conf := `
events {}
http {
    proxy_cache_path %%CACHE%% keys_zone=z:1m;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        gzip on;
        location / { proxy_cache z; proxy_pass http://%%BACKEND%%; add_header X-Cache $upstream_cache_status; }
    }
}`
	conf = strings.NewReplacer("%%CACHE%%", t.TempDir(), "%%BACKEND%%", be.Addr()).Replace(conf)
	s := servertest.Start(t, conf)
	for i, tc := range []struct {
		gzip  bool
		cache string
	}{{true, "MISS"}, {false, "HIT"}, {true, "HIT"}} {
		var extra []string
		if tc.gzip {
			extra = append(extra, ae)
		}
		r := testutil.RoundTrip(t, s.Addr("A"), request("GET", "/page", "HTTP/1.1", extra...))
		if r.StatusCode != 200 || r.Get("X-Cache") != tc.cache || (r.Get("Content-Encoding") == "gzip") != tc.gzip {
			t.Fatalf("request %d: want %s, gzipped %v:\n%s", i, tc.cache, tc.gzip, r.Head)
		}
		got := r.Body
		if tc.gzip {
			got = gunzip(t, got)
		}
		if string(got) != body {
			t.Errorf("request %d: body %q", i, head(got))
		}
	}
	if n := len(be.Requests()); n != 1 {
		t.Errorf("%d requests reached the backend, want 1", n)
	}
}
