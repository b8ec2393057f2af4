package ssl_test

import (
	"crypto/tls"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf has two TLS servers on one address, chosen by SNI (one.example
// with an RSA certificate, the default, and two.example with an ECDSA
// one). DIR is where the certificates are.
const diffConf = `
error_log error.log info;
events {}
http {
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        server_name one.example;
        client_header_timeout 500ms;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        location / {
            return 200 "one https=$https scheme=$scheme proto=$ssl_protocol cipher=$ssl_cipher sni=$ssl_server_name reused=$ssl_session_reused alpn=$ssl_alpn_protocol host=$host\n";
        }
        location /groups {
            return 200 "curve=$ssl_curve curves=$ssl_curves ciphers=$ssl_ciphers\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        server_name two.example;
        ssl_certificate DIR/two.example.pem;
        ssl_certificate_key DIR/two.example.key;
        location / {
            return 200 "two sni=$ssl_server_name host=$host scheme=$scheme\n";
        }
    }
}
`

// result is one side's answer over TLS, with the certificate it showed.
type result struct {
	oracle.Result
	cn  string
	err error // the handshake's
}

// tlsExchange sends req over a new TLS connection made with cfg.
func tlsExchange(addr string, cfg *tls.Config, req string, closeWait time.Duration) result {
	var res result
	res.Addr = addr
	tc, err := dialTLS(addr, cfg)
	if err != nil {
		res.err = err
		return res
	}
	defer tc.Close()
	if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
		res.cn = pc[0].Subject.CommonName
	}
	cl := testutil.NewRawClient(tc)
	if err := cl.WriteString(req); err != nil {
		res.Err = err
		return res
	}
	res.Resp, res.Err = cl.ReadResponse()
	if res.Resp != nil && res.Resp.Closed {
		res.Closed = true
	} else if closeWait > 0 {
		res.Closed, _, _ = cl.WaitClosed(closeWait)
	}
	return res
}

// compareTLS runs one exchange against both servers and reports the
// differences, handshake failures and certificates included.
func compareTLS(t *testing.T, nAddr, sAddr string, cfg *tls.Config, req string, cmp oracle.Comparison) (n, s result) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); n = tlsExchange(nAddr, cfg, req, cmp.CloseWait) }()
	go func() { defer wg.Done(); s = tlsExchange(sAddr, cfg, req, cmp.CloseWait) }()
	wg.Wait()
	if (n.err == nil) != (s.err == nil) {
		t.Fatalf("handshake: nginx %v, sluice %v", n.err, s.err)
	}
	if n.err != nil {
		return n, s
	}
	if n.cn != s.cn {
		t.Errorf("certificate: nginx %q, sluice %q", n.cn, s.cn)
	}
	if d := cmp.Diff(n.Result, s.Result); d != "" {
		t.Errorf("answers differ for %q:\n%s", req, d)
	}
	return n, s
}

// TestDifferentialTLS serves the same TLS configuration from Debian's
// nginx and from sluice: requests over TLS, SNI choosing the server and
// its certificate, the TLS variables, plain HTTP sent to the port,
// garbage instead of a ClientHello, a handshake that times out, a client
// that leaves, keepalive and pipelining on one TLS connection; the
// answers and the error log lines must be the same.
func TestDifferentialTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	writeCert(t, dir, "two.example", true)
	text := strings.ReplaceAll(diffConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	nAddr, sAddr := n.Addr(0), s.Addr("0")
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond

	// the Go client offers X25519MLKEM768, which the oracle's OpenSSL 3.0
	// names by number: the groups are chosen so that both name them alike
	base := &tls.Config{CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	with := func(f func(c *tls.Config)) *tls.Config {
		c := base.Clone()
		f(c)
		return c
	}
	cases := []struct {
		name, req string
		cfg       *tls.Config
		cn        string
	}{
		{name: "request over TLS", cfg: with(func(c *tls.Config) { c.ServerName = "one.example" }),
			req: "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "SNI chooses the second server", cfg: with(func(c *tls.Config) { c.ServerName = "two.example" }),
			req: "GET / HTTP/1.0\r\nHost: two.example\r\n\r\n", cn: "two.example"},
		{name: "SNI in upper case", cfg: with(func(c *tls.Config) { c.ServerName = "TWO.example" }),
			req: "GET / HTTP/1.0\r\nHost: two.example\r\n\r\n", cn: "two.example"},
		{name: "no SNI", cfg: base,
			req: "GET / HTTP/1.0\r\nHost: two.example\r\n\r\n", cn: "one.example"},
		{name: "unknown SNI", cfg: with(func(c *tls.Config) { c.ServerName = "three.example" }),
			req: "GET / HTTP/1.0\r\nHost: three.example\r\n\r\n", cn: "one.example"},
		{name: "Host other than SNI", cfg: with(func(c *tls.Config) { c.ServerName = "two.example" }),
			req: "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "two.example"},
		{name: "Host unknown after SNI", cfg: with(func(c *tls.Config) { c.ServerName = "two.example" }),
			req: "GET / HTTP/1.0\r\nHost: three.example\r\n\r\n", cn: "two.example"},
		{name: "no Host after SNI", cfg: with(func(c *tls.Config) { c.ServerName = "two.example" }),
			req: "GET / HTTP/1.0\r\n\r\n", cn: "two.example"},
		{name: "TLS 1.2", cfg: with(func(c *tls.Config) {
			c.ServerName = "one.example"
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
		}), req: "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "TLS 1.2 CBC", cfg: with(func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA}
		}), req: "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "ALPN", cfg: with(func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1"} }),
			req: "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "groups and ciphers offered", cfg: with(func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
		}), req: "GET /groups HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "groups TLS 1.3", cfg: with(func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.CurveP384, tls.X25519} }),
			req: "GET /groups HTTP/1.0\r\nHost: one.example\r\n\r\n", cn: "one.example"},
		{name: "keepalive HTTP/1.1", cfg: base,
			req: "GET / HTTP/1.1\r\nHost: one.example\r\n\r\n", cn: "one.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cmp
			if strings.Contains(tc.req, "HTTP/1.1") {
				c.CloseWait = -1
			}
			nr, sr := compareTLS(t, nAddr, sAddr, tc.cfg, tc.req, c)
			if nr.err != nil {
				t.Fatalf("handshake failed: %v", nr.err)
			}
			if sr.cn != tc.cn {
				t.Errorf("certificate %q, want %q", sr.cn, tc.cn)
			}
			if sr.Resp != nil {
				t.Logf("sluice: %d %q", sr.Resp.StatusCode, sr.Resp.Body)
			}
		})
	}

	t.Run("ALPN without HTTP/1", func(t *testing.T) {
		cfg := with(func(c *tls.Config) { c.NextProtos = []string{"h2"} })
		nr, sr := compareTLS(t, nAddr, sAddr, cfg, "", cmp)
		if nr.err == nil || sr.err == nil {
			t.Errorf("handshakes: nginx %v, sluice %v; want both refused", nr.err, sr.err)
		}
	})

	t.Run("keepalive and pipelining on one connection", func(t *testing.T) {
		var bodies [2][]string
		for i, addr := range []string{nAddr, sAddr} {
			tc, err := dialTLS(addr, with(func(c *tls.Config) { c.ServerName = "two.example" }))
			if err != nil {
				t.Fatal(err)
			}
			cl := testutil.NewRawClient(tc)
			for _, req := range []string{
				"GET /a HTTP/1.1\r\nHost: two.example\r\n\r\n",
				"GET /b HTTP/1.1\r\nHost: one.example\r\n\r\nGET /c HTTP/1.1\r\nHost: two.example\r\nConnection: close\r\n\r\n",
			} {
				if err := cl.WriteString(req); err != nil {
					t.Fatal(err)
				}
				for range strings.Count(req, "GET") {
					resp, err := cl.ReadResponse()
					if err != nil {
						t.Fatalf("%s: %v", addr, err)
					}
					bodies[i] = append(bodies[i], fmt.Sprintf("%d %s %q", resp.StatusCode, resp.Get("Connection"), resp.Body))
				}
			}
			if closed, _, _ := cl.WaitClosed(time.Second); !closed {
				t.Errorf("%s: not closed after Connection: close", addr)
			}
			tc.Close()
		}
		if strings.Join(bodies[0], "\n") != strings.Join(bodies[1], "\n") {
			t.Errorf("answers differ\nnginx:\n%s\nsluice:\n%s", strings.Join(bodies[0], "\n"), strings.Join(bodies[1], "\n"))
		}
		if len(bodies[1]) != 3 {
			t.Errorf("sluice answered %d requests, want 3", len(bodies[1]))
		}
	})

	t.Run("plain HTTP to the TLS port", func(t *testing.T) {
		oracle.Compare(t, "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", nAddr, sAddr, cmp)
		oracle.Compare(t, "GET / HTTP/1.1\r\nHost: two.example\r\n\r\n", nAddr, sAddr, cmp)
	})
	t.Run("garbage instead of a ClientHello", func(t *testing.T) {
		oracle.Compare(t, "\x16GARBAGE GARBAGE\r\n\r\n", nAddr, sAddr, cmp)
	})
	t.Run("handshake times out", func(t *testing.T) {
		for _, addr := range []string{nAddr, sAddr} {
			c := testutil.Dial(t, addr)
			// the start of a record, then nothing
			if err := c.WriteString("\x16\x03\x01"); err != nil {
				t.Fatal(err)
			}
			if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
				t.Errorf("%s: not closed after client_header_timeout", addr)
			}
			c.Close()
		}
	})
	t.Run("nothing sent", func(t *testing.T) {
		for _, addr := range []string{nAddr, sAddr} {
			c := testutil.Dial(t, addr)
			if closed, _, _ := c.WaitClosed(5 * time.Second); !closed {
				t.Errorf("%s: not closed after client_header_timeout", addr)
			}
			c.Close()
		}
	})
	t.Run("client leaves after the handshake", func(t *testing.T) {
		for _, addr := range []string{nAddr, sAddr} {
			tc, err := dialTLS(addr, base)
			if err != nil {
				t.Fatal(err)
			}
			// read the session tickets, then close with close_notify
			tc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			tc.Read(make([]byte, 1))
			tc.Close()
		}
	})
	t.Run("client leaves", func(t *testing.T) {
		for _, addr := range []string{nAddr, sAddr} {
			c := testutil.Dial(t, addr)
			c.Close()
		}
	})

	// the lines of the failures above, connection numbers and ports aside
	// (the servers log them as they close: wait for the last)
	n.WaitErrorLog("client closed connection while SSL handshaking", 5*time.Second)
	waitLog(s, "client closed connection while SSL handshaking")
	want := tlsLogLines(n.ErrorLog(), fmt.Sprint(n.Port(0)))
	got := tlsLogLines(s.ErrorLog(), s.Port("0"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(got, "[info] client closed connection while waiting for request, client: 127.0.0.1, server: 127.0.0.1:PORT") {
		t.Errorf("sluice did not log the client that left after the handshake")
	}
	if len(want) < 6 {
		t.Errorf("nginx logged %d lines, want at least 6:\n%s", len(want), strings.Join(want, "\n"))
	}
}

func waitLog(s *servertest.Server, substr string) {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(s.ErrorLog(), substr) {
			return
		}
	}
}

var tlsLogLine = regexp.MustCompile(`\[(info|error|crit)\] \d+#\d+: \*\d+ (.*(?:SSL|HTTPS|timed out|closed connection|server name).*)`)

// tlsLogLines are the lines about TLS and about connections closed or
// timed out, the port written PORT, sorted: a server logs a failed
// handshake after its alert reached the client, which may have gone on
// to the next case by then.
func tlsLogLines(log, port string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := tlsLogLine.FindStringSubmatch(l); m != nil && !strings.Contains(l, "keepalive connection") {
			out = append(out, "["+m[1]+"] "+strings.ReplaceAll(m[2], ":"+port, ":PORT"))
		}
	}
	slices.Sort(out)
	return out
}
