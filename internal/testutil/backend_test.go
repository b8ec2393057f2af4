package testutil

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBackendScripts(t *testing.T) {
	tests := []struct {
		name   string
		script func(i int) Script
		client func(t *testing.T, b *Backend)
	}{
		{
			name: "keepalive loop answers each request and ends quietly",
			script: func(int) Script {
				return Script{Loop(ReadHead(), Write(HTTPResponse(200, "ok")))}
			},
			client: func(t *testing.T, b *Backend) {
				c := Dial(t, b.Addr())
				for i := 0; i < 3; i++ {
					c.WriteString("GET /" + string(rune('a'+i)) + " HTTP/1.1\r\nHost: h\r\n\r\n")
					if r, err := c.ReadResponse(); err != nil || string(r.Body) != "ok" {
						t.Fatalf("request %d: %v %v", i, r, err)
					}
				}
				c.Close()
				if !b.WaitFor(DefaultTimeout, func(b *Backend) bool { return b.Open() == 0 }) {
					t.Fatal("connection still open after the client closed")
				}
				var lines []string
				for _, r := range b.Requests() {
					lines = append(lines, r.Line())
				}
				expect(t, "requests", lines, []string{"GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /c HTTP/1.1"})
				expect(t, "errors", len(b.Errors()), 0)
			},
		},
		{
			name: "per-connection scripts",
			script: func(i int) Script {
				if i == 0 {
					return Script{ReadHead(), Reset()}
				}
				return Script{ReadHead(), Write(HTTPResponse(200, "second")), Close()}
			},
			client: func(t *testing.T, b *Backend) {
				c := Dial(t, b.Addr())
				c.WriteString("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				if _, err := c.ReadResponse(); !errors.Is(err, ErrTruncated) || !c.WasReset() {
					t.Fatalf("first connection: err %v reset %v, want a reset", err, c.WasReset())
				}
				r := RoundTrip(t, b.Addr(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				expect(t, "body", string(r.Body), "second")
				expect(t, "accepted", b.Accepted(), 2)
			},
		},
		{
			name: "chunked request body is recorded",
			script: func(int) Script {
				return Script{ReadRequest(), Write(HTTPResponse(200, "")), Close()}
			},
			client: func(t *testing.T, b *Backend) {
				RoundTrip(t, b.Addr(), "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
				reqs := b.Requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				expect(t, "body", string(reqs[0].Body), "abc")
				expect(t, "raw body", string(reqs[0].RawBody), "3\r\nabc\r\n0\r\n\r\n")
				expect(t, "header", reqs[0].Header("transfer-encoding"), "chunked")
			},
		},
		{
			name: "hold releases on the test's signal",
			script: func(int) Script {
				return Script{ReadHead(), Hold(releaseCh), Write(HTTPResponse(200, "released")), Close()}
			},
			client: func(t *testing.T, b *Backend) {
				c := Dial(t, b.Addr())
				c.WriteString("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
				if !b.WaitRequests(1, DefaultTimeout) {
					t.Fatal("request never arrived")
				}
				if closed, extra, _ := c.WaitClosed(10 * time.Millisecond); closed || len(extra) > 0 {
					t.Fatalf("backend answered before release: %q", extra)
				}
				close(releaseCh)
				r, err := c.ReadResponse()
				if err != nil {
					t.Fatal(err)
				}
				expect(t, "body", string(r.Body), "released")
			},
		},
		{
			name: "drain reads until the client closes",
			script: func(int) Script {
				return Script{Drain(), Func(func(c *BackendConn) error {
					c.backend.recordRequest(Request{Conn: c.Index, Head: "drained"})
					return nil
				})}
			},
			client: func(t *testing.T, b *Backend) {
				c := Dial(t, b.Addr())
				c.WriteString(strings.Repeat("x", 100000))
				c.CloseWrite()
				if !b.WaitRequests(1, DefaultTimeout) {
					t.Fatal("drain did not finish")
				}
			},
		},
		{
			name: "read error is recorded",
			script: func(int) Script {
				return Script{ReadHead()}
			},
			client: func(t *testing.T, b *Backend) {
				b.SetTimeout(20 * time.Millisecond)
				c := Dial(t, b.Addr())
				c.WriteString("GET / HTTP/1.1\r\n") // never finished
				if !b.WaitFor(DefaultTimeout, func(b *Backend) bool { return len(b.Errors()) == 1 }) {
					t.Fatal("no error recorded")
				}
				if err := b.Errors()[0]; !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("error = %v, want a read deadline", err)
				}
			},
		},
		{
			name: "close-write then more bytes",
			script: func(int) Script {
				return Script{ReadHead(), Write("HTTP/1.0 200 OK\r\n\r\npartial"), CloseWrite(), Stall()}
			},
			client: func(t *testing.T, b *Backend) {
				c := Dial(t, b.Addr())
				c.WriteString("GET / HTTP/1.0\r\n\r\n")
				r, err := c.ReadResponse()
				if err != nil {
					t.Fatal(err)
				}
				expect(t, "body", string(r.Body), "partial")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			CheckLeaks(t)
			releaseCh = make(chan struct{})
			b := StartBackendFunc(t, tc.script)
			tc.client(t, b)
		})
	}
}

// releaseCh is the Hold case's signal, made fresh for each case.
var releaseCh chan struct{}

func TestBackendCloseEndsStalls(t *testing.T) {
	CheckLeaks(t)
	b := StartBackend(t, Script{Stall()})
	var clients []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if !b.WaitFor(DefaultTimeout, func(b *Backend) bool { return b.Open() == 3 }) {
		t.Fatalf("open = %d, want 3", b.Open())
	}
	b.Close()
	b.Close() // idempotent
	expect(t, "open after close", b.Open(), 0)
	expect(t, "errors", len(b.Errors()), 0)
	for _, c := range clients {
		c.Close()
	}
}

func TestRequestAccessors(t *testing.T) {
	r := Request{Head: "GET /x HTTP/1.1\r\nHost: a\r\nX-Y:  z \r\n\r\n"}
	tests := []struct{ name, got, want string }{
		{"line", r.Line(), "GET /x HTTP/1.1"},
		{"header", r.Header("x-y"), "z"},
		{"missing", r.Header("nope"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { expect(t, tc.name, tc.got, tc.want) })
	}
}

func TestHTTPResponse(t *testing.T) {
	got := HTTPResponse(502, "x", "A: b")
	expect(t, "response", got, "HTTP/1.1 502 Bad Gateway\r\nA: b\r\nContent-Length: 1\r\n\r\nx")
}
