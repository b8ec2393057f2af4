package proxy_test

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// pki is the certificates of the TLS tests, made at test time.
type pki struct {
	dir string
	// ca signs good (localhost and example.com), revoked and expired;
	// inter is an intermediate of ca that signs chained; other is a CA
	// nobody trusts; self is self-signed; clientCA signs client.
	ca, inter, other, clientCA                                 *certtest.Cert
	good, chained, unknown, self, revoked, expired, client     *certtest.Cert
	caFile, clientCAFile, crlFile, crlMissingFile, otherCAFile string
	// encKey is client's key encrypted with "secret", the second line of
	// pwFile
	encKey, pwFile string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	p := &pki{dir: dir}
	p.ca = certtest.New(t, dir, "ca", certtest.Spec{CN: "test CA", CA: true})
	p.inter = certtest.New(t, dir, "inter", certtest.Spec{CN: "test intermediate", CA: true, Issuer: p.ca})
	p.other = certtest.New(t, dir, "other", certtest.Spec{CN: "other CA", CA: true})
	p.clientCA = certtest.New(t, dir, "clientca", certtest.Spec{CN: "client CA", CA: true})
	names := []string{"localhost", "example.com"}
	p.good = certtest.New(t, dir, "good", certtest.Spec{CN: "localhost", DNS: names, Issuer: p.ca})
	p.chained = certtest.New(t, dir, "chained", certtest.Spec{CN: "localhost", DNS: names, Issuer: p.inter})
	p.unknown = certtest.New(t, dir, "unknown", certtest.Spec{CN: "localhost", DNS: names, Issuer: p.other})
	p.self = certtest.New(t, dir, "self", certtest.Spec{CN: "localhost", DNS: names})
	p.revoked = certtest.New(t, dir, "revoked", certtest.Spec{CN: "localhost", DNS: names, Issuer: p.ca})
	p.expired = certtest.New(t, dir, "expired", certtest.Spec{CN: "localhost", DNS: names, Issuer: p.ca,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	p.client = certtest.New(t, dir, "client", certtest.Spec{CN: "sluice client", Client: true, Issuer: p.clientCA})
	p.encKey = certtest.EncryptedKey(t, p.client, dir, "client-enc", "secret")
	p.pwFile = filepath.Join(dir, "passwords")
	if err := os.WriteFile(p.pwFile, []byte("wrong\nsecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "big"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big", "big.html"), []byte(strings.Repeat("0123456789abcdef", 45000)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.caFile = certtest.Bundle(t, dir, "trusted", p.ca)
	p.otherCAFile = certtest.Bundle(t, dir, "othertrusted", p.other)
	p.clientCAFile = certtest.Bundle(t, dir, "clienttrusted", p.clientCA)
	p.crlFile = certtest.CRLFile(t, dir, "ca", certtest.CRL(t, p.ca, time.Time{}, time.Time{}, p.revoked))
	p.crlMissingFile = certtest.CRLFile(t, dir, "other", certtest.CRL(t, p.other, time.Time{}, time.Time{}))
	return p
}

// backendConf is Debian's nginx serving TLS on several ports, each with a
// certificate of the PKI; every answer tells what the backend saw.
func (p *pki) backendConf() string {
	server := func(port string, cert *certtest.Cert, extra string) string {
		return `
    server {
        listen 127.0.0.1:%%PORT_` + port + `%% ssl;
        server_name localhost;
        ssl_certificate ` + cert.CertFile + `;
        ssl_certificate_key ` + cert.KeyFile + `;
        ` + extra + `
        location / {
            return 200 "uri=$request_uri sni=$ssl_server_name conn=$connection reused=$ssl_session_reused host=$http_host method=$request_method len=$content_length client=$ssl_client_s_dn\n";
        }
        location /big/ { root ` + p.dir + `; }
        location ~ body {
            proxy_set_header X-Body $request_body;
            proxy_pass http://127.0.0.1:%%PORT_9%%;
        }
    }`
	}
	return `
http {
    ssl_session_tickets on;
    ssl_session_cache shared:SSL:1m;
` + server("0", p.good, "") +
		server("1", p.unknown, "") +
		server("2", p.chained, "") +
		server("3", p.revoked, "") +
		server("4", p.good, "ssl_verify_client on; ssl_client_certificate "+p.clientCAFile+";") +
		server("5", p.self, "") +
		server("6", p.expired, "") +
		server("8", p.good, "ssl_protocols TLSv1.3;") + `
    server {
        listen 127.0.0.1:%%PORT_7%%;
        location / { return 200 "plain\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_9%%;
        location / { return 200 "body=$http_x_body\n"; }
    }
}
`
}

// backendPorts names the backend's ports in proxy configurations.
func backendPorts(n *oracle.Nginx, conf string) string {
	for _, name := range []string{"GOOD", "UNKNOWN", "CHAINED", "REVOKED", "CLIENTAUTH", "SELF", "EXPIRED", "PLAIN", "TLS13"} {
		i := map[string]int{"GOOD": 0, "UNKNOWN": 1, "CHAINED": 2, "REVOKED": 3, "CLIENTAUTH": 4, "SELF": 5, "EXPIRED": 6, "PLAIN": 7, "TLS13": 8}[name]
		conf = strings.ReplaceAll(conf, "$"+name, n.Addr(i))
	}
	return conf
}

// sslProxyConf is the server block both proxies run.
func (p *pki) sslProxyConf() string {
	// nginx keeps TLS sessions per peer, shared by every location
	// proxying to it: a session made by a location without verification
	// resumed by one with it keeps its verification result (20); sluice
	// keeps sessions per TLS configuration. Without reuse both verify
	// each handshake.
	return `
        proxy_ssl_session_reuse off;
        proxy_ssl_trusted_certificate ` + p.caFile + `;
        location /good/ { proxy_pass https://$GOOD; }
        location /big/ { proxy_pass https://$GOOD; }
        location /unbuffered/ { proxy_buffering off; proxy_pass https://$GOOD/big/; }
        location /resume/ { proxy_ssl_session_reuse on; proxy_pass https://$GOOD; }
        location /sni/ { proxy_ssl_server_name on; proxy_pass https://$GOOD; }
        location /sniname/ {
            proxy_ssl_server_name on;
            proxy_ssl_name example.com;
            proxy_pass https://$GOOD;
        }
        location /var/ { proxy_pass https://$GOOD$request_uri; }
        location /group/ { proxy_pass https://tlsgroup; }
        location /groupsni/ { proxy_ssl_server_name on; proxy_pass https://tlsgroup; }
        location /tls12/ { proxy_ssl_protocols TLSv1.2; proxy_pass https://$TLS13; }
        location /tls13/ { proxy_ssl_protocols TLSv1.3; proxy_pass https://$TLS13; }
        location /verify/ { proxy_ssl_verify on; proxy_ssl_name localhost; proxy_pass https://$GOOD; }
        location /verifyname/ { proxy_ssl_verify on; proxy_ssl_name wrong.example.org; proxy_pass https://$GOOD; }
        location /verifyip/ { proxy_ssl_verify on; proxy_pass https://$GOOD; }
        location /unknown/ { proxy_ssl_verify on; proxy_ssl_name localhost; proxy_pass https://$UNKNOWN; }
        location /self/ { proxy_ssl_verify on; proxy_ssl_name localhost; proxy_pass https://$SELF; }
        location /expired/ { proxy_ssl_verify on; proxy_ssl_name localhost; proxy_pass https://$EXPIRED; }
        location /depth0/ {
            proxy_ssl_verify on; proxy_ssl_verify_depth 0; proxy_ssl_name localhost;
            proxy_pass https://$CHAINED;
        }
        location /depth1/ {
            proxy_ssl_verify on; proxy_ssl_name localhost;
            proxy_pass https://$CHAINED;
        }
        location /revoked/ {
            proxy_ssl_verify on; proxy_ssl_name localhost; proxy_ssl_crl ` + p.crlFile + `;
            proxy_pass https://$REVOKED;
        }
        location /notrevoked/ {
            proxy_ssl_verify on; proxy_ssl_name localhost; proxy_ssl_crl ` + p.crlFile + `;
            proxy_pass https://$GOOD;
        }
        location /nocrl/ {
            proxy_ssl_verify on; proxy_ssl_name localhost; proxy_ssl_crl ` + p.crlMissingFile + `;
            proxy_pass https://$GOOD;
        }
        location /client/ {
            proxy_ssl_certificate ` + p.client.CertFile + `;
            proxy_ssl_certificate_key ` + p.client.KeyFile + `;
            proxy_pass https://$CLIENTAUTH;
        }
        location /clientvar/ {
            proxy_ssl_certificate ` + p.dir + `/$arg_c.pem;
            proxy_ssl_certificate_key ` + p.dir + `/$arg_c.key;
            proxy_pass https://$CLIENTAUTH;
        }
        location /noclient/ { proxy_pass https://$CLIENTAUTH; }
        location /clientpw/ {
            proxy_ssl_certificate ` + p.client.CertFile + `;
            proxy_ssl_certificate_key ` + p.encKey + `;
            proxy_ssl_password_file ` + p.pwFile + `;
            proxy_pass https://$CLIENTAUTH;
        }
        location /clientempty/ {
            proxy_ssl_certificate $arg_c;
            proxy_ssl_certificate_key $arg_c;
            proxy_pass https://$CLIENTAUTH;
        }
        location /plain/ { proxy_pass https://$PLAIN; }
        location /next/ { proxy_pass https://tlsnext; }
        location /keepalive/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass https://tlskeep;
        }
`
}

func (p *pki) upstreams() string {
	return `
    upstream tlsgroup { server $GOOD; }
    upstream tlsnext { server $PLAIN; server $GOOD; }
    upstream tlskeep { server $GOOD; keepalive 4; }
`
}

// sslPair is Debian's nginx as the TLS backend, and nginx and sluice both
// proxying to it with the same configuration.
type sslPair struct {
	pki              *pki
	backend, ng      *oracle.Nginx
	s                *servertest.Server
	ngAddr, subjAddr string
}

func startSSLPair(t *testing.T) *sslPair {
	t.Helper()
	p := &sslPair{pki: newPKI(t)}
	p.backend = oracle.Start(t, p.pki.backendConf())
	block := func(listen string) string {
		return backendPorts(p.backend, "http {\n"+p.pki.upstreams()+"    server {\n        listen 127.0.0.1:"+listen+
			";\n        server_name localhost;\n"+p.pki.sslProxyConf()+"\n    }\n}\n")
	}
	p.ng = oracle.Start(t, block("%%PORT_0%%"))
	p.s = servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+block("%%PORT_A%%"))
	p.ngAddr, p.subjAddr = p.ng.Addr(0), p.s.Addr("A")
	return p
}

// logLine matches an error log line's level and message.
var logLine = regexp.MustCompile(`^\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$`)

// errorLines returns "[level] message" for the lines of log containing
// substr.
func errorLines(log, substr string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, substr) {
			continue
		}
		if m := logLine.FindStringSubmatch(l); m != nil {
			out = append(out, "["+m[1]+"] "+m[2])
		}
	}
	return out
}

// TestProxySSLDiff sends the same requests to nginx and sluice proxying
// over TLS to Debian's nginx, and compares the answers and the error log
// lines they write.
func TestProxySSLDiff(t *testing.T) {
	testutil.CheckLeaks(t)
	p := startSSLPair(t)
	cases := []struct {
		name string
		req  string
		// body is what the answer's body must contain (both sides)
		body string
		// logs is a text the error log lines of the request contain
		logs string
	}{
		{name: "get", req: get("/good/x?a=1"), body: "uri=/good/x?a=1 sni= "},
		{name: "host header is proxy_host", req: get("/good/h"), body: "host=127.0.0.1:"},
		{name: "post", req: "POST /good/body HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello", body: "body=hello"},
		{name: "big body", req: get("/big/big.html"), body: "0123456789abcdef0123"},
		{name: "big body unbuffered", req: get("/unbuffered/big.html"), body: "0123456789abcdef0123"},
		{name: "sni off by default", req: get("/good/sni"), body: "sni= "},
		{name: "sni of an address is not sent", req: get("/sni/a"), body: "sni= "},
		{name: "sni with proxy_ssl_name", req: get("/sniname/a"), body: "sni=example.com "},
		{name: "variables", req: get("/var/a"), body: "uri=/var/a "},
		{name: "upstream group", req: get("/group/g"), body: "host=tlsgroup "},
		{name: "sni of an upstream group", req: get("/groupsni/g"), body: "sni=tlsgroup "},
		{name: "protocol version alert", req: get("/tls12/a"), logs: "SSL_do_handshake() failed"},
		{name: "protocols in common", req: get("/tls13/a"), body: "uri=/tls13/a "},
		{name: "verify ok", req: get("/verify/v"), body: "uri=/verify/v"},
		{name: "verify name mismatch", req: get("/verifyname/v"), logs: "upstream SSL certificate does not match"},
		{name: "verify ip name", req: get("/verifyip/v"), logs: "upstream SSL certificate does not match"},
		{name: "verify unknown CA", req: get("/unknown/v"), logs: "upstream SSL certificate verify error"},
		{name: "verify self-signed", req: get("/self/v"), logs: "upstream SSL certificate verify error"},
		{name: "verify expired", req: get("/expired/v"), logs: "upstream SSL certificate verify error"},
		{name: "verify depth exceeded", req: get("/depth0/v"), logs: "upstream SSL certificate verify error"},
		{name: "verify depth 1 with an intermediate", req: get("/depth1/v"), body: "uri=/depth1/v"},
		{name: "revoked", req: get("/revoked/v"), logs: "upstream SSL certificate verify error"},
		{name: "not revoked", req: get("/notrevoked/v"), body: "uri=/notrevoked/v"},
		{name: "no CRL for the issuer", req: get("/nocrl/v"), logs: "upstream SSL certificate verify error"},
		{name: "client certificate", req: get("/client/c"), body: "client=CN=sluice client"},
		{name: "client certificate with variables", req: get("/clientvar/c?c=client"), body: "client=CN=sluice client"},
		{name: "no client certificate", req: get("/noclient/c"), body: "400 No required SSL certificate was sent"},
		{name: "client certificate with an encrypted key", req: get("/clientpw/c"), body: "client=CN=sluice client"},
		{name: "client certificate variables empty", req: get("/clientempty/c"), body: "400 No required SSL certificate was sent"},
		{name: "plain backend", req: get("/plain/p"), logs: "SSL_do_handshake() failed"},
		{name: "next upstream after a handshake error", req: get("/next/n"), body: "uri=/next/n", logs: "SSL_do_handshake() failed"},
	}
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1
	cmp.NormalizeBody = func(b []byte) []byte {
		b = oracle.NormalizeServerTokens(b)
		return regexp.MustCompile(`conn=\d+ `).ReplaceAll(b, []byte("conn=N "))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ngLog, suLog := len(p.ng.ErrorLog()), len(p.s.ErrorLog())
			ng, su := oracle.Compare(t, tc.req, p.ngAddr, p.subjAddr, cmp)
			if su.Resp == nil {
				t.Fatalf("sluice: no response: %v", su.Err)
			}
			if tc.body != "" && !strings.Contains(string(su.Resp.Body), tc.body) {
				t.Errorf("sluice's body %q does not contain %q", su.Resp.Body, tc.body)
			}
			if ng.Resp != nil && tc.body != "" && !strings.Contains(string(ng.Resp.Body), tc.body) {
				t.Errorf("nginx's body %q does not contain %q", ng.Resp.Body, tc.body)
			}
			if tc.logs == "" {
				return
			}
			if !p.ng.WaitErrorLog(tc.logs, 5*time.Second) {
				t.Fatalf("nginx logged no %q", tc.logs)
			}
			// nginx logs the line before it answers; so does sluice
			want := errorLines(p.ng.ErrorLog()[ngLog:], tc.logs)
			got := errorLines(p.s.ErrorLog()[suLog:], tc.logs)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("log lines differ\nnginx:  %q\nsluice: %q", want, got)
			}
		})
	}
}

// readBackendConn is a helper for keepalive tests: the conn= number the
// backend reported.
func connOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`conn=(\d+) reused=(\S*)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no conn= in %q", body)
	}
	return m[1] + " " + m[2]
}

// TestProxySSLKeepalive checks that kept-alive TLS connections are reused
// without a new handshake (the backend sees the same connection), and
// that a new connection resumes the TLS session.
func TestProxySSLKeepalive(t *testing.T) {
	testutil.CheckLeaks(t)
	p := startSSLPair(t)
	var conns []string
	for i := 0; i < 3; i++ {
		resp := roundTrip(t, p.s, get("/keepalive/k"))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		conns = append(conns, connOf(t, string(resp.Body)))
	}
	if conns[0] != conns[1] || conns[1] != conns[2] {
		t.Errorf("kept-alive requests went over different connections: %v", conns)
	}
	// plain-text locations of another group never get a TLS connection,
	// and a location without keepalive makes a new connection each time,
	// resuming the session
	a := connOf(t, string(roundTrip(t, p.s, get("/resume/1")).Body))
	b := connOf(t, string(roundTrip(t, p.s, get("/resume/2")).Body))
	if a == b || !strings.HasSuffix(b, " r") {
		t.Errorf("second new connection: %q after %q, want another connection with a reused session (r)", b, a)
	}
}

// TestProxySSLKeepaliveClosed checks that a kept-alive TLS connection the
// backend closed is not used for a request that cannot be retried.
func TestProxySSLKeepaliveClosed(t *testing.T) {
	testutil.CheckLeaks(t)
	pk := newPKI(t)
	backend := oracle.Start(t, `
http {
    keepalive_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_certificate `+pk.good.CertFile+`;
        ssl_certificate_key `+pk.good.KeyFile+`;
        location / { return 200 "conn=$connection reused=$ssl_session_reused\n"; }
    }
}
`)
	s := servertest.Start(t, conf(backend.Addr(0), `
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass https://keep;
        }
    }
    upstream keep { server BACKEND; keepalive 2;`))
	if r := roundTrip(t, s, get("/a")); r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	// the backend closes the idle connection after its keepalive_timeout
	waitClosedByPeer(t, backend)
	r := roundTrip(t, s, "POST /b HTTP/1.0\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx")
	if r.StatusCode != 200 {
		t.Fatalf("POST after the backend closed the idle connection: status %d\n%s", r.StatusCode, s.ErrorLog())
	}
}

// waitClosedByPeer waits until the backend has closed its idle keepalive
// connections (its log says so at info level).
func waitClosedByPeer(t *testing.T, n *oracle.Nginx) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if established(t, n) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling for the backend's close, bounded
	}
	t.Fatal("the backend kept its connections open")
}

// established counts the TCP connections in ESTABLISHED state to the
// backend's port.
func established(t *testing.T, n *oracle.Nginx) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(n.Addr(0))
	count := 0
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		if strings.HasSuffix(strings.ToUpper(f[1]), ":"+portHex(port)) && f[3] == "01" {
			count++
		}
	}
	return count
}

func portHex(port string) string {
	n := 0
	for _, c := range port {
		n = n*10 + int(c-'0')
	}
	const hex = "0123456789ABCDEF"
	return string([]byte{hex[n>>12&15], hex[n>>8&15], hex[n>>4&15], hex[n&15]})
}

// TestProxySSLHandshakeFailures compares nginx and sluice when a backend
// fails the TLS handshake: it stays silent (proxy_connect_timeout bounds
// the handshake: 504), closes, or resets the connection (502), each side
// with its own copy of the scripted backend.
func TestProxySSLHandshakeFailures(t *testing.T) {
	testutil.CheckLeaks(t)
	hello := make(chan struct{}, 2)
	steps := []testutil.Script{
		{testutil.Stall()},
		{testutil.ReadN(1), testutil.Close()},
		{testutil.ReadN(1), testutil.Reset()},
		// the client hello has come: the proxy is handshaking
		{testutil.ReadN(1), notify(hello), testutil.Stall()},
	}
	p := startPair(t, func(i int) testutil.Script {
		if i < len(steps) {
			return steps[i]
		}
		return testutil.Script{testutil.Close()}
	}, `
        location / {
            proxy_connect_timeout 300ms;
            proxy_pass https://BACKEND;
        }
        location /abort {
            proxy_connect_timeout 10s;
            proxy_pass https://BACKEND;
        }
`)
	cases := []struct {
		name   string
		status int
		logs   string
	}{
		{"silent backend", 504, "upstream timed out"},
		{"closed", 502, "peer closed connection in SSL handshake"},
		{"reset", 502, "peer closed connection in SSL handshake"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ngLog, suLog := len(p.ng.ErrorLog()), len(p.s.ErrorLog())
			req := get("/" + strconv.Itoa(i))
			ng := oracle.Exchange(p.ngAddr, []byte(req), oracle.Comparison{CloseWait: -1})
			su := oracle.Exchange(p.subjAddr, []byte(req), oracle.Comparison{CloseWait: -1})
			if ng.Resp == nil || su.Resp == nil {
				t.Fatalf("no response: nginx %v, sluice %v", ng.Err, su.Err)
			}
			if ng.Resp.StatusCode != tc.status || su.Resp.StatusCode != tc.status {
				t.Errorf("status: nginx %d, sluice %d, want %d", ng.Resp.StatusCode, su.Resp.StatusCode, tc.status)
			}
			compareLogs(t, p, ngLog, suLog, tc.logs)
		})
	}
	// the client leaves during the handshake: 499, nothing more to do
	t.Run("client closes during the handshake", func(t *testing.T) {
		ngLog, suLog := len(p.ng.ErrorLog()), len(p.s.ErrorLog())
		for _, addr := range []string{p.ngAddr, p.subjAddr} {
			c := testutil.Dial(t, addr)
			if err := c.WriteString(get("/abort")); err != nil {
				t.Fatal(err)
			}
			await(t, hello, "get a client hello")
			c.Close()
		}
		const logs = "client prematurely closed connection"
		waitLog(t, p.s, logs)
		compareLogs(t, p, ngLog, suLog, logs)
	})
}

// compareLogs compares the error log lines containing substr that nginx
// and sluice wrote after the given offsets, the backends' ports masked.
func compareLogs(t *testing.T, p *pair, ngLog, suLog int, substr string) {
	t.Helper()
	if !p.ng.WaitErrorLog(substr, 5*time.Second) {
		t.Fatalf("nginx logged no %q", substr)
	}
	norm := func(lines []string, b *testutil.Backend) string {
		_, port, _ := net.SplitHostPort(b.Addr())
		return strings.ReplaceAll(strings.Join(lines, "\n"), port, "PORT")
	}
	want := norm(errorLines(p.ng.ErrorLog()[ngLog:], substr), p.nb)
	got := norm(errorLines(p.s.ErrorLog()[suLog:], substr), p.sb)
	if want != got {
		t.Errorf("log lines differ\nnginx:  %q\nsluice: %q", want, got)
	}
}
