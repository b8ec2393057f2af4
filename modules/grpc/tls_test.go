package grpc_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

const tlsConf = `
http {
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / {
            grpc_pass grpcs://BACKEND;
            grpc_ssl_server_name on;
            grpc_ssl_name backend.test;
            grpc_ssl_verify on;
            grpc_ssl_trusted_certificate CA;
        }
        location /wrong-name/ {
            grpc_pass grpcs://BACKEND;
            grpc_ssl_name other.test;
            grpc_ssl_verify on;
            grpc_ssl_trusted_certificate CA;
        }
        location /variable/ {
            set $backend grpcs://BACKEND;
            grpc_pass $backend;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%% http2;
        server_name localhost;
        client_max_body_size 0;
        location / {
            grpc_pass grpcs://BACKEND;
        }
    }
}
`

// TestGRPCS: grpc_pass grpcs:// speaks HTTP/2 over TLS (ALPN h2, which
// Go's server needs to answer in HTTP/2), with the grpc_ssl_* directives:
// SNI, the certificate check and its failure; the same answers and log
// lines as nginx.
func TestGRPCS(t *testing.T) {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(goHandler), TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{pair},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			sni = append(sni, h.ServerName)
			mu.Unlock()
			return nil, nil
		}}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	conf := strings.NewReplacer("BACKEND", ln.Addr().String(), "CA", ca.CertFile).Replace(tlsConf)
	n := oracle.Start(t, conf)
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+conf)
	cmp := oracle.DefaultComparison()
	cmp.Trailers = true
	for _, tc := range []struct{ name, req string }{
		{"unary", "POST /helloworld.Greeter/SayHello HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nContent-Length: 8\r\nConnection: close\r\n\r\n\x00\x00\x00\x00\x03tls"},
		{"plain", "GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"wrong name", "GET /wrong-name/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
		{"variable", "GET /variable/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
	// a bidirectional stream: the body and the response share the TLS
	// connection both ways at once
	for _, srv := range []struct{ name, addr string }{{"nginx", n.Addr(1)}, {"sluice", s.Addr("1")}} {
		t.Run("bidi "+srv.name, func(t *testing.T) { pingPong(t, srv.addr, 3<<20) })
	}
	oracle.CompareErrorLogs(t, n.ErrorLog(), s.ErrorLog())
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(sni, ","), "backend.test") {
		t.Errorf("SNI seen: %q", sni)
	}
}
