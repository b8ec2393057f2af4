package upstream

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// tcpPair returns a connected client Conn and the server's end.
func tcpPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); sc.Close() })
	// small socket buffers: a megabyte cannot go out in one write
	nc.(*net.TCPConn).SetWriteBuffer(16 << 10)
	sc.(*net.TCPConn).SetReadBuffer(16 << 10)
	return &Conn{Conn: nc}, sc
}

func TestSendWait(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20) // more than the socket takes at once
	tests := []struct {
		name   string
		pieces []httpd.Piece
		// answer: the server reads the request and answers
		answer   bool
		deadline time.Duration
		wantOK   bool
		wantDone bool
		wantErr  string // "timeout" or ""
	}{
		{name: "answered", pieces: []httpd.Piece{{Data: []byte("GET / HTTP/1.1\r\n")}, {Data: []byte("\r\n")}}, answer: true, deadline: 5 * time.Second, wantOK: true, wantDone: true},
		{name: "no answer within the read deadline", pieces: []httpd.Piece{{Data: []byte("GET / HTTP/1.1\r\n\r\n")}}, deadline: 100 * time.Millisecond, wantOK: true, wantDone: true, wantErr: "timeout"},
		{name: "too big for one write", pieces: []httpd.Piece{{Data: []byte("POST / HTTP/1.1\r\n\r\n")}, {Data: big}}, deadline: 5 * time.Second, wantOK: true},
		{name: "too many pieces", pieces: make([]httpd.Piece, maxWaitPieces+1), wantOK: false},
		{name: "nothing to write", pieces: []httpd.Piece{{Data: nil}}, wantOK: false},
	}
	for i := range tests[3].pieces {
		tests[3].pieces[i].Data = []byte("a")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sc := tcpPair(t)
			want := 0
			for _, p := range tt.pieces {
				want += len(p.Data)
			}
			if tt.answer {
				go func() {
					b := make([]byte, want)
					if _, err := io.ReadFull(sc, b); err == nil {
						sc.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
					}
				}()
			}
			if tt.deadline > 0 {
				c.SetReadDeadline(time.Now().Add(tt.deadline))
			}
			n, done, ok, err := c.sendWait(tt.pieces)
			if ok != tt.wantOK || done != tt.wantDone {
				t.Fatalf("ok, done = %v, %v; want %v, %v (n %d, err %v)", ok, done, tt.wantOK, tt.wantDone, n, err)
			}
			if !ok {
				if n != 0 || c.sent != 0 {
					t.Fatalf("a request that does not qualify wrote %d bytes", n)
				}
				return
			}
			if done && n != want {
				t.Fatalf("done after %d of %d bytes", n, want)
			}
			if !done && (n <= 0 || n >= want || err != nil) {
				t.Fatalf("short write: n %d of %d, err %v", n, want, err)
			}
			if int64(n) != c.sent {
				t.Fatalf("sent %d, n %d", c.sent, n)
			}
			if got := isTimeout(err); got != (tt.wantErr == "timeout") {
				t.Fatalf("err %v, want %s", err, tt.wantErr)
			}
			if tt.answer {
				// the response is there: one read takes it
				c.SetReadDeadline(time.Now().Add(time.Second))
				b := make([]byte, 64)
				k, err := c.Read(b)
				if err != nil || string(b[:k]) != "HTTP/1.1 200 OK\r\n\r\n" {
					t.Fatalf("read %q, %v", b[:k], err)
				}
			}
			for i := range c.sw.iov {
				if c.sw.iov[i].Base != nil {
					t.Fatalf("iov %d still points into the request", i)
				}
			}
		})
	}
}
