package ssl_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// idleConf has short waits for a request, so that a TLS connection left
// idle (parked, in sluice) times out within the test.
const idleConf = `
error_log error.log info;
events {}
http {
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_timeout 1s;
    client_header_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        location / { return 200 "ok\n"; }
    }
}
`

// holdConn is a client's socket under its TLS layer that keeps what the
// TLS layer writes while hold is set, so that a test can send part of a
// record.
type holdConn struct {
	net.Conn
	mu   sync.Mutex
	hold bool
	held []byte
}

func (c *holdConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.hold {
		c.held = append(c.held, b...)
		c.mu.Unlock()
		return len(b), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// idleOutcome is what a client that left a TLS connection idle saw: the
// bytes that came on the socket after its last response (a close_notify
// alert, or nothing) until the server closed, and the server's log lines
// about the connection.
type idleOutcome struct {
	closeNotify bool
	lines       []string
	err         error
}

// idleExchange runs one scenario against addr: a handshake, a request
// unless first, 100 ms of idleness (sluice parks the connection), then
// end.
func idleExchange(addr string, version uint16, first bool, end func(hc *holdConn, tc *tls.Conn) error) idleOutcome {
	nc, err := net.DialTimeout("tcp", addr, testutil.DefaultTimeout)
	if err != nil {
		return idleOutcome{err: err}
	}
	defer nc.Close()
	hc := &holdConn{Conn: nc}
	tc := tls.Client(hc, &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}})
	tc.SetDeadline(time.Now().Add(testutil.DefaultTimeout))
	if err := tc.Handshake(); err != nil {
		return idleOutcome{err: err}
	}
	cl := testutil.NewRawClient(tc)
	if !first {
		if err := cl.WriteString("GET / HTTP/1.1\r\nHost: one.example\r\n\r\n"); err != nil {
			return idleOutcome{err: err}
		}
		if resp, err := cl.ReadResponse(); err != nil || resp.StatusCode != 200 {
			return idleOutcome{err: fmt.Errorf("first request: %v", err)}
		}
	} else {
		// the session tickets
		tc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		tc.Read(make([]byte, 1))
	}
	tc.SetDeadline(time.Time{})
	time.Sleep(100 * time.Millisecond)
	if err := end(hc, tc); err != nil {
		return idleOutcome{err: err}
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(nc)
	if err != nil {
		return idleOutcome{err: fmt.Errorf("not closed: %v", err)}
	}
	return idleOutcome{closeNotify: len(rest) > 0}
}

// partialRecord sends the first bytes of a request's record and stops.
func partialRecord(hc *holdConn, tc *tls.Conn) error {
	hc.mu.Lock()
	hc.hold = true
	hc.mu.Unlock()
	if _, err := tc.Write([]byte("GET / HTTP/1.1\r\nHost: one.example\r\n\r\n")); err != nil {
		return err
	}
	hc.mu.Lock()
	rec := hc.held
	hc.hold, hc.held = false, nil
	hc.mu.Unlock()
	_, err := hc.Conn.Write(rec[:8])
	return err
}

var idleLogLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: \*\d+ (.*)`)

// newLogLines returns the lines logged after the first skip bytes, the
// port written PORT.
func newLogLines(log string, skip int, port string) []string {
	var out []string
	for _, l := range strings.Split(log[min(skip, len(log)):], "\n") {
		if m := idleLogLine.FindStringSubmatch(l); m != nil && m[1] != "debug" {
			out = append(out, "["+m[1]+"] "+strings.ReplaceAll(m[2], ":"+port, ":PORT"))
		}
	}
	return out
}

// TestDifferentialTLSIdle: a TLS connection left idle, which sluice
// parks, ends as in Debian's nginx when the client closes it (with a
// close_notify or a bare FIN, before or after a request) and when part of
// a record leaves it waiting until its timeout: the same log lines, and a
// close_notify from the server exactly when nginx sends one.
func TestDifferentialTLSIdle(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", true)
	text := strings.ReplaceAll(idleConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	closeNotify := func(_ *holdConn, tc *tls.Conn) error { return tc.CloseWrite() }
	fin := func(hc *holdConn, _ *tls.Conn) error { return hc.Conn.(*net.TCPConn).CloseWrite() }
	cases := []struct {
		name  string
		first bool
		end   func(hc *holdConn, tc *tls.Conn) error
	}{
		{"close_notify after a request", false, closeNotify},
		{"FIN after a request", false, fin},
		{"close_notify before a request", true, closeNotify},
		{"FIN before a request", true, fin},
		{"part of a record after a request", false, partialRecord},
		{"part of a record before a request", true, partialRecord},
		{"part of a record, then FIN, after a request", false, func(hc *holdConn, tc *tls.Conn) error {
			if err := partialRecord(hc, tc); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
			return fin(hc, tc)
		}},
		{"part of a record, then FIN, before a request", true, func(hc *holdConn, tc *tls.Conn) error {
			if err := partialRecord(hc, tc); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
			return fin(hc, tc)
		}},
	}
	for _, tc := range cases {
		for _, v := range []struct {
			name    string
			version uint16
		}{{"TLS 1.3", tls.VersionTLS13}, {"TLS 1.2", tls.VersionTLS12}} {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				var got [2]idleOutcome
				var wg sync.WaitGroup
				for i, srv := range []struct {
					addr, port string
					log        func() string
				}{
					{n.Addr(0), fmt.Sprint(n.Port(0)), n.ErrorLog},
					{s.Addr("0"), s.Port("0"), s.ErrorLog},
				} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						skip := len(srv.log())
						got[i] = idleExchange(srv.addr, v.version, tc.first, tc.end)
						// the line is written before the close; nginx's
						// may trail it a little
						time.Sleep(50 * time.Millisecond)
						got[i].lines = newLogLines(srv.log(), skip, srv.port)
					}()
				}
				wg.Wait()
				nr, sr := got[0], got[1]
				if nr.err != nil || sr.err != nil {
					t.Fatalf("nginx: %v, sluice: %v", nr.err, sr.err)
				}
				if nr.closeNotify != sr.closeNotify {
					t.Errorf("close_notify from the server: nginx %v, sluice %v", nr.closeNotify, sr.closeNotify)
				}
				if strings.Join(nr.lines, "\n") != strings.Join(sr.lines, "\n") {
					t.Errorf("log lines differ\nnginx:\n%s\nsluice:\n%s", strings.Join(nr.lines, "\n"), strings.Join(sr.lines, "\n"))
				}
				t.Logf("close_notify %v, lines %q", sr.closeNotify, sr.lines)
			})
		}
	}
}
