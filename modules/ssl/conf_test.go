package ssl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/modules/log"
)

// sslServer is a configuration with one "listen ... ssl" server whose
// body is at line 6 (CERTS is the certificates' directory).
func sslServer(body string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1 ssl;\n        server_name a;\n" + body + "\n    }\n}\n"
}

const pair = "ssl_certificate CERTS/one.example.pem; ssl_certificate_key CERTS/one.example.key;"

// TestConfErrors: configuration errors of the ssl directives, worded as
// nginx words them; those whose wording nginx 1.22 shares are checked
// against it too.
func TestConfErrors(t *testing.T) {
	certs := t.TempDir()
	writeCert(t, certs, "one.example", false)
	writeCert(t, certs, "two.example", true)
	if err := os.WriteFile(filepath.Join(certs, "ticket.key"), make([]byte, 48), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certs, "short.key"), make([]byte, 20), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certs, "bad.der"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := " ssl_verify_client on; ssl_client_certificate CERTS/one.example.pem;"
	cases := []struct {
		name, conf, want string
		nginx            bool // nginx 1.22 says the same
	}{
		{name: "good", conf: sslServer(pair), nginx: true},
		{name: "two pairs", conf: sslServer(pair + " ssl_certificate CERTS/two.example.pem; ssl_certificate_key CERTS/two.example.key;"), nginx: true},
		{name: "pair at http level", conf: "events {}\nhttp {\n" + pair + "\n    server { listen 127.0.0.1:1 ssl; }\n}\n", nginx: true},
		{name: "no certificate", conf: sslServer(""),
			want: `no "ssl_certificate" is defined for the "listen ... ssl" directive in FILE:3`, nginx: true},
		{name: "no key", conf: sslServer("ssl_certificate CERTS/one.example.pem;"),
			want: `no "ssl_certificate_key" is defined for certificate "CERTS/one.example.pem"`, nginx: true},
		{name: "missing certificate file", conf: sslServer("ssl_certificate CERTS/none.crt; ssl_certificate_key CERTS/one.example.key;"),
			want: `cannot load certificate "CERTS/none.crt": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CERTS/none.crt, r) error:10000080:BIO routines::no such file)`, nginx: true},
		{name: "certificate is a directory", conf: sslServer("ssl_certificate CERTS; ssl_certificate_key CERTS/one.example.key;"),
			want: `cannot load certificate "CERTS": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`, nginx: true},
		{name: "key is a directory", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key CERTS;"),
			want: `cannot load certificate key "CERTS": PEM_read_bio_PrivateKey() failed (SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM)`, nginx: true},
		{name: "missing key file", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key CERTS/none.key;"),
			want: `cannot load certificate key "CERTS/none.key": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CERTS/none.key, r) error:10000080:BIO routines::no such file)`, nginx: true},
		{name: "missing dhparam file", conf: sslServer(pair + " ssl_dhparam CERTS/none.dh;"),
			want: `BIO_new_file("CERTS/none.dh") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CERTS/none.dh, r) error:10000080:BIO routines::no such file)`, nginx: true},
		{name: "missing stapling file", conf: sslServer(pair + " ssl_stapling on; ssl_stapling_file CERTS/none.der;"),
			want: `BIO_new_file("CERTS/none.der") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CERTS/none.der, rb) error:10000080:BIO routines::no such file)`, nginx: true},
		// OpenSSL store URIs (nginx 1.29; 1.22 takes them for file names)
		{name: "store key", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key store:file:CERTS/one.example.key;")},
		{name: "store key as URL", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key store:file://CERTS/one.example.key;")},
		{name: "store key missing", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key store:file:CERTS/none.key;"),
			want: `cannot load certificate key "store:file:CERTS/none.key": OSSL_STORE_open() failed (2: No such file or directory)`},
		{name: "store of another scheme", conf: sslServer("ssl_certificate CERTS/one.example.pem; ssl_certificate_key store:pkcs11:token=x;"),
			want: `cannot load certificate key "store:pkcs11:token=x": OSSL_STORE_open() failed (sluice reads only "file:" stores)`},
		{name: "conf command unknown", conf: sslServer(pair + " ssl_conf_command Foo bar;"),
			want: `SSL_CONF_cmd("Foo", "bar") failed (SSL: error:0A000182:SSL routines::unknown cmd name:cmd=Foo)`, nginx: true},
		{name: "conf command bad option", conf: sslServer(pair + " ssl_conf_command Options Bogus;"),
			want: `SSL_CONF_cmd("Options", "Bogus") failed (SSL: error:0A000180:SSL routines::bad value:cmd=Options, value=Bogus)`, nginx: true},
		{name: "conf command bad protocol", conf: sslServer(pair + " ssl_conf_command MinProtocol TLSv9;"),
			want: `SSL_CONF_cmd("MinProtocol", "TLSv9") failed (SSL: error:0A000180:SSL routines::bad value:cmd=MinProtocol, value=TLSv9)`, nginx: true},
		{name: "conf command bad group", conf: sslServer(pair + " ssl_conf_command Groups nope;"),
			want: `SSL_CONF_cmd("Groups", "nope") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group 'nope' cannot be set error:0A000180:SSL routines::bad value:cmd=Groups, value=nope)`, nginx: true},
		{name: "conf command bad ciphers", conf: sslServer(pair + " ssl_conf_command CipherString nope;"),
			want: `SSL_CONF_cmd("CipherString", "nope") failed (SSL: error:0A0000B9:SSL routines::no cipher match error:0A000180:SSL routines::bad value:cmd=CipherString, value=nope)`, nginx: true},
		{name: "conf commands", conf: sslServer(pair + " ssl_conf_command Options -SessionTicket,-ServerPreference; ssl_conf_command MaxProtocol TLSv1.2; ssl_conf_command Groups X25519:prime256v1; ssl_conf_command CipherString ECDHE-RSA-AES128-GCM-SHA256;"), nginx: true},
		{name: "key for certificate", conf: sslServer("ssl_certificate CERTS/one.example.key; ssl_certificate_key CERTS/one.example.key;"),
			want: `cannot load certificate "CERTS/one.example.key": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`, nginx: true},
		{name: "bad protocol", conf: sslServer(pair + " ssl_protocols TLSv1.2 TLSv5;"),
			want: `invalid value "TLSv5" in FILE:6`, nginx: true},
		{name: "protocols in any case", conf: sslServer(pair + " ssl_protocols tlsv1.2 TLSV1.3;"), nginx: true},
		{name: "protocols twice", conf: sslServer(pair + " ssl_protocols TLSv1.2 TLSv1.2; ssl_protocols TLSv1.3;"), nginx: true},
		{name: "only protocols Go lacks", conf: sslServer(pair + " ssl_protocols SSLv2 SSLv3;"),
			// nginx accepts it, and no handshake succeeds
			want: `no protocol enabled: SSLv2 and SSLv3 are not supported`},
		{name: "no cipher match", conf: sslServer(pair + " ssl_ciphers FOO;"),
			want: `SSL_CTX_set_cipher_list("FOO") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`, nginx: true},
		{name: "unknown curve", conf: sslServer(pair + " ssl_ecdh_curve foo;"),
			want: `SSL_CTX_set1_curves_list("foo") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group 'foo' cannot be set)`, nginx: true},
		{name: "curves", conf: sslServer(pair + " ssl_ecdh_curve X25519:prime256v1:secp384r1;"), nginx: true},
		{name: "session cache too small", conf: sslServer(pair + " ssl_session_cache shared:x:1k;"),
			want: `session cache "shared:x:1k" is too small in FILE:6`, nginx: true},
		{name: "session cache invalid", conf: sslServer(pair + " ssl_session_cache foo;"),
			want: `invalid session cache "foo" in FILE:6`, nginx: true},
		{name: "session cache", conf: sslServer(pair + " ssl_session_cache builtin:1000 shared:SSL:10m;"), nginx: true},
		{name: "session ticket key", conf: sslServer(pair + " ssl_session_ticket_key CERTS/ticket.key;"), nginx: true},
		{name: "session ticket key size", conf: sslServer(pair + " ssl_session_ticket_key CERTS/short.key;"),
			want: `"CERTS/short.key" must be 48 or 80 bytes in FILE:8`, nginx: true},
		{name: "reject without certificate", conf: sslServer("ssl_reject_handshake on;"), nginx: true},
		{name: "reject, other server without certificate",
			conf: "events {}\nhttp {\n    server { listen 127.0.0.1:1 ssl; ssl_reject_handshake on; }\n    server { listen 127.0.0.1:1 ssl; server_name b; }\n}\n",
			want: `no "ssl_certificate" is defined for the "listen ... ssl" directive in FILE:4`, nginx: true},
		{name: "default with certificate, other without",
			conf: "events {}\nhttp {\n    server { listen 127.0.0.1:1 ssl; " + pair + " }\n    server { listen 127.0.0.1:1 ssl; server_name b; }\n}\n", nginx: true},
		{name: "verify without CA", conf: sslServer(pair + " ssl_verify_client on;"),
			// nginx 1.22 says "no ssl_client_certificate for ssl_verify_client"
			want: `no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client`},
		{name: "password file missing", conf: sslServer(pair + " ssl_password_file CERTS/none;"),
			want: `open() "CERTS/none" failed (2: No such file or directory) in FILE:6`, nginx: true},
		{name: "duplicate buffer size", conf: sslServer(pair + " ssl_buffer_size 4k; ssl_buffer_size 8k;"),
			want: `"ssl_buffer_size" directive is duplicate in FILE:6`, nginx: true},
		{name: "bad flag", conf: sslServer(pair + " ssl_session_tickets maybe;"),
			want: `invalid value "maybe" in "ssl_session_tickets" directive, it must be "on" or "off" in FILE:6`, nginx: true},
		{name: "in location", conf: sslServer("location / { ssl_ciphers HIGH; }"),
			want: `"ssl_ciphers" directive is not allowed here in FILE:6`, nginx: true},
		{name: "crl missing", conf: sslServer(pair + " ssl_crl CERTS/none.crl;"),
			// nginx 1.29's wording (ngx_ssl_crl through its cache); 1.22 said X509_LOOKUP_load_file(...) failed
			want: `cannot load CRL "CERTS/none.crl": BIO_new_file() failed (2: No such file or directory)`},
		{name: "crl without a list", conf: sslServer(pair + " ssl_crl CERTS/one.example.pem;"),
			want: `cannot load CRL "CERTS/one.example.pem": PEM_read_bio_X509_CRL() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: X509 CRL)`},
		{name: "accepted, some with a warning", conf: sslServer(pair + " ssl_stapling on; ssl_stapling_verify on; ssl_early_data on; ssl_conf_command Options PrioritizeChaCha; ssl_prefer_server_ciphers on; ssl_dhparam CERTS/one.example.pem;")},
		{name: "variables", conf: sslServer("ssl_certificate CERTS/$ssl_server_name.pem; ssl_certificate_key CERTS/one.example.key;"),
			nginx: true},
		{name: "no ssl directive", conf: sslServer(pair + " ssl on;"),
			want: `unknown directive "ssl" in FILE:6`},
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

// TestListenSSLWithoutModule: a build without the ssl module refuses
// "listen ... ssl" with nginx's message.
func TestListenSSLWithoutModule(t *testing.T) {
	mods := []*core.Module{httpd.New(log.Module), log.Files}
	got := servertest.LoadError(t, sslServer(""), mods)
	if want := `the "ssl" parameter requires ngx_http_ssl_module in FILE:4`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestRelativeFiles: file names are relative to the configuration's
// directory, as ngx_conf_full_name makes them.
func TestRelativeFiles(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, "one.example", false)
	if got := servertest.LoadErrorIn(t, dir, sslServer("ssl_certificate one.example.pem; ssl_certificate_key one.example.key;"), nil); got != "" {
		t.Errorf("relative names: %q", got)
	}
	want := `cannot load certificate "DIR/none.crt": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(DIR/none.crt, r) error:10000080:BIO routines::no such file)`
	if got := servertest.LoadErrorIn(t, dir, sslServer("ssl_certificate none.crt; ssl_certificate_key one.example.key;"), nil); got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
