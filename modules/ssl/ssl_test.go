package ssl_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

// get sends one HTTP/1.0 request over a new TLS connection made with cfg
// and returns the response and the connection's state.
func get(t *testing.T, addr string, cfg *tls.Config, path string) (*testutil.Response, tls.ConnectionState) {
	t.Helper()
	tc, err := dialTLS(addr, cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer tc.Close()
	cl := testutil.NewRawClient(tc)
	if err := cl.WriteString("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := cl.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	return resp, tc.ConnectionState()
}

// TestSessionResumption: a ticket resumes the session ($ssl_session_reused
// "r"), unless ssl_session_tickets is off; a ticket of another
// ssl_session_ticket_key is not accepted.
func TestSessionResumption(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	for i, name := range []string{"a.key", "b.key"} {
		k := make([]byte, 80)
		rand.Read(k)
		k[0] = byte(i)
		if err := os.WriteFile(filepath.Join(dir, name), k, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    server {
        listen 127.0.0.1:%%PORT_on%% ssl;
        location / { return 200 "$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_off%% ssl;
        ssl_session_tickets off;
        location / { return 200 "$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_a%% ssl;
        ssl_session_ticket_key DIR/a.key;
        location / { return 200 "$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_b%% ssl;
        ssl_session_ticket_key DIR/b.key;
        ssl_session_ticket_key DIR/a.key;
        location / { return 200 "$ssl_session_reused"; }
    }
}`, "DIR", dir))
	cases := []struct {
		name        string
		first, then string // ports
		version     uint16
		want        string // the second connection's $ssl_session_reused
	}{
		{"tickets TLS 1.3", "on", "on", tls.VersionTLS13, "r"},
		{"tickets TLS 1.2", "on", "on", tls.VersionTLS12, "r"},
		{"tickets off", "off", "off", tls.VersionTLS13, "."},
		{"same key on another server", "a", "b", tls.VersionTLS13, "r"},
		{"key the server does not have", "b", "a", tls.VersionTLS13, "."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(4), MaxVersion: tc.version, ServerName: "localhost"}
			if resp, _ := get(t, s.Addr(tc.first), cfg, "/"); string(resp.Body) != "." {
				t.Fatalf("first connection: %q", resp.Body)
			}
			resp, cs := get(t, s.Addr(tc.then), cfg, "/")
			if string(resp.Body) != tc.want {
				t.Errorf("second connection: %q, want %q (client: resumed %v)", resp.Body, tc.want, cs.DidResume)
			}
		})
	}
}

// TestCertificatePairs: a server with RSA and ECDSA certificates shows
// the one the client can verify, ECDSA when it can do both; a second RSA
// certificate replaces the first, as in OpenSSL.
func TestCertificatePairs(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "rsa.example", false)
	writeCert(t, dir, "ecdsa.example", true)
	writeCert(t, dir, "replaced.example", false)
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/replaced.example.pem;
        ssl_certificate_key DIR/replaced.example.key;
        ssl_certificate DIR/ecdsa.example.pem;
        ssl_certificate_key DIR/ecdsa.example.key;
        ssl_certificate DIR/rsa.example.pem;
        ssl_certificate_key DIR/rsa.example.key;
        location / { return 200 "$ssl_cipher"; }
    }
}`, "DIR", dir))
	cases := []struct {
		name, cipher string
		suites       []uint16
		cn           string
	}{
		{"RSA suite", "ECDHE-RSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, "rsa.example"},
		{"ECDSA suite", "ECDHE-ECDSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, "ecdsa.example"},
		{"both: ECDSA", "ECDHE-ECDSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, "ecdsa.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, cs := get(t, s.Addr("0"), &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: tc.suites}, "/")
			if cn := cs.PeerCertificates[0].Subject.CommonName; cn != tc.cn {
				t.Errorf("certificate %q, want %q", cn, tc.cn)
			}
			if string(resp.Body) != tc.cipher {
				t.Errorf("$ssl_cipher %q, want %q", resp.Body, tc.cipher)
			}
		})
	}
}

// TestFilesOverTLS: a static file goes out whole through the TLS writer
// (no sendfile), with small and large ssl_buffer_size, and with
// limit_rate's writes; keepalive carries on after it.
func TestFilesOverTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	data := make([]byte, 1<<20+12345)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    sendfile on;
    root DIR;
    server {
        listen 127.0.0.1:%%PORT_16k%% ssl;
    }
    server {
        listen 127.0.0.1:%%PORT_4k%% ssl;
        ssl_buffer_size 4k;
        location /limited { alias DIR; limit_rate 10m; limit_rate_after 100k; }
    }
}`, "DIR", dir))
	for _, tc := range []struct{ name, port, path string }{
		{"16k buffer", "16k", "/big.bin"},
		{"4k buffer", "4k", "/big.bin"},
		{"limit_rate", "4k", "/limited/big.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc2, err := dialTLS(s.Addr(tc.port), &tls.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer tc2.Close()
			cl := testutil.NewRawClient(tc2)
			for i := range 2 {
				if err := cl.WriteString("GET " + tc.path + " HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := cl.ReadResponse()
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if resp.StatusCode != 200 || !bytes.Equal(resp.Body, data) {
					t.Fatalf("request %d: %d, %d bytes, equal %v", i, resp.StatusCode, len(resp.Body), bytes.Equal(resp.Body, data))
				}
			}
		})
	}
}

// TestVersionInfo: -V lists --with-http_ssl_module.
func TestVersionInfo(t *testing.T) {
	if args := core.ConfigureArguments(modules.Implemented); !strings.Contains(args, "--with-http_ssl_module") {
		t.Errorf("configure arguments lack the ssl module: %s", args)
	}
}

// TestReloadTLS: a reload swaps certificates for new connections; an
// idle keepalive TLS connection of the old configuration is closed, one
// busy with a request finishes it.
func TestReloadTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	writeCert(t, dir, "two.example", true)
	conf := func(name string) string {
		return strings.ReplaceAll(`
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/NAME.pem;
        ssl_certificate_key DIR/NAME.key;
        location / { return 200 "NAME"; }
    }
}`, "NAME", name)
	}
	s := servertest.Start(t, strings.ReplaceAll(conf("one.example"), "DIR", dir))
	old, err := dialTLS(s.Addr("0"), &tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	cl := testutil.NewRawClient(old)
	if err := cl.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if resp, err := cl.ReadResponse(); err != nil || string(resp.Body) != "one.example" {
		t.Fatalf("before reload: %v %v", resp, err)
	}
	s.Reload(strings.ReplaceAll(conf("two.example"), "DIR", dir))
	if closed, _, _ := cl.WaitClosed(5 * time.Second); !closed {
		t.Errorf("idle keepalive connection of the old configuration not closed")
	}
	resp, cs := get(t, s.Addr("0"), &tls.Config{}, "/")
	if cn := cs.PeerCertificates[0].Subject.CommonName; cn != "two.example" || string(resp.Body) != "two.example" {
		t.Errorf("after reload: certificate %q, body %q", cn, resp.Body)
	}
}

// TestStaplingFile: the response in ssl_stapling_file is stapled as it is.
func TestStaplingFile(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	staple := []byte("\x30\x03\x0a\x01\x00") // any bytes: sent as they are
	if err := os.WriteFile(filepath.Join(dir, "staple.der"), staple, 0o644); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    server {
        listen 127.0.0.1:%%PORT_on%% ssl;
        ssl_stapling on;
        ssl_stapling_file DIR/staple.der;
        location / { return 200 "ok"; }
    }
    server {
        listen 127.0.0.1:%%PORT_off%% ssl;
        ssl_stapling_file DIR/staple.der;
        location / { return 200 "ok"; }
    }
}`, "DIR", dir))
	for _, tc := range []struct {
		port string
		want []byte
	}{{"on", staple}, {"off", nil}} {
		_, cs := get(t, s.Addr(tc.port), &tls.Config{}, "/")
		if !bytes.Equal(cs.OCSPResponse, tc.want) {
			t.Errorf("%s: stapled %q, want %q", tc.port, cs.OCSPResponse, tc.want)
		}
	}
}

// TestSessionTimeout: a ticket older than ssl_session_timeout does not
// resume the session.
func TestSessionTimeout(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        ssl_session_timeout 1s;
        location / { return 200 "$ssl_session_reused"; }
    }
}`, "DIR", dir))
	cfg := &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	get(t, s.Addr("0"), cfg, "/")
	if resp, _ := get(t, s.Addr("0"), cfg, "/"); string(resp.Body) != "r" {
		t.Fatalf("within the timeout: %q", resp.Body)
	}
	time.Sleep(1100 * time.Millisecond)
	if resp, _ := get(t, s.Addr("0"), cfg, "/"); string(resp.Body) != "." {
		t.Errorf("after the timeout: %q", resp.Body)
	}
}

// ticketCache is a client session cache that keeps the tickets it gets.
type ticketCache struct {
	tls.ClientSessionCache
	tickets [][]byte
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	if cs != nil {
		if t, _, err := cs.ResumptionState(); err == nil {
			c.tickets = append(c.tickets, t)
		}
	}
	c.ClientSessionCache.Put(key, cs)
}

// TestTicketKeyNames: a ticket starts with the name of the key that made
// it, the first 16 bytes of the ssl_session_ticket_key file; generated
// keys of a server with a shared session cache are replaced every
// ssl_session_timeout, as nginx 1.23.2 rotates them.
func TestTicketKeyNames(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	key := make([]byte, 48)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "t.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, strings.ReplaceAll(`
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    server {
        listen 127.0.0.1:%%PORT_file%% ssl;
        ssl_session_ticket_key DIR/t.key;
        location / { return 200 "$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_auto%% ssl;
        ssl_session_cache shared:SSL:1m;
        ssl_session_timeout 1s;
        location / { return 200 "$ssl_session_reused"; }
    }
}`, "DIR", dir))
	name := func(port string) []byte {
		c := &ticketCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		get(t, s.Addr(port), &tls.Config{ClientSessionCache: c}, "/")
		if len(c.tickets) == 0 {
			t.Fatalf("%s: no ticket", port)
		}
		return c.tickets[0][:16]
	}
	if got := name("file"); !bytes.Equal(got, key[:16]) {
		t.Errorf("ticket key name %x, want %x", got, key[:16])
	}
	first := name("auto")
	if again := name("auto"); !bytes.Equal(again, first) {
		t.Errorf("key name changed within the timeout: %x, then %x", first, again)
	}
	time.Sleep(1100 * time.Millisecond)
	if next := name("auto"); bytes.Equal(next, first) {
		t.Errorf("key name %x not rotated after ssl_session_timeout", next)
	}
}
