package cgiup_test

import (
	"crypto/tls"
	"net"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// TestSUWSGI: uwsgi_pass suwsgi:// talks uwsgi over TLS, with the
// uwsgi_ssl_* directives of the framework's TLS family: SNI, the
// certificate check and its failure (nginx's line, 502).
func TestSUWSGI(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	ca := certtest.New(t, dir, "ca", certtest.Spec{CN: "test CA", CA: true})
	leaf := certtest.New(t, dir, "leaf", certtest.Spec{CN: "backend.test", DNS: []string{"backend.test"}, Issuer: ca})
	pair, err := tls.LoadX509KeyPair(leaf.CertFile, leaf.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		sni []string
	)
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sni = append(sni, h.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := testutil.StartBackendOn(t, tls.NewListener(ln, cfg), func(int) testutil.Script {
		return testutil.Script{testutil.ReadUWSGI(), testutil.Write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")}
	})
	s := serveProto(t, "uwsgi", "", `
        location / {
            uwsgi_pass suwsgi://`+b.Addr()+`;
            uwsgi_ssl_server_name on;
            uwsgi_ssl_name backend.test;
            uwsgi_ssl_verify on;
            uwsgi_ssl_trusted_certificate `+ca.CertFile+`;
        }
        location /wrong-name/ {
            uwsgi_pass suwsgi://`+b.Addr()+`;
            uwsgi_ssl_name other.test;
            uwsgi_ssl_verify on;
            uwsgi_ssl_trusted_certificate `+ca.CertFile+`;
        }
        location /plain/ {
            uwsgi_pass `+b.Addr()+`;
        }`)
	if r := testutil.RoundTrip(t, s.Addr("A"), "GET / HTTP/1.0\r\n\r\n"); r.StatusCode != 200 || string(r.Body) != "secret" {
		t.Fatalf("over TLS: %s", r)
	}
	mu.Lock()
	if len(sni) == 0 || sni[0] != "backend.test" {
		t.Errorf("SNI %q", sni)
	}
	mu.Unlock()
	if r := testutil.RoundTrip(t, s.Addr("A"), "GET /wrong-name/ HTTP/1.0\r\n\r\n"); r.StatusCode != 502 {
		t.Fatalf("wrong name: %s", r)
	}
	s.WaitErrorLog(t, `upstream SSL certificate does not match "other.test" while SSL handshaking to upstream`)
	if r := testutil.RoundTrip(t, s.Addr("A"), "GET /plain/ HTTP/1.0\r\n\r\n"); r.StatusCode != 502 {
		t.Fatalf("plain uwsgi to a TLS server: %s", r)
	}
}
