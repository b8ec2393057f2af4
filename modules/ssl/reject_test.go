package ssl_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// rejectConf: the default server of port 0 rejects handshakes, the named
// one serves (and turns plain HTTP into a page with error_page 497);
// port 1 reads a PROXY protocol header before the handshake.
const rejectConf = `
error_log error.log info;
events {}
http {
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        server_name one.example;
        error_page 497 =200 /plain;
        location / { return 200 "one $ssl_server_name\n"; }
        location /plain { return 200 "plain $scheme [$https] [$ssl_protocol]\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%% ssl proxy_protocol;
        location / { return 200 "pp $proxy_protocol_addr [$ssl_server_name] $https\n"; }
    }
}
`

// TestDifferentialTLSReject: ssl_reject_handshake, error_page 497 and TLS
// after a PROXY protocol header, against Debian's nginx.
func TestDifferentialTLSReject(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	text := strings.ReplaceAll(rejectConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond

	t.Run("SNI of the serving server", func(t *testing.T) {
		nr, sr := compareTLS(t, n.Addr(0), s.Addr("0"), &tls.Config{ServerName: "one.example"}, "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", cmp)
		if nr.err != nil || sr.Resp == nil || string(sr.Resp.Body) != "one one.example\n" {
			t.Errorf("nginx %v; sluice %v", nr.err, sr.Resp)
		}
	})
	for _, name := range []string{"", "other.example"} {
		t.Run("rejected "+name, func(t *testing.T) {
			nr, sr := compareTLS(t, n.Addr(0), s.Addr("0"), &tls.Config{ServerName: name}, "", cmp)
			if nr.err == nil || sr.err == nil {
				t.Fatalf("handshakes: nginx %v, sluice %v; want both refused", nr.err, sr.err)
			}
			if !strings.Contains(sr.err.Error(), "unrecognized name") || !strings.Contains(nr.err.Error(), "unrecognized name") {
				t.Errorf("alerts: nginx %v, sluice %v; want unrecognized name", nr.err, sr.err)
			}
		})
	}
	t.Run("error_page 497", func(t *testing.T) {
		_, sr := oracle.Compare(t, "GET / HTTP/1.0\r\nHost: one.example\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		if sr.Resp == nil || string(sr.Resp.Body) != "plain http [] []\n" {
			t.Errorf("sluice: %v", sr.Resp)
		}
	})
	t.Run("PROXY protocol then TLS", func(t *testing.T) {
		var got [2]string
		for i, addr := range []string{n.Addr(1), s.Addr("1")} {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nc.Write([]byte("PROXY TCP4 192.0.2.1 192.0.2.2 123 443\r\n")); err != nil {
				t.Fatal(err)
			}
			tc := tls.Client(nc, &tls.Config{ServerName: "pp.example", InsecureSkipVerify: true})
			cl := testutil.NewRawClient(tc)
			if err := cl.WriteString("GET / HTTP/1.0\r\nHost: pp.example\r\n\r\n"); err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			resp, err := cl.ReadResponse()
			tc.Close()
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			got[i] = fmt.Sprintf("%d %q", resp.StatusCode, resp.Body)
		}
		if got[0] != got[1] || got[1] != `200 "pp 192.0.2.1 [pp.example] on\n"` {
			t.Errorf("nginx %s, sluice %s", got[0], got[1])
		}
	})
	// the refusals and the plain request, as each logs them
	want := tlsLogLines(n.ErrorLog(), fmt.Sprint(n.Port(0)))
	got := tlsLogLines(s.ErrorLog(), s.Port("0"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error log lines differ\nsluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
