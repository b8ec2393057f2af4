package ssl_test

import (
	"crypto/tls"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

const ocspDiffConf = `
error_log error.log info;
events {}
http {
    ssl_certificate DIR/good.pem;
    ssl_certificate_key DIR/good.key;
    ssl_trusted_certificate DIR/trusted.pem;
    add_header X-Verify $ssl_client_verify always;

    server { listen 127.0.0.1:%%PORT_0%% ssl; ssl_stapling on; }
    server {
        listen 127.0.0.1:%%PORT_1%% ssl;
        ssl_stapling on;
        ssl_certificate DIR/revoked.pem;
        ssl_certificate_key DIR/revoked.key;
    }
    server { listen 127.0.0.1:%%PORT_2%% ssl; ssl_stapling on; ssl_stapling_responder RESP/text; }
    server {
        listen 127.0.0.1:%%PORT_3%% ssl;
        ssl_stapling on;
        ssl_stapling_verify on;
        ssl_stapling_responder RESP/root;
    }
    server { listen 127.0.0.1:%%PORT_4%% ssl; ssl_stapling on; ssl_stapling_responder http://REFUSED/; }
    server { listen 127.0.0.1:%%PORT_5%% ssl; ssl_stapling on; ssl_stapling_responder RESP/expired; }
    server { listen 127.0.0.1:%%PORT_6%% ssl; ssl_stapling on; ssl_stapling_verify on; }
    server { listen 127.0.0.1:%%PORT_12%% ssl; ssl_stapling on; ssl_stapling_responder RESP/garbage; }
    server { listen 127.0.0.1:%%PORT_13%% ssl; ssl_stapling on; ssl_stapling_responder RESP/trylater; }
    server { listen 127.0.0.1:%%PORT_14%% ssl; ssl_stapling on; ssl_stapling_responder RESP/404; }
    server { listen 127.0.0.1:%%PORT_15%% ssl; ssl_stapling on; ssl_stapling_responder RESP/unknown; }
    server { listen 127.0.0.1:%%PORT_16%% ssl; ssl_stapling on; ssl_stapling_responder RESP/badheader; }
    server { listen 127.0.0.1:%%PORT_17%% ssl; ssl_stapling on; ssl_stapling_responder RESP/short; }
    server { listen 127.0.0.1:%%PORT_23%% ssl; ssl_stapling on; ssl_stapling_responder RESP/stranger; ssl_stapling_verify on; }
    server { listen 127.0.0.1:%%PORT_22%% ssl; ssl_stapling on; ssl_stapling_responder RESP/other; ssl_stapling_verify on; }
    server {
        listen 127.0.0.1:%%PORT_21%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp leaf;
        ssl_ocsp_responder RESP/other;
    }
    server { listen 127.0.0.1:%%PORT_20%% ssl; ssl_stapling on; ssl_stapling_responder RESP/badsig; }
    server { listen 127.0.0.1:%%PORT_18%% ssl; ssl_stapling on; ssl_stapling_responder RESP/delegated; ssl_stapling_verify on; }

    server {
        listen 127.0.0.1:%%PORT_7%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp leaf;
        location / { return 200 "$ssl_client_verify\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp on;
        resolver DNS;
        location / { return 200 "$ssl_client_verify\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_9%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp on;
    }
    server {
        listen 127.0.0.1:%%PORT_10%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp leaf;
        ssl_ocsp_responder http://REFUSED;
    }
    server {
        listen 127.0.0.1:%%PORT_19%% ssl;
        client_header_timeout 1s;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp leaf;
        ssl_ocsp_responder RESP/stall;
    }
    server {
        listen 127.0.0.1:%%PORT_11%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate DIR/trusted.pem;
        ssl_ocsp leaf;
        ssl_ocsp_responder RESP/root;
    }
}
`

// ocspLine is a log line about OCSP: the level and the message, the
// connection number left out.
var ocspLine = regexp.MustCompile(`\[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*(?:certificate status|OCSP|client SSL certificate verify error|client timed out).*)`)

// ocspLines are a log's lines about OCSP, sorted, each side's listening
// ports written as their placeholder index.
func ocspLines(log string, port func(i int) string) []string {
	var out []string
	for l := range strings.SplitSeq(log, "\n") {
		m := ocspLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		text := m[2]
		for i := range 24 {
			text = strings.ReplaceAll(text, "server: 127.0.0.1:"+port(i), "server: PORT_"+strconv.Itoa(i))
		}
		out = append(out, "["+m[1]+"] "+text)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestDifferentialOCSP serves the same stapling and ssl_ocsp
// configuration, certificates and responder from Debian's nginx and from
// sluice: the same request reaches the responder, the same responses are
// stapled (none for revoked, unreachable, wrongly typed, expired or
// untrusted ones), client certificates get the same answers and
// $ssl_client_verify, and the error logs hold the same lines.
func TestDifferentialOCSP(t *testing.T) {
	testutil.CheckLeaks(t)
	p := newOCSPPKIWithNamedInter(t, newOCSPPKI(t, ""))
	good := p.leaf(t, "good", false, false)
	revoked := p.leaf(t, "revoked", false, false)
	client := p.leaf(t, "client", true, false)
	crevoked := p.leaf(t, "crevoked", true, false)
	p.resp.revoke(revoked)
	p.resp.revoke(crevoked)
	p.resp.delegated = certtest.New(t, p.dir, "responder", certtest.Spec{CN: "responder", OCSPSigning: true, Issuer: p.inter})
	p.resp.other = certtest.New(t, p.dir, "other", certtest.Spec{CN: "other", CA: true})
	p.resp.stranger = certtest.New(t, p.dir, "stranger", certtest.Spec{CN: "stranger", OCSPSigning: true, Issuer: p.resp.other})
	dns := localhostDNS(t)
	refused := testutil.RefusedAddr(t)
	text := p.conf(ocspDiffConf, dns, refused)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	nAddr := func(i int) string { return n.Addr(i) }
	sAddr := func(i int) string { return s.Addr(strconv.Itoa(i)) }

	t.Run("the request", func(t *testing.T) {
		var heads [2][]string
		for side, addr := range []func(int) string{nAddr, sAddr} {
			k := len(p.resp.requests())
			stapleOf(t, addr(0))
			eventually(t, "a staple", func() bool { return stapleOf(t, addr(0)) != nil })
			heads[side] = p.resp.requests()[k:]
		}
		if !slices.Equal(heads[0], heads[1]) {
			t.Fatalf("requests differ:\nnginx  %q\nsluice %q", heads[0], heads[1])
		}
		// the responder signs each answer anew: the staples are alike
		for side, addr := range []func(int) string{nAddr, sAddr} {
			r, err := xocsp.ParseResponseForCert(stapleOf(t, addr(0)), good.Cert, p.inter.Cert)
			if err != nil || r.Status != xocsp.Good {
				t.Errorf("side %d stapled %v %v", side, r, err)
			}
		}
	})

	t.Run("stapling", func(t *testing.T) {
		for _, i := range []int{1, 2, 3, 4, 5, 6, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23} {
			stapleOf(t, nAddr(i))
			stapleOf(t, sAddr(i))
		}
		// a fetch ends with a staple or a line in the log: the server
		// verifying with the intermediate in its chain staples
		for _, i := range []int{6, 18} {
			eventually(t, "staples", func() bool { return stapleOf(t, nAddr(i)) != nil && stapleOf(t, sAddr(i)) != nil })
		}
		eventually(t, "the failures logged", func() bool {
			return len(ocspLines(n.ErrorLog(), func(i int) string { return strconv.Itoa(n.Port(i)) })) >= 11 &&
				len(ocspLines(s.ErrorLog(), func(i int) string { return s.Port(strconv.Itoa(i)) })) >= 11
		})
		for _, i := range []int{1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 20, 22, 23} {
			if b := stapleOf(t, nAddr(i)); b != nil {
				t.Errorf("nginx stapled on %d", i)
			}
			if b := stapleOf(t, sAddr(i)); b != nil {
				t.Errorf("sluice stapled on %d", i)
			}
		}
	})

	t.Run("ssl_ocsp", func(t *testing.T) {
		cases := []struct {
			name string
			port int
			cert tls.Certificate
		}{
			{"good", 7, client.TLSCertificate()},
			{"revoked", 7, crevoked.TLSCertificate()},
			{"chain resolved", 8, client.TLSCertificate()},
			{"chain, no resolver", 9, client.TLSCertificate()},
			{"responder down", 10, client.TLSCertificate()},
			{"signed by the root", 11, client.TLSCertificate()},
			{"signed by another CA", 21, client.TLSCertificate()},
			// the handshake's timer ends the wait for the responder
			{"responder silent", 19, client.TLSCertificate()},
		}
		cmp := oracle.DefaultComparison()
		// every answer here closes the connection: a long wait costs nothing
		cmp.CloseWait = 2 * time.Second
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cfg := &tls.Config{Certificates: []tls.Certificate{tc.cert}}
				nr, sr := compareTLS(t, nAddr(tc.port), sAddr(tc.port), cfg, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", cmp)
				if sr.Resp != nil {
					t.Logf("sluice: %d %s", sr.Resp.StatusCode, sr.Resp.Get("X-Verify"))
				}
				_ = nr
			})
		}
	})

	t.Run("logs", func(t *testing.T) {
		// a line may be written after the response reached the client
		var nl, sl []string
		end := time.Now().Add(testutil.DefaultTimeout)
		for {
			nl = ocspLines(n.ErrorLog(), func(i int) string { return strconv.Itoa(n.Port(i)) })
			sl = ocspLines(s.ErrorLog(), func(i int) string { return s.Port(strconv.Itoa(i)) })
			if slices.Equal(nl, sl) || time.Now().After(end) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !slices.Equal(nl, sl) {
			t.Errorf("OCSP log lines differ:\nnginx:\n  %s\nsluice:\n  %s", strings.Join(nl, "\n  "), strings.Join(sl, "\n  "))
		}
	})
}
