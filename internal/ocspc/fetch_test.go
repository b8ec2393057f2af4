package ocspc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ngxurl"
	"github.com/sluicehq/sluice/internal/testutil"
)

// server answers each connection with answer after the request head; a
// nil answer waits for the client to leave.
func server(t *testing.T, answer []byte) ngxurl.Addr {
	last := testutil.Write(string(answer))
	if answer == nil {
		last = testutil.Drain()
	}
	b := testutil.StartBackend(t, testutil.Script{testutil.ReadHead(), last})
	return ngxurl.Addr{Name: b.Addr(), Network: "tcp", Address: b.Addr()}
}

// logTo is an error log at info level written to a file of the test's.
func logTo(t *testing.T) (*errlog.Log, func() string) {
	path := filepath.Join(t.TempDir(), "error.log")
	files := errlog.NewFiles()
	f, err := files.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(files.CloseAll)
	return errlog.New(errlog.Sink{File: f, Level: errlog.Info}), func() string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
}

// TestFetch: the addresses are tried in turn; a silent responder times
// out; what passes 16 KiB is not read; a response without a complete
// head is "prematurely closed"; every line has nginx's context.
func TestFetch(t *testing.T) {
	testutil.CheckLeaks(t)
	ok := []byte("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\nDER")
	big := append([]byte("HTTP/1.0 200 OK\r\n\r\n"), make([]byte, 20000)...)
	refused := testutil.RefusedAddr(t)
	refusedAddr := ngxurl.Addr{Name: refused, Network: "tcp", Address: refused}
	cases := []struct {
		name    string
		addrs   []ngxurl.Addr
		timeout time.Duration
		code    int
		body    int
		log     []string
	}{
		{"second address", []ngxurl.Addr{refusedAddr, server(t, ok)}, 0, 200, 3,
			[]string{"[error]", "recv() failed (111: Connection refused) while requesting certificate status, responder: ocsp.test, peer: " + refused + `, certificate: "end.pem"`}},
		{"silent", []ngxurl.Addr{server(t, nil)}, 200 * time.Millisecond, 0, -1,
			[]string{"[error]", "OCSP responder timed out (110: Connection timed out) while requesting certificate status, responder: ocsp.test, peer: 127.0.0.1:"}},
		{"16 KiB", []ngxurl.Addr{server(t, big)}, 0, 200, maxResponse - 19, nil},
		{"no end of the head", []ngxurl.Addr{server(t, []byte("HTTP/1.0 200 OK\r\n"))}, 0, 0, -1,
			[]string{"[error]", "OCSP responder prematurely closed connection while requesting certificate status"}},
		{"no responder at all", []ngxurl.Addr{refusedAddr}, 0, 0, -1,
			[]string{"OCSP responder prematurely closed connection while requesting certificate status, responder: ocsp.test, peer: " + refused}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log, read := logTo(t)
			// no resolver: the addresses known at load time are tried
			f := &Fetch{Responder: &Responder{Host: "ocsp.test", URI: "/", Port: 80, Addrs: tc.addrs},
				Timeout: tc.timeout, Log: log, Name: "end.pem"}
			code, body, done := f.Do(context.Background(), []byte{1, 2, 3})
			if tc.body < 0 {
				if done {
					t.Fatalf("answered %d", code)
				}
			} else if !done || code != tc.code || len(body) != tc.body {
				t.Fatalf("%v %d, %d bytes", done, code, len(body))
			}
			text := read()
			for _, sub := range tc.log {
				if !strings.Contains(text, sub) {
					t.Errorf("no %q in\n%s", sub, text)
				}
			}
		})
	}
}
