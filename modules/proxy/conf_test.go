package proxy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/modules"
)

// loc puts location-level text in "location /p/ { ... }" at line 5.
func loc(text string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location /p/ { " + text + " }\n    }\n}\n"
}

// srv puts server-level text at line 5.
func srv(text string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        " + text + "\n    }\n}\n"
}

const uriPartErr = `"proxy_pass" cannot have URI part in location given by regular expression, ` +
	`or inside named location, or inside "if" statement, or inside "limit_except" block in FILE:5`

// confErrorCases are configurations sluice rejects with nginx's message.
var confErrorCases = []struct {
	name, conf, want string
	// sluiceOnly marks cases nginx 1.22 cannot check (the oracle has TLS,
	// sluice has not yet; RE2 wording).
	sluiceOnly bool
}{
	{name: "uri part in regex location", conf: srv(`location ~ ^/x { proxy_pass http://127.0.0.1:1/y; }`), want: uriPartErr},
	{name: "uri part in named location", conf: srv(`location @n { proxy_pass http://127.0.0.1:1/y; }`), want: uriPartErr},
	{name: "uri part in if", conf: loc(`if ($arg_a) { proxy_pass http://127.0.0.1:1/y; }`), want: uriPartErr},
	{name: "uri part in limit_except", conf: loc(`limit_except GET { proxy_pass http://127.0.0.1:1/y; }`), want: uriPartErr},
	{name: "duplicate", conf: loc(`proxy_pass http://127.0.0.1:1; proxy_pass http://127.0.0.1:2;`), want: `"proxy_pass" directive is duplicate in FILE:5`},
	{name: "duplicate with variables", conf: loc(`proxy_pass http://$host; proxy_pass http://127.0.0.1:2;`), want: `"proxy_pass" directive is duplicate in FILE:5`},
	{name: "invalid prefix", conf: loc(`proxy_pass ftp://127.0.0.1;`), want: `invalid URL prefix in FILE:5`},
	{name: "no prefix", conf: loc(`proxy_pass 127.0.0.1;`), want: `invalid URL prefix in FILE:5`},
	{name: "invalid port", conf: loc(`proxy_pass http://127.0.0.1:x/;`), want: `invalid port in upstream "127.0.0.1:x/" in FILE:5`},
	{name: "port zero", conf: loc(`proxy_pass http://127.0.0.1:0;`), want: `invalid port in upstream "127.0.0.1:0" in FILE:5`},
	{name: "no host", conf: loc(`proxy_pass http://:80;`), want: `no host in upstream ":80" in FILE:5`},
	{name: "unknown host", conf: loc(`proxy_pass http://nonexistent.invalid;`), want: `host not found in upstream "nonexistent.invalid" in FILE:5`},
	{name: "empty unix path", conf: loc(`proxy_pass http://unix:;`), want: `no path in the unix domain socket in upstream "unix:" in FILE:5`},
	{name: "pass at server level", conf: srv(`proxy_pass http://127.0.0.1;`), want: `"proxy_pass" directive is not allowed here in FILE:5`},
	{name: "pass arity", conf: loc(`proxy_pass;`), want: `invalid number of arguments in "proxy_pass" directive in FILE:5`},
	{name: "redirect default first", conf: loc(`proxy_redirect default; proxy_pass http://127.0.0.1:1;`),
		want: `"proxy_redirect default" should be placed after the "proxy_pass" directive in FILE:5`},
	{name: "redirect default with variables", conf: loc(`proxy_pass http://$host; proxy_redirect default;`),
		want: `"proxy_redirect default" cannot be used with "proxy_pass" directive with variables in FILE:5`},
	{name: "redirect default at server level", conf: srv(`proxy_redirect default;`),
		want: `"proxy_redirect default" should be placed after the "proxy_pass" directive in FILE:5`},
	{name: "redirect off twice", conf: loc(`proxy_redirect off; proxy_redirect off;`), want: `"proxy_redirect" directive is duplicate in FILE:5`},
	{name: "redirect after off", conf: loc(`proxy_redirect off; proxy_redirect / /x/;`), want: `"proxy_redirect" directive is duplicate in FILE:5`},
	{name: "off after redirect", conf: loc(`proxy_redirect / /x/; proxy_redirect off;`), want: `"proxy_redirect" directive is duplicate in FILE:5`},
	{name: "redirect bad parameter", conf: loc(`proxy_redirect on;`), want: `invalid parameter "on" in FILE:5`},
	{name: "redirect arity", conf: loc(`proxy_redirect a b c;`), want: `invalid number of arguments in "proxy_redirect" directive in FILE:5`},
	{name: "redirect bad variable", conf: loc(`proxy_redirect /a $;`), want: `invalid variable name in FILE:5`},
	{name: "redirect unknown variable", conf: loc(`proxy_redirect /a $nosuch;`), want: `unknown "nosuch" variable`},
	{name: "cookie domain bad parameter", conf: loc(`proxy_cookie_domain on;`), want: `invalid parameter "on" in FILE:5`},
	{name: "cookie domain off twice", conf: loc(`proxy_cookie_domain off; proxy_cookie_domain off;`), want: `"proxy_cookie_domain" directive is duplicate in FILE:5`},
	{name: "cookie domain after off", conf: loc(`proxy_cookie_domain off; proxy_cookie_domain a b;`), want: `"proxy_cookie_domain" directive is duplicate in FILE:5`},
	{name: "cookie path off after rule", conf: loc(`proxy_cookie_path /a /b; proxy_cookie_path off;`), want: `"proxy_cookie_path" directive is duplicate in FILE:5`},
	{name: "cookie path bad parameter", conf: loc(`proxy_cookie_path /a;`), want: `invalid parameter "/a" in FILE:5`},
	{name: "cookie flags bad parameter", conf: loc(`proxy_cookie_flags one;`), want: `invalid parameter "one" in FILE:5`},
	{name: "cookie flags off twice", conf: loc(`proxy_cookie_flags off; proxy_cookie_flags off;`), want: `"proxy_cookie_flags" directive is duplicate in FILE:5`},
	{name: "cookie flags arity", conf: loc(`proxy_cookie_flags a b c d e;`), want: `invalid number of arguments in "proxy_cookie_flags" directive in FILE:5`},
	{name: "http version", conf: loc(`proxy_http_version 2.0;`), want: `invalid value "2.0" in FILE:5`},
	{name: "http version duplicate", conf: loc(`proxy_http_version 1.0; proxy_http_version 1.1;`), want: `"proxy_http_version" directive is duplicate in FILE:5`},
	{name: "set body duplicate", conf: loc(`proxy_set_body a; proxy_set_body b;`), want: `"proxy_set_body" directive is duplicate in FILE:5`},
	{name: "method duplicate", conf: loc(`proxy_method GET; proxy_method POST;`), want: `"proxy_method" directive is duplicate in FILE:5`},
	{name: "set header arity", conf: loc(`proxy_set_header X;`), want: `invalid number of arguments in "proxy_set_header" directive in FILE:5`},
	{name: "set header unknown variable", conf: loc(`proxy_set_header X $nosuch;`), want: `unknown "nosuch" variable`},
	{name: "cache zone unknown", conf: loc(`proxy_cache one;`), want: `"proxy_cache" zone "one" is unknown in FILE:7`, sluiceOnly: true},
	{name: "ssl verify without trusted certificates", conf: loc(`proxy_ssl_verify on; proxy_pass https://127.0.0.1:1;`), want: `no proxy_ssl_trusted_certificate for proxy_ssl_verify`},
	{name: "ssl certificate without key", conf: loc(`proxy_ssl_certificate c.pem; proxy_pass https://127.0.0.1:1;`), want: `no "proxy_ssl_certificate_key" is defined for certificate "c.pem"`},
	{name: "ssl certificate with variables without key", conf: loc(`proxy_ssl_certificate $arg_c; proxy_pass https://127.0.0.1:1;`), want: `no "proxy_ssl_certificate_key" is defined for certificate "$arg_c"`},
	{name: "ssl protocols invalid", conf: loc(`proxy_ssl_protocols TLSv1.2 TLSv1.4;`), want: `invalid value "TLSv1.4" in FILE:5`},
	{name: "ssl verify depth", conf: loc(`proxy_ssl_verify_depth x;`), want: `"proxy_ssl_verify_depth" directive invalid number in FILE:5`},
	{name: "ssl verify flag", conf: loc(`proxy_ssl_verify yes;`), want: `invalid value "yes" in "proxy_ssl_verify" directive, it must be "on" or "off" in FILE:5`},
	{name: "ssl name duplicate", conf: loc(`proxy_ssl_name a; proxy_ssl_name b;`), want: `"proxy_ssl_name" directive is duplicate in FILE:5`},
	{name: "ssl name unknown variable", conf: loc(`proxy_ssl_name $nosuch;`), want: `unknown "nosuch" variable`},
	{name: "ssl password file missing", conf: loc(`proxy_ssl_password_file /nonexistent/pw;`), want: `open() "/nonexistent/pw" failed (2: No such file or directory) in FILE:5`},
	{name: "ssl ciphers", conf: loc(`proxy_ssl_ciphers NOPE; proxy_pass https://127.0.0.1:1;`), want: `SSL_CTX_set_cipher_list("NOPE") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`},
	{name: "ssl conf command", conf: loc(`proxy_ssl_conf_command Options PrioritizeChaCha;`),
		want: `"proxy_ssl_conf_command" is not supported: sluice uses Go's crypto/tls, which has no OpenSSL configuration commands ("Options") in FILE:5`, sluiceOnly: true},
}

func loadConf(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = core.Load(o, modules.All(), nil, nil, nil); err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), path, "FILE")
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != tc.want {
				t.Errorf("error\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestConfAccepted loads configurations that must work.
func TestConfAccepted(t *testing.T) {
	tests := []struct{ name, conf string }{
		{"pass with uri", loc(`proxy_pass http://127.0.0.1:1/x/;`)},
		{"pass to a unix socket", loc(`proxy_pass http://unix:/tmp/x.sock:/uri;`)},
		{"pass with variables", loc(`proxy_pass http://$host$request_uri;`)},
		{"ssl protocols in any case", loc(`proxy_ssl_protocols tlsv1.2 TLSv1.2 TLSV1.3; proxy_pass https://127.0.0.1:1;`)},
		{"ssl protocols twice", loc(`proxy_ssl_protocols TLSv1.2; proxy_ssl_protocols TLSv1.3; proxy_pass https://127.0.0.1:1;`)},
		{"pass over TLS", loc(`proxy_pass https://127.0.0.1:1/x/;`)},
		{"pass over TLS with variables", loc(`proxy_pass https://$host$request_uri;`)},
		{"ssl directives", loc(`proxy_pass https://127.0.0.1:1; proxy_ssl_server_name on; proxy_ssl_name $host; proxy_ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; proxy_ssl_ciphers HIGH:!aNULL:!MD5; proxy_ssl_session_reuse off; proxy_ssl_verify off; proxy_ssl_verify_depth 3; proxy_ssl_certificate $arg_c; proxy_ssl_certificate_key $arg_k;`)},
		{"ssl directives at http level, pass in a location", "events {}\nhttp {\n    proxy_ssl_server_name on;\n    server {\n        listen 127.0.0.1:1;\n        location / { proxy_pass https://127.0.0.1:1; }\n        location /b { proxy_pass https://127.0.0.1:2; }\n    }\n}\n"},
		{"pass in if without uri", loc(`if ($arg_a) { proxy_pass http://127.0.0.1:1; }`)},
		{"pass in limit_except", loc(`limit_except GET { proxy_pass http://127.0.0.1:1; }`)},
		{"pass in regex location", srv(`location ~ ^/x { proxy_pass http://127.0.0.1:1; }`)},
		{"pass to a group declared later", "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / { proxy_pass http://u/x; }\n    }\n    upstream u { server 127.0.0.1:1; }\n}\n"},
		{"every redirect form", loc(`proxy_pass http://127.0.0.1:1/; proxy_redirect default; proxy_redirect http://a/ /b/; proxy_redirect ~^http://(c)/(.*)$ /$1/$2; proxy_redirect ~*^X /y; proxy_redirect $scheme://x/ /z/;`)},
		{"cookie rules", loc(`proxy_cookie_domain .a.example .b.example; proxy_cookie_domain ~\.c$ d; proxy_cookie_path /a/ /b/; proxy_cookie_path ~*^/c(.*) /d$1; proxy_cookie_flags one secure httponly samesite=lax; proxy_cookie_flags ~^t nosecure $arg_f;`)},
		{"headers", loc(`proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header Accept-Encoding ""; proxy_headers_hash_max_size 1024; proxy_headers_hash_bucket_size 128;`)},
		{"shared family", loc(`proxy_buffering off; proxy_request_buffering off; proxy_buffers 4 8k; proxy_buffer_size 8k; proxy_busy_buffers_size 16k; proxy_temp_file_write_size 16k; proxy_max_temp_file_size 0; proxy_connect_timeout 1s; proxy_read_timeout 1s; proxy_send_timeout 1s; proxy_next_upstream error timeout http_502; proxy_next_upstream_tries 2; proxy_next_upstream_timeout 3s; proxy_hide_header X-A; proxy_pass_header Server; proxy_ignore_headers X-Accel-Redirect; proxy_intercept_errors on; proxy_pass_trailers on; proxy_store on; proxy_store_access user:rw group:r; proxy_limit_rate 1k; proxy_bind 127.0.0.1; proxy_socket_keepalive on; proxy_ignore_client_abort on; proxy_force_ranges on; proxy_pass_request_headers off; proxy_pass_request_body off; proxy_method HEAD; proxy_http_version 1.1; proxy_set_body x;`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != "" {
				t.Errorf("error %q", got)
			}
		})
	}
}

// TestConfErrorsMatchNginx runs Debian's nginx -t on the same
// configurations and requires the message sluice gives.
func TestConfErrorsMatchNginx(t *testing.T) {
	const nginx = "/usr/sbin/nginx"
	if _, err := os.Stat(nginx); err != nil {
		t.Fatalf("the nginx oracle is missing (%v): apt-get install nginx-core", err)
	}
	for _, tc := range confErrorCases {
		if tc.sluiceOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(path, []byte(tc.conf), 0644); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command(nginx, "-t", "-q", "-p", dir+"/", "-c", path, "-e", filepath.Join(dir, "n.log")).CombinedOutput()
			var got string
			for _, l := range strings.Split(string(out), "\n") {
				if i := strings.Index(l, "[emerg] "); i >= 0 {
					got = strings.ReplaceAll(l[i+len("[emerg] "):], path, "FILE")
					break
				}
			}
			if got != tc.want {
				t.Errorf("nginx says %q, sluice wants %q\n(%s)", got, tc.want, out)
			}
		})
	}
}
