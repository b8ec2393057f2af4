package ssl_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// resumeConf has servers that share a session cache zone or not, with the
// same certificate or not, with tickets or with sessions kept by the
// server. DIR is where the certificates are.
const resumeConf = `
error_log error.log info;
events {}
http {
    ssl_certificate DIR/one.example.pem;
    ssl_certificate_key DIR/one.example.key;
    ssl_session_cache shared:S:1m;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_1%% ssl;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%% ssl;
        ssl_certificate DIR/two.example.pem;
        ssl_certificate_key DIR/two.example.key;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_3%% ssl;
        ssl_session_cache shared:T:1m;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_4%% ssl;
        ssl_session_cache builtin:100;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_5%% ssl;
        ssl_session_cache none;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_6%% ssl;
        ssl_session_cache none;
        ssl_session_tickets off;
        ssl_conf_command Options SessionTicket;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
}
`

// TestDifferentialResumption resumes TLS 1.3 sessions on Debian's nginx
// and on sluice with the same configuration: a session resumes on
// another server sharing its cache zone and certificate (the zone's
// ticket keys), not on one with another certificate; with tickets off a
// session cache keeps sessions (stateful tickets); without a cache there
// is no resumption.
func TestDifferentialResumption(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	writeCert(t, dir, "two.example", true)
	text := strings.ReplaceAll(resumeConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	cmp := oracle.DefaultComparison()
	cases := []struct {
		name          string
		first, second int
		want          string
		// nginx 1.22's answer when it differs: it keeps ticket keys per
		// server; 1.23.2 moved them into the shared zone, as sluice does
		oracle string
	}{
		{name: "same server", first: 0, second: 0, want: "reused=r"},
		{name: "same zone and certificate", first: 0, second: 1, want: "reused=r", oracle: "reused=."},
		{name: "same zone, other certificate", first: 0, second: 2, want: "reused=."},
		{name: "shared cache without tickets", first: 3, second: 3, want: "reused=r"},
		{name: "other zone", first: 0, second: 3, want: "reused=."},
		{name: "builtin cache without tickets", first: 4, second: 4, want: "reused=r"},
		{name: "no cache, no tickets", first: 5, second: 5, want: "reused=."},
		{name: "tickets by ssl_conf_command", first: 6, second: 6, want: "reused=r"},
	}
	port := func(i int) string { return string(rune('0' + i)) }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// one session cache per server under test, both keyed by the
			// same name so that the session is offered to the second port
			oracleWant := tc.want
			if tc.oracle != "" {
				oracleWant = tc.oracle
			}
			for _, side := range []struct {
				name  string
				addrs [2]string
				want  string
			}{
				{"nginx", [2]string{n.Addr(tc.first), n.Addr(tc.second)}, oracleWant},
				{"sluice", [2]string{s.Addr(port(tc.first)), s.Addr(port(tc.second))}, tc.want},
			} {
				cfg := &tls.Config{
					ServerName:         "localhost",
					MinVersion:         tls.VersionTLS13,
					ClientSessionCache: tls.NewLRUClientSessionCache(4),
					CurvePreferences:   []tls.CurveID{tls.X25519},
				}
				req := "GET / HTTP/1.0\r\n\r\n"
				first := tlsExchange(side.addrs[0], cfg, req, cmp.CloseWait)
				if first.err != nil || first.Err != nil {
					t.Fatalf("%s: first connection: %v %v", side.name, first.err, first.Err)
				}
				second := tlsExchange(side.addrs[1], cfg, req, cmp.CloseWait)
				if second.err != nil || second.Err != nil {
					t.Fatalf("%s: second connection: %v %v", side.name, second.err, second.Err)
				}
				if got := strings.TrimSpace(string(second.Resp.Body)); got != side.want {
					t.Errorf("%s: %q, want %q", side.name, got, side.want)
				}
			}
		})
	}
}
