package ssl_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// verifyConf: port 0 verifies client certificates optionally, port 1
// requires one; port 2 has two servers, the second verifying, for the
// 421 of a Host other than the handshake's name.
const verifyConf = `
error_log error.log info;
events {}
http {
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    ssl_client_certificate DIR/ca.pem;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_verify_client optional;
        location / {
            return 200 "$ssl_client_verify|$ssl_client_s_dn|$ssl_client_i_dn|$ssl_client_serial|$ssl_client_fingerprint|$ssl_client_v_start|$ssl_client_v_end|$ssl_client_v_remain\n";
        }
        location /raw { return 200 "$ssl_client_escaped_cert|$ssl_client_raw_cert"; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%% ssl;
        ssl_verify_client on;
        location / { return 200 "$ssl_client_verify\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%% ssl;
        server_name open.example;
        location / { return 200 "open\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_3%% ssl;
        ssl_verify_client on;
        ssl_crl DIR/ca.crl;
        location / { return 200 "$ssl_client_verify\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%% ssl;
        server_name closed.example;
        ssl_verify_client optional_no_ca;
        location / { return 200 "closed $ssl_client_verify\n"; }
    }
}
`

// TestDifferentialClientCertificates: ssl_verify_client's answers (495,
// 496, 421), ssl_crl and the $ssl_client_ variables, against Debian's
// nginx.
func TestDifferentialClientCertificates(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	a := certtest.New(t, dir, "ca", certtest.Spec{CN: "ca", Organization: "Sluice Test", CA: true, Serial: 1})
	// a client certificate of the CA (self-signed when issuer is nil),
	// valid from notBefore for a day
	client := func(issuer *certtest.Cert, name string, serial int64, notBefore time.Time) *certtest.Cert {
		return certtest.New(t, dir, name, certtest.Spec{CN: name, Organization: "Clients", Client: true,
			Serial: serial, NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour), Issuer: issuer})
	}
	good := client(a, "client", 0x1234abcd, time.Now().Add(-time.Hour))
	self := client(nil, "selfie", 7, time.Now().Add(-time.Hour))
	expired := client(a, "old", 8, time.Now().Add(-48*time.Hour))
	revoked := client(a, "revoked", 99, time.Now().Add(-time.Hour))
	certtest.CRLFile(t, dir, "ca", certtest.CRL(t, a, time.Time{}, time.Time{}, revoked))
	text := strings.ReplaceAll(verifyConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	withCert := func(cert *certtest.Cert, sni string) *tls.Config {
		c := cert.TLSCertificate()
		return &tls.Config{ServerName: sni, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }}
	}
	none := &tls.Config{}
	cases := []struct {
		name, port, req string
		cfg             *tls.Config
		status          int
	}{
		{"optional, none", "0", "GET / HTTP/1.0\r\n\r\n", none, 200},
		{"optional, good", "0", "GET / HTTP/1.0\r\n\r\n", withCert(good, ""), 200},
		{"optional, good, PEM", "0", "GET /raw HTTP/1.0\r\n\r\n", withCert(good, ""), 200},
		{"optional, self-signed", "0", "GET / HTTP/1.0\r\n\r\n", withCert(self, ""), 400},
		{"optional, expired", "0", "GET / HTTP/1.0\r\n\r\n", withCert(expired, ""), 400},
		{"on, none", "1", "GET / HTTP/1.0\r\n\r\n", none, 400},
		{"on, good", "1", "GET / HTTP/1.0\r\n\r\n", withCert(good, ""), 200},
		{"optional_no_ca, self-signed", "2", "GET / HTTP/1.0\r\nHost: closed.example\r\n\r\n", withCert(self, "closed.example"), 200},
		{"Host other than the verifying SNI", "2", "GET / HTTP/1.0\r\nHost: closed.example\r\n\r\n", withCert(good, "open.example"), 421},
		{"CRL, good", "3", "GET / HTTP/1.0\r\n\r\n", withCert(good, ""), 200},
		{"CRL, revoked", "3", "GET / HTTP/1.0\r\n\r\n", withCert(revoked, ""), 400},
		{"Host of the verifying server without SNI", "2", "GET / HTTP/1.0\r\nHost: closed.example\r\n\r\n", withCert(self, ""), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := map[string]int{"0": 0, "1": 1, "2": 2, "3": 3}[tc.port]
			_, sr := compareTLS(t, n.Addr(port), s.Addr(tc.port), tc.cfg, tc.req, cmp)
			if sr.Resp == nil || sr.Resp.StatusCode != tc.status {
				t.Errorf("sluice: %v, want status %d", sr.Resp, tc.status)
			} else {
				t.Logf("sluice: %d %q", sr.Resp.StatusCode, sr.Resp.Body)
			}
		})
	}
	want := tlsLogLines(n.ErrorLog(), fmt.Sprint(n.Port(0)))
	got := tlsLogLines(s.ErrorLog(), s.Port("0"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
