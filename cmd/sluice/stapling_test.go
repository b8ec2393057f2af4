package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/tlsconf/certtest"
)

// warnLines returns the "[warn] ..." messages of a -t run about
// ssl_stapling, with the program name stripped.
func warnLines(out string) []string {
	var w []string
	for l := range strings.SplitSeq(out, "\n") {
		if i := strings.Index(l, "[warn] "); i >= 0 && strings.Contains(l, "ssl_stapling") {
			w = append(w, l[i:])
		}
	}
	return w
}

// TestStaplingWarningsMatchNginx: a certificate whose issuer or responder
// cannot be known is left without stapling, with nginx's warning (sluice
// -t and nginx -t on the same configuration and certificates).
func TestStaplingWarningsMatchNginx(t *testing.T) {
	if _, err := os.Stat(nginxBinary); err != nil {
		t.Fatalf("the nginx oracle is missing (%v): run scripts/test.sh, or apt-get install nginx-core", err)
	}
	dir := t.TempDir()
	ca := certtest.New(t, dir, "ca", certtest.Spec{CN: "ca", CA: true})
	certtest.New(t, dir, "ftp", certtest.Spec{CN: "ftp", Issuer: ca, OCSP: []string{"ftp://127.0.0.1/"}})
	certtest.New(t, dir, "http", certtest.Spec{CN: "http", Issuer: ca, OCSP: []string{"http://127.0.0.1:8081/"}})
	certtest.New(t, dir, "none", certtest.Spec{CN: "none", Issuer: ca})
	cases := []struct{ name, srv string }{
		{"responder not http", "ssl_trusted_certificate DIR/ca.pem; ssl_certificate DIR/ftp.pem; ssl_certificate_key DIR/ftp.key;"},
		{"responder unknown", "ssl_trusted_certificate DIR/ca.pem; ssl_certificate DIR/http.pem; ssl_certificate_key DIR/http.key; ssl_stapling_responder http://no-such-host.invalid/;"},
		{"responder port", "ssl_trusted_certificate DIR/ca.pem; ssl_certificate DIR/http.pem; ssl_certificate_key DIR/http.key; ssl_stapling_responder http://127.0.0.1:99999/;"},
		{"no issuer", "ssl_certificate DIR/http.pem; ssl_certificate_key DIR/http.key;"},
		{"no responder", "ssl_trusted_certificate DIR/ca.pem; ssl_certificate DIR/none.pem; ssl_certificate_key DIR/none.key;"},
		{"good", "ssl_trusted_certificate DIR/ca.pem; ssl_certificate DIR/http.pem; ssl_certificate_key DIR/http.key;"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1 ssl;\n        ssl_stapling on;\n        " +
				strings.ReplaceAll(tc.srv, "DIR", dir) + "\n    }\n}\n"
			conf := filepath.Join(t.TempDir(), "nginx.conf")
			if err := os.WriteFile(conf, []byte(text), 0644); err != nil {
				t.Fatal(err)
			}
			p := filepath.Dir(conf) + "/"
			nout, _ := exec.Command(nginxBinary, "-t", "-p", p, "-c", conf, "-e", filepath.Join(p, "n.log")).CombinedOutput()
			sout, _ := exec.Command(binary, "-t", "-p", p, "-c", conf, "-e", filepath.Join(p, "s.log")).CombinedOutput()
			want, got := warnLines(string(nout)), warnLines(string(sout))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("sluice:\n%s\nnginx:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if (tc.name == "good") != (len(want) == 0) {
				t.Errorf("nginx warned %q", want)
			}
		})
	}
}
