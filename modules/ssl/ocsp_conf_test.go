package ssl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestOCSPConfErrors: the configuration errors of ssl_ocsp, its
// responder and ssl_stapling_file, worded as nginx 1.22 words them.
func TestOCSPConfErrors(t *testing.T) {
	certs := t.TempDir()
	writeCert(t, certs, "one.example", false)
	if err := os.WriteFile(filepath.Join(certs, "bad.der"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := " ssl_verify_client on; ssl_client_certificate CERTS/one.example.pem;"
	cases := []struct {
		name, conf, want string
		nginx            bool // nginx 1.22 says the same
	}{
		{name: "ssl_ocsp", conf: sslServer(pair + verify + " ssl_ocsp on; ssl_ocsp_responder http://127.0.0.1:8081/ocsp; ssl_ocsp_cache shared:OCSP:1m;"), nginx: true},
		{name: "ssl_ocsp without verification", conf: sslServer(pair + " ssl_ocsp leaf;"), nginx: true},
		{name: "ssl_ocsp and optional_no_ca", conf: sslServer(pair + " ssl_verify_client optional_no_ca; ssl_ocsp on;"),
			want: `"ssl_ocsp" is incompatible with "ssl_verify_client optional_no_ca"`, nginx: true},
		{name: "responder not http", conf: sslServer(pair + verify + " ssl_ocsp on; ssl_ocsp_responder https://127.0.0.1/;"),
			want: `invalid URL prefix in OCSP responder "https://127.0.0.1/" in "ssl_ocsp_responder"`, nginx: true},
		{name: "responder port", conf: sslServer(pair + verify + " ssl_ocsp on; ssl_ocsp_responder http://127.0.0.1:99999/;"),
			want: `invalid port in OCSP responder "127.0.0.1:99999/" in "ssl_ocsp_responder"`, nginx: true},
		{name: "responder unknown", conf: sslServer(pair + verify + " ssl_ocsp on; ssl_ocsp_responder http://no-such-host.invalid/;"),
			want: `host not found in OCSP responder "no-such-host.invalid/" in "ssl_ocsp_responder"`, nginx: true},
		{name: "responder without ssl_ocsp", conf: sslServer(pair + " ssl_ocsp_responder ftp://x/;"), nginx: true},
		{name: "stapling file not a response", conf: sslServer(pair + " ssl_stapling on; ssl_stapling_file CERTS/bad.der;"),
			want: `d2i_OCSP_RESPONSE_bio("CERTS/bad.der") failed (SSL: error:0680008E:asn1 encoding routines::not enough data)`, nginx: true},
		{name: "stapling file without stapling", conf: sslServer(pair + " ssl_stapling_file CERTS/bad.der;"), nginx: true},
		{name: "stapling responder not http", conf: sslServer(pair + " ssl_stapling on; ssl_stapling_responder https://x/;"), nginx: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(tc.conf, "CERTS", certs)
			got := strings.ReplaceAll(servertest.LoadError(t, text, nil), certs, "CERTS")
			if got != tc.want {
				t.Errorf("sluice: %q\nwant:   %q", got, tc.want)
			}
			if tc.nginx {
				if n := strings.ReplaceAll(oracle.CheckConfig(t, text).Emerg, certs, "CERTS"); n != tc.want {
					t.Errorf("nginx 1.22 says %q, the case expects %q", n, tc.want)
				}
			}
		})
	}
}
