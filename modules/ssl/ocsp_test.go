package ssl_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// stapleOf makes a handshake (Go's client always asks for a stapled
// response) and returns the response stapled, nil for none.
func stapleOf(t *testing.T, addr string) []byte {
	t.Helper()
	tc, err := dialTLS(addr, &tls.Config{ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	defer tc.Close()
	return tc.ConnectionState().OCSPResponse
}

// eventually polls cond until it holds or the test's timeout passes: the
// fetch a handshake starts runs in the background, and nothing tells
// when its response is stapled.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(testutil.DefaultTimeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLogLine waits for the error log to have a line containing each of subs.
func waitLogLine(t *testing.T, s *servertest.Server, subs ...string) string {
	t.Helper()
	var line string
	eventually(t, "a log line with "+strings.Join(subs, ", "), func() bool {
		for l := range strings.SplitSeq(s.ErrorLog(), "\n") {
			ok := true
			for _, sub := range subs {
				ok = ok && strings.Contains(l, sub)
			}
			if ok {
				line = l
				return true
			}
		}
		return false
	})
	return line
}

const staplingConf = `
error_log error.log info;
events {}
http {
    ssl_stapling on;
    ssl_trusted_certificate DIR/trusted.pem;
    ssl_certificate DIR/good.pem;
    ssl_certificate_key DIR/good.key;
    server { listen 127.0.0.1:%%PORT_aia%% ssl; }
    server {
        listen 127.0.0.1:%%PORT_revoked%% ssl;
        ssl_certificate DIR/revoked.pem;
        ssl_certificate_key DIR/revoked.key;
    }
    server { listen 127.0.0.1:%%PORT_down%% ssl; ssl_stapling_responder http://REFUSED/; }
    server { listen 127.0.0.1:%%PORT_text%% ssl; ssl_stapling_responder RESP/text; }
    server { listen 127.0.0.1:%%PORT_expired%% ssl; ssl_stapling_responder RESP/expired; }
    server { listen 127.0.0.1:%%PORT_404%% ssl; ssl_stapling_responder RESP/404; }
    server { listen 127.0.0.1:%%PORT_trylater%% ssl; ssl_stapling_responder RESP/trylater; }
    server { listen 127.0.0.1:%%PORT_root%% ssl; ssl_stapling_responder RESP/root; }
    server {
        listen 127.0.0.1:%%PORT_rootverify%% ssl;
        ssl_stapling_responder RESP/root;
        ssl_stapling_verify on;
    }
    server { listen 127.0.0.1:%%PORT_verify%% ssl; ssl_stapling_verify on; }
    server {
        listen 127.0.0.1:%%PORT_noaia%% ssl;
        ssl_certificate DIR/noaia.pem;
        ssl_certificate_key DIR/noaia.key;
    }
    server {
        listen 127.0.0.1:%%PORT_resolver%% ssl;
        resolver DNS;
        ssl_stapling_responder http://localhost:RPORT/;
    }
    server { listen 127.0.0.1:%%PORT_noresolver%% ssl; ssl_stapling_responder http://localhost:RPORT/; }
    server {
        listen 127.0.0.1:%%PORT_file%% ssl;
        ssl_stapling_file DIR/file.der;
    }
}
`

// TestStapling: responses fetched from the certificate's responder or
// ssl_stapling_responder, through the resolver or without one, stapled
// once fetched (the first handshake goes without); revoked, unreachable,
// refused and unverifiable ones are not stapled, with nginx's log lines.
func TestStapling(t *testing.T) {
	testutil.CheckLeaks(t)
	p := newOCSPPKI(t, "")
	good := p.leaf(t, "good", false, false)
	revoked := p.leaf(t, "revoked", false, false)
	p.leaf(t, "noaia", false, true)
	p.resp.revoke(revoked)
	dns := localhostDNS(t)
	fileDER := p.resp.answer(mustRequest(t, good.Cert, p.inter.Cert), "")
	writeFile(t, p.dir+"/file.der", fileDER)
	conf := p.conf(staplingConf, dns, testutil.RefusedAddr(t))
	s := servertest.Start(t, conf)
	cert := p.dir + "/good.pem"

	stapled := []struct{ port, status string }{
		{"aia", "good"}, {"root", "good"}, {"verify", "good"}, {"resolver", "good"}, {"noresolver", "good"},
	}
	for _, tc := range stapled {
		t.Run("staple "+tc.port, func(t *testing.T) {
			if b := stapleOf(t, s.Addr(tc.port)); b != nil {
				t.Fatalf("first handshake stapled %d bytes", len(b))
			}
			var b []byte
			eventually(t, "a staple", func() bool { b = stapleOf(t, s.Addr(tc.port)); return b != nil })
			r, err := xocsp.ParseResponseForCert(b, good.Cert, nil)
			if err != nil || r.Status != xocsp.Good {
				t.Fatalf("stapled %v %v", r, err)
			}
		})
	}
	if n := dns.Count("localhost", 1); n == 0 {
		t.Errorf("the resolver was not asked")
	}
	waitLogLine(t, s, "[warn]", "no resolver defined to resolve localhost while requesting certificate status, responder: localhost, certificate: \""+cert+"\"")

	failed := []struct {
		port string
		log  []string
	}{
		{"revoked", []string{"[error]", `certificate status "revoked" in the OCSP response while requesting certificate status, responder: 127.0.0.1, peer: 127.0.0.1:` + p.resp.port() + `, certificate: "` + p.dir + `/revoked.pem"`}},
		{"down", []string{"[error]", "recv() failed (111: Connection refused) while requesting certificate status, responder: 127.0.0.1, peer: 127.0.0.1:"}},
		{"text", []string{"[error]", `OCSP responder sent invalid "Content-Type" header: "text/html" while requesting certificate status, responder: 127.0.0.1, peer: 127.0.0.1:` + p.resp.port() + `, certificate: "` + cert + `"`}},
		{"expired", []string{"[error]", "OCSP_check_validity() failed (SSL: error:1380007D:OCSP routines::status expired) while requesting certificate status"}},
		{"trylater", []string{"[error]", "OCSP response not successful (3: trylater) while requesting certificate status"}},
		{"rootverify", []string{"[error]", "OCSP_basic_verify() failed (SSL: error:13800070:OCSP routines::root ca not trusted) while requesting certificate status"}},
		{"404", nil},
	}
	for _, tc := range failed {
		t.Run("no staple "+tc.port, func(t *testing.T) {
			n := len(p.resp.requests())
			if b := stapleOf(t, s.Addr(tc.port)); b != nil {
				t.Fatalf("stapled %d bytes", len(b))
			}
			if tc.log != nil {
				waitLogLine(t, s, tc.log...)
			} else {
				eventually(t, "a request", func() bool { return len(p.resp.requests()) > n })
			}
			// a failure is retried in five minutes, not now
			if b := stapleOf(t, s.Addr(tc.port)); b != nil {
				t.Fatalf("stapled %d bytes", len(b))
			}
		})
	}
	t.Run("file", func(t *testing.T) {
		if b := stapleOf(t, s.Addr("file")); string(b) != string(fileDER) {
			t.Fatalf("stapled %d bytes, want the file's %d", len(b), len(fileDER))
		}
	})
	// one request per fetch: the failures are not retried at once
	if n := len(p.resp.requests()); n > 12 {
		t.Errorf("%d requests to the responder: %q", n, p.resp.requests())
	}
}

// TestStaplingConfig: ssl_stapling_file must hold an OCSP response.
func TestStaplingConfig(t *testing.T) {
	p := newOCSPPKI(t, "")
	p.leaf(t, "good", false, false)
	writeFile(t, p.dir+"/bad.der", []byte("<html>"))
	msg := servertest.LoadError(t, strings.ReplaceAll(`
events {}
http {
    server {
        listen 127.0.0.1:1 ssl;
        ssl_certificate DIR/good.pem;
        ssl_certificate_key DIR/good.key;
        ssl_stapling on;
        ssl_stapling_file DIR/bad.der;
    }
}`, "DIR", p.dir), nil)
	if !strings.Contains(msg, `d2i_OCSP_RESPONSE_bio("`+p.dir+`/bad.der") failed`) {
		t.Fatalf("error %q", msg)
	}
}

const clientOCSPConf = `
error_log error.log info;
events {}
http {
    ssl_certificate DIR/server.pem;
    ssl_certificate_key DIR/server.key;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_client_certificate DIR/trusted.pem;
    add_header X-Verify $ssl_client_verify always;
    server { listen 127.0.0.1:%%PORT_leaf%% ssl; ssl_ocsp leaf; location / { return 200 "$ssl_client_verify"; } }
    server { listen 127.0.0.1:%%PORT_on%% ssl; ssl_ocsp on; resolver DNS; location / { return 200 "$ssl_client_verify"; } }
    server { listen 127.0.0.1:%%PORT_noresolver%% ssl; ssl_ocsp on; }
    server { listen 127.0.0.1:%%PORT_down%% ssl; ssl_ocsp leaf; ssl_ocsp_responder http://REFUSED; }
    server { listen 127.0.0.1:%%PORT_rootsigned%% ssl; ssl_ocsp leaf; ssl_ocsp_responder RESP/root; }
    server { listen 127.0.0.1:%%PORT_text%% ssl; ssl_ocsp leaf; ssl_ocsp_responder RESP/text; }
    server {
        listen 127.0.0.1:%%PORT_cache%% ssl;
        ssl_ocsp leaf;
        ssl_ocsp_cache shared:OCSP:1m;
        location / { return 200 "$ssl_client_verify"; }
    }
}
`

// TestClientOCSP: ssl_ocsp checks the client's certificate (and with
// "on" the intermediate's, its responder's name resolved with the
// resolver) before the request is read; a revoked certificate or a
// failed request is answered 400 with $ssl_client_verify FAILED:... and
// nginx's log lines; the cache answers for a known certificate.
func TestClientOCSP(t *testing.T) {
	testutil.CheckLeaks(t)
	// the intermediate's responder is named, to be resolved
	p := newOCSPPKIWithNamedInter(t, newOCSPPKI(t, ""))
	p.leaf(t, "server", false, true)
	client := p.leaf(t, "client", true, false)
	revoked := p.leaf(t, "crevoked", true, false)
	noAIA := p.leaf(t, "cnoaia", true, true)
	p.resp.revoke(revoked)
	dns := localhostDNS(t)
	refused := testutil.RefusedAddr(t)
	conf := p.conf(clientOCSPConf, dns, refused)
	s := servertest.Start(t, conf)
	rport := p.resp.port()
	cases := []struct {
		name, port string
		cert       tls.Certificate
		status     int
		verify     string
		log        []string
	}{
		{"good leaf", "leaf", client.TLSCertificate(), 200, "SUCCESS", nil},
		{"revoked", "leaf", revoked.TLSCertificate(), 400, "FAILED:certificate revoked",
			[]string{"[info]", "client SSL certificate verify error: certificate revoked while reading client request headers"}},
		{"no responder in the certificate", "leaf", noAIA.TLSCertificate(), 400, "FAILED:certificate status request failed",
			[]string{"[error]", "no OCSP responder URL in certificate while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:" + s.Port("leaf")}},
		{"chain, name resolved", "on", client.TLSCertificate(), 200, "SUCCESS", nil},
		{"chain, no resolver", "noresolver", client.TLSCertificate(), 400, "FAILED:certificate status request failed",
			[]string{"[error]", "no resolver defined to resolve localhost while requesting certificate status, responder: localhost\n"}},
		{"responder down", "down", client.TLSCertificate(), 400, "FAILED:certificate status request failed",
			[]string{"[error]", "recv() failed (111: Connection refused) while requesting certificate status, responder: 127.0.0.1, peer: " + refused + "\n",
				"OCSP responder prematurely closed connection while requesting certificate status, responder: 127.0.0.1, peer: " + refused + "\n"}},
		{"signed by the root", "rootsigned", client.TLSCertificate(), 400, "FAILED:certificate status request failed",
			[]string{"[error]", "OCSP_basic_verify() failed (SSL: error:13800070:OCSP routines::root ca not trusted) while requesting certificate status, responder: 127.0.0.1, peer: 127.0.0.1:" + rport + "\n"}},
		{"bad content type", "text", client.TLSCertificate(), 400, "FAILED:certificate status request failed",
			[]string{"[error]", `OCSP responder sent invalid "Content-Type" header: "text/html" while requesting certificate status`}},
		{"cache store", "cache", client.TLSCertificate(), 200, "SUCCESS", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := get(t, s.Addr(tc.port), &tls.Config{Certificates: []tls.Certificate{tc.cert}}, "/")
			if resp.StatusCode != tc.status || resp.Get("X-Verify") != tc.verify {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, resp.Get("X-Verify"), tc.status, tc.verify)
			}
			if tc.log != nil {
				log := s.ErrorLog()
				for _, sub := range tc.log {
					if !strings.Contains(log, sub) {
						t.Errorf("no %q in the log:\n%s", sub, log)
					}
				}
			}
		})
	}
	if dns.Count("localhost", 1) == 0 {
		t.Errorf("the resolver was not asked")
	}
	// the cache answers for the client's certificate: asks the responder
	// asked times more
	cached := func(t *testing.T, asked int) {
		t.Helper()
		n := len(p.resp.requests())
		resp, _ := get(t, s.Addr("cache"), &tls.Config{Certificates: []tls.Certificate{client.TLSCertificate()}}, "/")
		if resp.StatusCode != 200 || string(resp.Body) != "SUCCESS" {
			t.Fatalf("%d %q", resp.StatusCode, resp.Body)
		}
		if m := len(p.resp.requests()); m != n+asked {
			t.Fatalf("%d requests to the responder, want %d", m-n, asked)
		}
	}
	t.Run("cache lookup", func(t *testing.T) { cached(t, 0) })
	t.Run("cache kept across a reload", func(t *testing.T) {
		s.Reload(conf)
		cached(t, 0)
		// a zone of another size starts empty
		s.Reload(strings.Replace(conf, "shared:OCSP:1m", "shared:OCSP:2m", 1))
		cached(t, 1)
	})
}

// newOCSPPKIWithNamedInter remakes the intermediate with a responder URL
// naming localhost, whose address only the resolver knows at run time.
func newOCSPPKIWithNamedInter(t *testing.T, p *ocspPKI) *ocspPKI {
	p.inter = certtest.New(t, p.dir, "int", certtest.Spec{CN: "int", CA: true, Issuer: p.root,
		OCSP: []string{"http://localhost:" + p.resp.port()}})
	p.resp.cas = []*certtest.Cert{p.inter, p.root}
	certtest.Bundle(t, p.dir, "trusted", p.inter, p.root)
	return p
}
