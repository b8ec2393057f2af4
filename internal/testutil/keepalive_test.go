package testutil

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestKeepaliveBackend(t *testing.T) {
	resp := HTTPResponse(200, "hello", "Content-Type: text/plain")
	var open net.Conn
	t.Run("answers", func(t *testing.T) {
		addr := StartKeepaliveBackend(t, []byte(resp))
		c := Dial(t, addr)
		defer c.Close()
		// pipelined, and a head in pieces
		if err := c.WritePieces(Split("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHo", 10, 40), func(int) error {
			time.Sleep(10 * time.Millisecond)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteString("st: h\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			r, err := c.ReadResponse()
			if err != nil || r.StatusCode != 200 || string(r.Body) != "hello" || r.Get("Content-Type") != "text/plain" {
				t.Fatalf("response %d: %v %v", i, r, err)
			}
		}
		// a second connection, left open for the cleanup to close
		r := RoundTrip(t, addr, "GET /c HTTP/1.0\r\n\r\n")
		if string(r.Body) != "hello" {
			t.Fatalf("second connection: %v", r)
		}
		var err error
		if open, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		if _, err := open.Write([]byte("GET /d HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(open, make([]byte, len(resp))); err != nil {
			t.Fatal(err)
		}
	})
	if open == nil {
		return
	}
	defer open.Close()
	open.SetReadDeadline(time.Now().Add(DefaultTimeout))
	if n, err := open.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("connection open at the cleanup: read %d, %v; want EOF", n, err)
	}
}
