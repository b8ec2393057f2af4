package proxy_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// recordingConn keeps the bytes read from a connection.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	got []byte
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.got = append(c.got, b[:n]...)
	c.mu.Unlock()
	return n, err
}

// sentAlert reports whether the TLS 1.2 stream holds an alert record
// (content type 21; the close_notify after the handshake is encrypted,
// but its record type shows).
func sentAlert(b []byte) bool {
	for len(b) >= 5 {
		n := 5 + int(b[3])<<8 + int(b[4])
		if b[0] == 21 {
			return true
		}
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return false
}

// tlsBackend accepts TLS connections with cert (TLS 1.2 at most when
// tls12) on 127.0.0.1:0 and runs serve on each, over a connection that
// records the bytes it reads; the listener closes at cleanup.
func tlsBackend(t *testing.T, cert *certtest.Cert, tls12 bool, serve func(tc *tls.Conn, rc *recordingConn)) string {
	pair, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if tls12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(testutil.DefaultTimeout))
				rc := &recordingConn{Conn: nc}
				serve(tls.Server(rc, cfg), rc)
			}()
		}
	}()
	return ln.Addr().String()
}

// closeNotifyBackend is a TLS 1.2 server answering each connection's
// request with answer and reporting, once the proxy closed the
// connection, whether a close_notify alert came before the end.
func closeNotifyBackend(t *testing.T, cert *certtest.Cert, answer string) (addr string, alerts <-chan bool) {
	ch := make(chan bool, 16)
	addr = tlsBackend(t, cert, true, func(tc *tls.Conn, rc *recordingConn) {
		br := bufio.NewReader(tc)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if l == "\r\n" {
				break
			}
		}
		if _, err := tc.Write([]byte(answer)); err != nil {
			return
		}
		// read on until the proxy closes
		for {
			if _, err := br.ReadByte(); err != nil {
				break
			}
		}
		rc.mu.Lock()
		ch <- sentAlert(rc.got)
		rc.mu.Unlock()
	})
	return addr, ch
}

func cmpBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestProxySSLCloseNotify: how the proxy closes a TLS connection to an
// upstream it does not keep, against Debian's nginx with the same
// configuration: with a close_notify alert when the exchange ends
// (ngx_http_upstream_finalize_request, also after a response it refuses),
// without one before trying the next server (ngx_http_upstream_next's
// no_send_shutdown).
func TestProxySSLCloseNotify(t *testing.T) {
	dir := t.TempDir()
	cert := certtest.New(t, dir, "backend", certtest.Spec{CN: "backend", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
	bad := "HTTP/1.1 200 OK\r\nBad\x00Header: x\r\n\r\n"
	cases := []struct {
		name, answer, loc string
		status            int
		// alerts are the close_notify alerts each connection of the
		// request saw, in any order
		alerts []bool
	}{
		{name: "response complete", answer: ok, status: 200, alerts: []bool{true},
			loc: "proxy_pass https://BACKEND;"},
		{name: "invalid response, no next upstream", answer: bad, status: 502, alerts: []bool{true},
			loc: "proxy_pass https://BACKEND; proxy_next_upstream error timeout;"},
		// the first server is left without an alert, the second (tries
		// exhausted) with one
		{name: "invalid response, next upstream", answer: bad, status: 502, alerts: []bool{false, true},
			loc: "proxy_pass https://two; proxy_next_upstream invalid_header;"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, alerts := closeNotifyBackend(t, cert, tc.answer)
			text := `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    upstream two { server ` + addr + `; server ` + addr + `; }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        location / { ` + strings.ReplaceAll(tc.loc, "BACKEND", addr) + ` }
    }
}
`
			n := oracle.Start(t, text)
			s := servertest.Start(t, text)
			for _, srv := range []struct{ name, addr string }{{"nginx", n.Addr(0)}, {"sluice", s.Addr("0")}} {
				c := testutil.Dial(t, srv.addr)
				if err := c.WriteString("GET / HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := c.ReadResponse()
				if err != nil {
					t.Fatalf("%s: %v", srv.name, err)
				}
				if resp.StatusCode != tc.status {
					t.Errorf("%s: status %d, want %d", srv.name, resp.StatusCode, tc.status)
				}
				c.Close()
				var got []bool
				for range tc.alerts {
					select {
					case alert := <-alerts:
						got = append(got, alert)
					case <-time.After(testutil.DefaultTimeout):
						t.Fatalf("%s: the backend's connection was not closed", srv.name)
					}
				}
				slices.SortFunc(got, func(a, b bool) int { return cmpBool(a) - cmpBool(b) })
				if !slices.Equal(got, tc.alerts) {
					t.Errorf("%s: close_notify per connection %v, want %v", srv.name, got, tc.alerts)
				}
			}
		})
	}
}

// TestProxySSLSendTimeoutClose: a request that cannot be sent over TLS
// (the upstream stops reading and proxy_send_timeout passes) is answered
// 504 with nginx's log line, and closing the connection, whose socket
// still holds unsent bytes, does not wait (Conn.shutdown leaves out the
// close_notify alert then, as ngx_ssl_shutdown does for c->buffered;
// TestSendQueueEmpty checks the test it makes).
func TestProxySSLSendTimeoutClose(t *testing.T) {
	dir := t.TempDir()
	cert := certtest.New(t, dir, "backend", certtest.Spec{CN: "backend", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	addr := tlsBackend(t, cert, false, func(tc *tls.Conn, _ *recordingConn) {
		tc.Handshake()
		// then read nothing more
		<-done
	})
	text := `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        client_max_body_size 64m;
        location / {
            proxy_pass https://` + addr + `;
            proxy_send_timeout 300ms;
        }
    }
}
`
	s := servertest.Start(t, text)
	body := strings.Repeat("x", 32<<20)
	c := testutil.Dial(t, s.Addr("0"))
	if err := c.WriteString("POST / HTTP/1.0\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := c.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 504 {
		t.Errorf("status %d, want 504", resp.StatusCode)
	}
	// the timeout is 0.3 s; tls.Conn.Close waits up to 5 s for its alert
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the 504 came after %v: the close waited for the alert", d)
	}
	if !strings.Contains(s.ErrorLog(), "upstream timed out (110: Connection timed out) while sending request to upstream") {
		t.Errorf("no send timeout in the error log:\n%s", s.ErrorLog())
	}
}
