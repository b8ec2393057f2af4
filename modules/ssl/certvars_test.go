package ssl_test

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// varCertConf names certificates with variables: by the SNI name, by a
// map of it (a name that maps to a missing file), and relative to the
// configuration's directory. DIR is where the certificates are.
const varCertConf = `
error_log error.log info;
events {}
http {
    map $ssl_server_name $pair {
        default      DIR/$ssl_server_name;
        missing.example DIR/none;
        mixed.example   DIR/two.example;
    }
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        server_name one.example;
        ssl_certificate $pair.pem;
        ssl_certificate_key $pair.key;
        location / {
            return 200 "vars sni=$ssl_server_name host=$host\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_0%% ssl;
        server_name two.example;
        location / {
            return 200 "two sni=$ssl_server_name\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_2%% ssl;
        ssl_certificate DIR/one.example.pem;
        ssl_certificate_key DIR/one.example.key;
        ssl_conf_command Certificate DIR/three.example.pem;
        ssl_conf_command PrivateKey DIR/three.example.key;
        location / {
            return 200 "override\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_1%% ssl;
        ssl_certificate DIR/$ssl_server_name.pem;
        ssl_certificate_key DIR/one.example.key;
        location / {
            return 200 "mismatch\n";
        }
    }
}
`

// TestDifferentialCertificateVariables serves certificates named with
// variables from Debian's nginx and from sluice: each handshake loads the
// pair its names evaluate to (the SNI name through a map; a server without
// certificates of its own uses the default server's names, evaluated with
// its SNI name), and a pair that cannot be loaded fails the handshake with
// nginx's error line.
func TestDifferentialCertificateVariables(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	writeCert(t, dir, "two.example", true)
	writeCert(t, dir, "three.example", false)
	text := strings.ReplaceAll(varCertConf, "DIR", dir)
	n := oracle.Start(t, text)
	s := servertest.Start(t, text)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300 * time.Millisecond
	base := &tls.Config{CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	cases := []struct {
		name, sni, port string
		wantCN          string // "" for a failed handshake
	}{
		{name: "by SNI", sni: "one.example", port: "0", wantCN: "one.example"},
		{name: "another SNI name", sni: "three.example", port: "0", wantCN: "three.example"},
		{name: "server without certificates", sni: "two.example", port: "0", wantCN: "two.example"},
		{name: "map to another pair", sni: "mixed.example", port: "0", wantCN: "two.example"},
		{name: "missing file", sni: "missing.example", port: "0"},
		{name: "no SNI", sni: "", port: "0"},
		{name: "key does not match", sni: "three.example", port: "1"},
		{name: "ssl_conf_command Certificate", sni: "one.example", port: "2", wantCN: "three.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base.Clone()
			cfg.ServerName = tc.sni
			i := map[string]int{"0": 0, "1": 1, "2": 2}[tc.port]
			nr, sr := compareTLS(t, n.Addr(i), s.Addr(tc.port), cfg, "GET / HTTP/1.0\r\nHost: "+tc.sni+"\r\n\r\n", cmp)
			if tc.wantCN == "" {
				if sr.err == nil {
					t.Errorf("handshake succeeded with %q; nginx: %v", sr.cn, nr.err)
				}
				return
			}
			if sr.err != nil || sr.cn != tc.wantCN {
				t.Errorf("certificate %q (%v), want %q", sr.cn, sr.err, tc.wantCN)
			}
		})
	}
	// each server logs a failed handshake after its alert reached the
	// client: wait for the three
	for end := time.Now().Add(testutil.DefaultTimeout); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Count(s.ErrorLog(), "cert cb error") >= 3 && strings.Count(n.ErrorLog(), "cert cb error") >= 3 {
			break
		}
	}
	want := errorLines(n.ErrorLog(), strings.NewReplacer(dir, "DIR", n.Addr(0), "PORT0", n.Addr(1), "PORT1"))
	got := errorLines(s.ErrorLog(), strings.NewReplacer(dir, "DIR", s.Addr("0"), "PORT0", s.Addr("1"), "PORT1"))
	if !slices.Equal(want, got) {
		t.Errorf("error lines differ\nnginx:\n%s\nsluice:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// errorLines are the [error] lines and the failed handshakes, without
// time, pid and connection number, rewritten by names (the directory
// and the addresses), sorted.
func errorLines(log string, names *strings.Replacer) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		i := strings.Index(l, "[error] ")
		if j := strings.Index(l, "[info] "); i < 0 && j >= 0 && strings.Contains(l, "SSL_do_handshake") {
			i = j
		}
		if i < 0 {
			continue
		}
		l = l[i:]
		if j := strings.Index(l, ": *"); j >= 0 {
			if k := strings.IndexByte(l[j+3:], ' '); k >= 0 {
				l = l[:strings.IndexByte(l, ' ')+1] + l[j+3+k+1:]
			}
		}
		out = append(out, names.Replace(l))
	}
	slices.Sort(out)
	return out
}
