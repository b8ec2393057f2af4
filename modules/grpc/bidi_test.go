package grpc_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const bidiConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%% http2;
        server_name localhost;
        client_max_body_size 0;
        location / {
            grpc_pass grpc://GO;
        }
    }
}
`

// readMsg reads one gRPC length-prefixed message.
func readMsg(r io.Reader) (string, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", err
	}
	b := make([]byte, binary.BigEndian.Uint32(h[1:]))
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// pingPong runs a bidirectional stream to addr: each message is answered
// before the next is sent. pad lengthens the messages (past the server's
// flow-control windows when large).
func pingPong(t *testing.T, addr string, pad int) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/bidi", pr)
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	tail := strings.Repeat("x", pad)
	send := func(i int) { pw.Write(grpcFrame(fmt.Sprintf("ping %d ", i) + tail)) }
	go send(0)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	defer resp.Body.Close()
	for i := 0; i < 3; i++ {
		got, err := readMsg(resp.Body)
		if want := fmt.Sprintf("pong %d ", i) + tail; err != nil || got != want {
			t.Fatalf("message %d: %d bytes %.20q, %v", i, len(got), got, err)
		}
		if i < 2 {
			go send(i + 1)
		}
	}
	pw.Close()
	if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the last message: %q, %v", rest, err)
	}
	if g := resp.Trailer.Get("Grpc-Status"); g != "0" {
		t.Fatalf("grpc-status %q", g)
	}
}

func TestBidiStreaming(t *testing.T) {
	testutil.CheckLeaks(t)
	g := startGo(t)
	conf := strings.ReplaceAll(bidiConf, "GO", g.addr())
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	for _, srv := range []struct{ name, addr string }{{"nginx", n.Addr(0)}, {"sluice", s.Addr("0")}} {
		t.Run(srv.name, func(t *testing.T) { pingPong(t, srv.addr, 0) })
		// 3 MiB messages: more than the server's windows (1 MiB)
		t.Run(srv.name+" past the windows", func(t *testing.T) { pingPong(t, srv.addr, 3<<20) })
	}
}
