package httpd_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"hash"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// tlsParkConf is parkConf over TLS; DIR is where the certificate is.
const tlsParkConf = `
error_log error.log info;
events {}
http {
    ssl_certificate DIR/park.example.pem;
    ssl_certificate_key DIR/park.example.key;
    keepalive_timeout 1s;
    client_header_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_A%% ssl;
        location / { return 200 "ok\n"; }
    }
}`

// startTLS starts conf (tlsParkConf or a variant) with a fresh certificate.
func startTLS(t *testing.T, conf string) *servertest.Server {
	t.Helper()
	dir := t.TempDir()
	certtest.New(t, dir, "park.example", certtest.Spec{CN: "park.example", DNS: []string{"park.example"}})
	return servertest.Start(t, strings.ReplaceAll(conf, "DIR", dir))
}

// recConn is the client's socket under its TLS layer: it counts the
// records the TLS layer writes once counting is set, and keeps them
// instead of sending them while held is set. Its reads end at the end of
// a record.
type recConn struct {
	net.Conn
	mu       sync.Mutex
	counting bool
	records  uint64
	hold     bool
	held     []byte
	// the record being read: its header so far, what is left of its body
	rhdr  [5]byte
	rhdrN int
	rbody int
}

// Read reads no further than the end of the record being read, so that
// what the server sends after the records the TLS layer needs stays in
// the socket for rawRest: a close_notify right behind a response would
// otherwise, when the client is slow, be read along with the response.
func (c *recConn) Read(b []byte) (int, error) {
	if c.rbody == 0 {
		n, err := c.Conn.Read(b[:min(len(b), len(c.rhdr)-c.rhdrN)])
		c.rhdrN += copy(c.rhdr[c.rhdrN:], b[:n])
		if c.rhdrN == len(c.rhdr) {
			c.rbody, c.rhdrN = int(c.rhdr[3])<<8|int(c.rhdr[4]), 0
		}
		return n, err
	}
	n, err := c.Conn.Read(b[:min(len(b), c.rbody)])
	c.rbody -= n
	return n, err
}

func (c *recConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.counting {
		for p := b; len(p) >= 5; {
			c.records++
			p = p[min(len(p), 5+int(p[3])<<8|int(p[4])):]
		}
	}
	if c.hold {
		c.held = append(c.held, b...)
		c.mu.Unlock()
		return len(b), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// take returns the records kept while held and stops holding.
func (c *recConn) take() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.held
	c.held, c.hold = nil, false
	return b
}

// tlsClient is a TLS connection to a test server with its socket beneath.
type tlsClient struct {
	tc     *tls.Conn
	rc     *recConn
	cl     *testutil.RawClient // reads responses through tc
	keyLog bytes.Buffer
}

func dialTLSClient(t *testing.T, addr string, version uint16) *tlsClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testutil.DefaultTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return startTLSClient(t, nc, version)
}

// startTLSClient runs a handshake on nc.
func startTLSClient(t *testing.T, nc net.Conn, version uint16) *tlsClient {
	t.Helper()
	c := &tlsClient{rc: &recConn{Conn: nc}}
	t.Cleanup(func() { nc.Close() })
	c.tc = tls.Client(c.rc, &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version, KeyLogWriter: &c.keyLog})
	c.tc.SetDeadline(time.Now().Add(testutil.DefaultTimeout))
	if err := c.tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.tc.SetDeadline(time.Time{})
	c.rc.mu.Lock()
	c.rc.counting = true
	c.rc.mu.Unlock()
	c.cl = testutil.NewRawClient(c.tc)
	return c
}

// get sends a request and reads its answer, which must be "ok".
func (c *tlsClient) get(t *testing.T) {
	t.Helper()
	if err := c.cl.WriteString("GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.expectOK(t)
}

func (c *tlsClient) expectOK(t *testing.T) {
	t.Helper()
	resp, err := c.cl.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(resp.Body) != "ok\n" {
		t.Fatalf("got %q %q", resp.StatusLine, resp.Body)
	}
}

// record returns a request as the records the TLS layer makes of it,
// unsent.
func (c *tlsClient) record(t *testing.T, req string) []byte {
	t.Helper()
	c.rc.mu.Lock()
	c.rc.hold = true
	c.rc.mu.Unlock()
	if _, err := c.tc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	return c.rc.take()
}

// sendRaw writes bytes on the socket under the TLS layer.
func (c *tlsClient) sendRaw(t *testing.T, b []byte) {
	t.Helper()
	if _, err := c.rc.Conn.Write(b); err != nil {
		t.Fatal(err)
	}
}

// rawRest reads the socket under the TLS layer until the server closes
// it and returns what came.
func (c *tlsClient) rawRest(t *testing.T) []byte {
	t.Helper()
	c.rc.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c.rc.Conn)
	if err != nil {
		t.Fatalf("the server did not close: %v (got %q)", err, b)
	}
	return b
}

// waitClosedTLS waits for the server to close the connection, reading
// through the TLS layer.
func (c *tlsClient) waitClosed(t *testing.T, wait time.Duration) {
	t.Helper()
	if closed, extra, _ := c.cl.WaitClosed(wait); !closed {
		t.Fatalf("connection not closed after %v (got %q)", wait, extra)
	}
}

// waitLogLine waits for a line with text in the error log and checks its
// level.
func waitLogLine(t *testing.T, s *servertest.Server, level, text string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		for _, l := range strings.Split(s.ErrorLog(), "\n") {
			if strings.Contains(l, text) {
				if !strings.Contains(l, " ["+level+"] ") {
					t.Errorf("logged %q, want it at %s", l, level)
				}
				return
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no %q in the error log:\n%s", text, s.ErrorLog())
		}
	}
}

var tlsVersions = []struct {
	name    string
	version uint16
}{
	{"TLS 1.3", tls.VersionTLS13},
	{"TLS 1.2", tls.VersionTLS12},
}

// TestParkedTLSConnectionResumes: an idle TLS keepalive connection is
// parked after the linger, and its next request resumes it.
func TestParkedTLSConnectionResumes(t *testing.T) {
	for _, v := range tlsVersions {
		t.Run(v.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			before := httpd.Parked()
			s := startTLS(t, tlsParkConf)
			c := dialTLSClient(t, s.Addr("A"), v.version)
			parks := httpd.ParksTotal()
			for i := 0; i < 3; i++ {
				c.get(t)
				waitParked(t, before+1)
			}
			if n := httpd.ParksTotal() - parks; n < 3 {
				t.Errorf("parked %d times in 3 idle waits", n)
			}
		})
	}
}

// TestParkedTLSBeforeHandshake: a connection to an ssl address that has
// sent nothing yet is parked as a plain one, and its handshake and request
// are served when they come.
func TestParkedTLSBeforeHandshake(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := startTLS(t, tlsParkConf)
	nc, err := net.DialTimeout("tcp", s.Addr("A"), testutil.DefaultTimeout)
	if err != nil {
		t.Fatal(err)
	}
	waitParked(t, before+1)
	c := startTLSClient(t, nc, tls.VersionTLS13)
	c.get(t)
	waitParked(t, before+1)
}

// TestParkedTLSPartialRecord: a wake-up that brings part of a record
// parks the connection again for what is left of its wait, which is not
// renewed: keepalive_timeout after a request (closed without a log line,
// as nginx's ngx_http_keepalive_handler does), client_header_timeout
// before the first one ("client timed out", as
// ngx_http_wait_request_handler logs it).
func TestParkedTLSPartialRecord(t *testing.T) {
	tests := []struct {
		name        string
		first       bool // no request before the partial record
		rest        bool // the rest of the record comes: served
		wantTimeout bool // "client timed out" logged
	}{
		{name: "rest comes later", rest: true},
		{name: "rest never comes after a request"},
		{name: "rest never comes before the first request", first: true, wantTimeout: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			before := httpd.Parked()
			s := startTLS(t, tlsParkConf)
			c := dialTLSClient(t, s.Addr("A"), tls.VersionTLS13)
			if !tc.first {
				c.get(t)
			} else {
				// the session tickets, read so that rawRest sees only
				// what the server sends at the end
				c.tc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				c.tc.Read(make([]byte, 1))
				c.tc.SetReadDeadline(time.Time{})
			}
			idle := time.Now()
			waitParked(t, before+1)
			rec := c.record(t, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			parks := httpd.ParksTotal()
			time.Sleep(500 * time.Millisecond)
			c.sendRaw(t, rec[:8])
			// woken, then parked again with the record's start kept
			for end := time.Now().Add(5 * time.Second); httpd.ParksTotal() == parks; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatal("not parked again after part of a record")
				}
			}
			waitParked(t, before+1)
			if tc.rest {
				c.sendRaw(t, rec[8:])
				c.expectOK(t)
				waitParked(t, before+1)
				return
			}
			if rest := c.rawRest(t); len(rest) == 0 {
				t.Errorf("closed without close_notify")
			}
			// 1 s from the start of the wait, not from the partial record
			// (which would be 1.5 s at the earliest: the bound sits just
			// short of it, leaving the right answer room to come late)
			if d := time.Since(idle); d < 900*time.Millisecond || d >= 1490*time.Millisecond {
				t.Errorf("closed %v after the wait began, want 1 s", d)
			}
			waitParked(t, before)
			if tc.wantTimeout {
				waitLogLine(t, s, "info", "client timed out (110: Connection timed out) while waiting for request, client: 127.0.0.1, server: 127.0.0.1:")
			} else if strings.Contains(s.ErrorLog(), "timed out") {
				t.Errorf("a keepalive timeout logged:\n%s", s.ErrorLog())
			}
		})
	}
}

// TestParkedTLSClientCloses: a client that closes a parked connection,
// with a close_notify alert or without, gets nginx's log line, and no
// close_notify back (nginx's no_send_shutdown once SSL_read saw the end).
func TestParkedTLSClientCloses(t *testing.T) {
	tests := []struct {
		name    string
		request bool // a request before
		notify  bool // close_notify rather than a bare FIN
		line    string
	}{
		{"close_notify after a request", true, true, "client 127.0.0.1 closed keepalive connection"},
		{"FIN after a request", true, false, "client 127.0.0.1 closed keepalive connection"},
		{"close_notify before a request", false, true, "client closed connection while waiting for request, client: 127.0.0.1, server: 127.0.0.1:"},
		{"FIN before a request", false, false, "client closed connection while waiting for request, client: 127.0.0.1, server: 127.0.0.1:"},
	}
	for _, tc := range tests {
		for _, v := range tlsVersions {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				testutil.CheckLeaks(t)
				before := httpd.Parked()
				s := startTLS(t, strings.Replace(tlsParkConf, "keepalive_timeout 1s", "keepalive_timeout 60s", 1))
				c := dialTLSClient(t, s.Addr("A"), v.version)
				if tc.request {
					c.get(t)
				} else if v.version == tls.VersionTLS13 {
					c.tc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
					c.tc.Read(make([]byte, 1))
					c.tc.SetReadDeadline(time.Time{})
				}
				waitParked(t, before+1)
				var err error
				if tc.notify {
					err = c.tc.CloseWrite()
				} else {
					err = c.rc.Conn.(*net.TCPConn).CloseWrite()
				}
				if err != nil {
					t.Fatal(err)
				}
				if rest := c.rawRest(t); len(rest) != 0 {
					t.Errorf("the server sent %d bytes after the client's end (a close_notify?)", len(rest))
				}
				waitParked(t, before)
				waitLogLine(t, s, "info", tc.line)
			})
		}
	}
}

// TestParkedTLSExpires: keepalive_timeout closes a parked TLS connection
// (with a close_notify, as nginx's ngx_ssl_shutdown sends it); one
// shorter than the linger closes it unparked.
func TestParkedTLSExpires(t *testing.T) {
	tests := []struct {
		name    string
		timeout string
		parked  bool
		min     time.Duration
	}{
		{"parked", "1s", true, 800 * time.Millisecond},
		{"shorter than the linger", "1ms", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			before := httpd.Parked()
			s := startTLS(t, strings.Replace(tlsParkConf, "keepalive_timeout 1s", "keepalive_timeout "+tc.timeout, 1))
			c := dialTLSClient(t, s.Addr("A"), tls.VersionTLS13)
			c.get(t)
			// counted once the response is in: before the first request
			// the connection may park waiting for the ClientHello and
			// again waiting for the request, as slowly as the client goes
			parks := httpd.ParksTotal()
			start := time.Now()
			if tc.parked {
				waitParked(t, before+1)
			}
			if rest := c.rawRest(t); len(rest) == 0 {
				t.Errorf("closed without close_notify")
			}
			if d := time.Since(start); d < tc.min {
				t.Errorf("closed after %v, keepalive_timeout is %s", d, tc.timeout)
			}
			waitParked(t, before)
			if !tc.parked && httpd.ParksTotal() != parks {
				t.Errorf("parked %d times after the response", httpd.ParksTotal()-parks)
			}
		})
	}
}

// TestDrainClosesParkedTLS: a reload closes the retiring configuration's
// parked TLS connections.
func TestDrainClosesParkedTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	dir := t.TempDir()
	certtest.New(t, dir, "park.example", certtest.Spec{CN: "park.example", DNS: []string{"park.example"}})
	conf := strings.ReplaceAll(strings.Replace(tlsParkConf, "keepalive_timeout 1s", "keepalive_timeout 60s", 1), "DIR", dir)
	s := servertest.Start(t, conf)
	c := dialTLSClient(t, s.Addr("A"), tls.VersionTLS13)
	c.get(t)
	waitParked(t, before+1)
	s.Reload(conf)
	c.waitClosed(t, 5*time.Second)
	waitParked(t, before)
}

// TestParkedTLSKeyUpdate: a TLS 1.3 KeyUpdate wakes a parked connection
// and brings no request: the connection parks again, answers the update
// (it asked for ours), and serves the next request, sent with the new key.
func TestParkedTLSKeyUpdate(t *testing.T) {
	testutil.CheckLeaks(t)
	before := httpd.Parked()
	s := startTLS(t, strings.Replace(tlsParkConf, "keepalive_timeout 1s", "keepalive_timeout 60s", 1))
	c := dialTLSClient(t, s.Addr("A"), tls.VersionTLS13)
	c.get(t)
	w := newClientRecords(t, c)
	waitParked(t, before+1)
	parks := httpd.ParksTotal()
	// KeyUpdate, update_requested
	c.sendRaw(t, w.seal(22, []byte{24, 0, 0, 1, 1}))
	w.update()
	for end := time.Now().Add(5 * time.Second); httpd.ParksTotal() == parks; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("not parked again after a KeyUpdate")
		}
	}
	waitParked(t, before+1)
	c.sendRaw(t, w.seal(23, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")))
	// the answer comes after the server's KeyUpdate, which the client's
	// TLS layer reads
	c.expectOK(t)
}

// clientRecords seals TLS 1.3 records as the client's TLS layer would, for
// what crypto/tls does not send (a KeyUpdate), from the client's traffic
// secret in the key log.
type clientRecords struct {
	hash   func() hash.Hash
	keyLen int
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

func newClientRecords(t *testing.T, c *tlsClient) *clientRecords {
	t.Helper()
	w := &clientRecords{}
	switch cs := c.tc.ConnectionState().CipherSuite; cs {
	case tls.TLS_AES_128_GCM_SHA256:
		w.hash, w.keyLen = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		w.hash, w.keyLen = sha512.New384, 32
	default:
		t.Skipf("suite %s: no AES-GCM here", tls.CipherSuiteName(cs))
	}
	for _, l := range strings.Split(c.keyLog.String(), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "CLIENT_TRAFFIC_SECRET_0" {
			w.secret, _ = hex.DecodeString(f[2])
		}
	}
	if w.secret == nil {
		t.Fatal("no CLIENT_TRAFFIC_SECRET_0 in the key log")
	}
	c.rc.mu.Lock()
	w.seq = c.rc.records
	c.rc.mu.Unlock()
	w.keys()
	return w
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context.
func (w *clientRecords) expandLabel(label string, n int) []byte {
	full := "tls13 " + label
	info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(w.hash, w.secret, string(info), n)
	if err != nil {
		panic(err)
	}
	return out
}

func (w *clientRecords) keys() {
	block, err := aes.NewCipher(w.expandLabel("key", w.keyLen))
	if err != nil {
		panic(err)
	}
	w.aead, _ = cipher.NewGCM(block)
	w.iv = w.expandLabel("iv", 12)
}

// update moves to the next traffic secret (after a KeyUpdate).
func (w *clientRecords) update() {
	w.secret = w.expandLabel("traffic upd", w.hash().Size())
	w.keys()
	w.seq = 0
}

// seal returns a record of content type typ carrying msg.
func (w *clientRecords) seal(typ byte, msg []byte) []byte {
	inner := append(append([]byte(nil), msg...), typ)
	n := len(inner) + w.aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	nonce := append([]byte(nil), w.iv...)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(w.seq >> (8 * i))
	}
	w.seq++
	return w.aead.Seal(hdr, nonce, inner, hdr)
}
