package cgiup_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// inServer puts statements at line 4 of a configuration, at server level.
func inServer(stmts string) string {
	return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n"
}

// TestConfErrors checks nginx's wording for scgi and uwsgi: each
// configuration is also given to Debian's "nginx -t", which must say the
// same. PFX_ is the module's prefix.
func TestConfErrors(t *testing.T) {
	loc := func(s string) string { return inServer("location / { " + s + " }") }
	common := []struct {
		name, conf, want string
	}{
		{"duplicate pass", loc(`PFX_pass 127.0.0.1:1; PFX_pass 127.0.0.1:2;`), `"PFX_pass" directive is duplicate in FILE:4`},
		{"duplicate pass with variables", loc(`PFX_pass $arg_a; PFX_pass 127.0.0.1:2;`), `"PFX_pass" directive is duplicate in FILE:4`},
		{"pass at server level", inServer(`PFX_pass 127.0.0.1:1;`), `"PFX_pass" directive is not allowed here in FILE:4`},
		{"pass without argument", loc(`PFX_pass;`), `invalid number of arguments in "PFX_pass" directive in FILE:4`},
		{"no port", loc(`PFX_pass 127.0.0.1;`), `no port in upstream "127.0.0.1" in FILE:4`},
		{"invalid port", loc(`PFX_pass 127.0.0.1:abc;`), `invalid port in upstream "127.0.0.1:abc" in FILE:4`},
		{"unix without path", loc(`PFX_pass unix:;`), `no path in the unix domain socket in upstream "unix:" in FILE:4`},
		{"param with one argument", loc(`PFX_param A;`), `invalid number of arguments in "PFX_param" directive in FILE:4`},
		{"param bad flag", loc(`PFX_param A b c;`), `invalid parameter "c" in FILE:4`},
		{"next_upstream value", loc(`PFX_next_upstream bogus;`), `invalid value "bogus" in FILE:4`},
		{"buffers", loc(`PFX_buffers 1 4k;`), `there must be at least 2 "PFX_buffers" in FILE:6`},
		{"busy buffers", loc(`PFX_busy_buffers_size 1k;`), `"PFX_busy_buffers_size" must be equal to or greater than the maximum of the value of "PFX_buffer_size" and one of the "PFX_buffers" in FILE:6`},
		{"next_upstream http_502", loc(`PFX_next_upstream http_502;`), `invalid value "http_502" in FILE:4`},
		{"cache_use_stale http_504", loc(`PFX_cache_use_stale http_504;`), `invalid value "http_504" in FILE:4`},
		{"cache unknown zone", loc(`PFX_cache z; PFX_cache_key $uri;`), `"PFX_cache" zone "z" is unknown in FILE:6`},
		{"no send_lowat", loc(`PFX_send_lowat 1;`), `unknown directive "PFX_send_lowat" in FILE:4`},
		{"no pass_trailers", loc(`PFX_pass_trailers on;`), `unknown directive "PFX_pass_trailers" in FILE:4`},
		{"no cache_convert_head", loc(`PFX_cache_convert_head on;`), `unknown directive "PFX_cache_convert_head" in FILE:4`},
		{"valid", loc(`PFX_pass 127.0.0.1:1; PFX_param A $uri if_not_empty; PFX_param B "";
			PFX_connect_timeout 1s; PFX_send_timeout 1s; PFX_read_timeout 1s; PFX_buffer_size 8k; PFX_buffers 4 8k;
			PFX_busy_buffers_size 16k; PFX_temp_file_write_size 16k; PFX_max_temp_file_size 0; PFX_buffering off;
			PFX_request_buffering off; PFX_pass_request_headers off; PFX_pass_request_body off; PFX_ignore_client_abort on;
			PFX_intercept_errors on; PFX_force_ranges on; PFX_socket_keepalive on; PFX_hide_header X; PFX_pass_header Y;
			PFX_ignore_headers Expires; PFX_limit_rate 1k; PFX_bind 127.0.0.1; PFX_next_upstream error http_503 non_idempotent updating;
			PFX_next_upstream_tries 2; PFX_next_upstream_timeout 1s;`), ``},
		{"valid cache", "events {}\nhttp {\n    PFX_cache_path cache keys_zone=z:1m;\n    server { location / { PFX_cache z; PFX_cache_key $uri; PFX_cache_valid 200 1m; PFX_pass 127.0.0.1:1; } }\n}\n", ``},
		{"store and cache", "events {}\nhttp {\n    PFX_cache_path cache keys_zone=z:1m;\n    server { location / { PFX_cache z; PFX_store on; } }\n}\n", `"PFX_store" directive is incompatible with "PFX_cache" in FILE:4`},
		{"cache and store", "events {}\nhttp {\n    PFX_cache_path cache keys_zone=z:1m;\n    server { location / { PFX_store on; PFX_cache z; } }\n}\n", `"PFX_cache" directive is incompatible with "PFX_store" in FILE:4`},
		{"store access", loc(`PFX_store_access user:rwx;`), `invalid value "user:rwx" in FILE:4`},
		{"valid store", loc(`PFX_store /data$uri; PFX_store_access user:rw group:rw all:r; PFX_pass 127.0.0.1:1;`), ``},
		{"valid unix", loc(`PFX_pass unix:/tmp/x.sock;`), ``},
		{"valid group", "events {}\nhttp {\n    upstream u { server 127.0.0.1:1; }\n    server { location / { PFX_pass u; } }\n}\n", ``},
		{"valid in if", inServer(`location / { if ($arg_a) { PFX_pass 127.0.0.1:1; } }`), ``},
	}
	uwsgiOnly := []struct {
		name, conf, want string
	}{
		{"modifier too big", loc(`uwsgi_modifier1 256;`), `value must be between 0 and 255 in FILE:4`},
		{"modifier not a number", loc(`uwsgi_modifier2 x;`), `"uwsgi_modifier2" directive invalid number in FILE:4`},
		{"scheme", loc(`uwsgi_pass uwsgi://127.0.0.1:1;`), ``},
		{"tls scheme", loc(`uwsgi_pass suwsgi://127.0.0.1:1;`), ``},
		{"verify without trusted", loc(`uwsgi_ssl_verify on; uwsgi_pass suwsgi://127.0.0.1:1;`), `no uwsgi_ssl_trusted_certificate for uwsgi_ssl_verify`},
		{"verify over plain uwsgi", loc(`uwsgi_ssl_verify on; uwsgi_pass 127.0.0.1:1;`), ``},
		{"certificate without key", loc(`uwsgi_ssl_certificate c.pem; uwsgi_pass suwsgi://127.0.0.1:1;`), `no "uwsgi_ssl_certificate_key" is defined for certificate "c.pem"`},
		{"valid modifiers", loc(`uwsgi_modifier1 30; uwsgi_modifier2 255; uwsgi_string x; uwsgi_pass 127.0.0.1:1;`), ``},
	}
	scgiOnly := []struct {
		name, conf, want string
	}{
		{"no scheme", loc(`scgi_pass scgi://127.0.0.1:1;`), `invalid host in upstream "scgi://127.0.0.1:1" in FILE:4`},
		{"no ssl", loc(`scgi_ssl_verify on;`), `unknown directive "scgi_ssl_verify" in FILE:4`},
		{"no modifier", loc(`scgi_modifier1 1;`), `unknown directive "scgi_modifier1" in FILE:4`},
	}
	check := func(t *testing.T, conf, want string) {
		t.Helper()
		if got := servertest.LoadError(t, conf, nil); got != want {
			t.Errorf("sluice:\n%s\nwant\n%s", got, want)
		}
		if n := oracle.CheckConfig(t, conf).Emerg; n != want {
			t.Errorf("nginx:\n%s\nwant\n%s", n, want)
		}
	}
	for _, proto := range []string{"scgi", "uwsgi"} {
		for _, tc := range common {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				r := strings.NewReplacer("PFX_", proto+"_")
				check(t, r.Replace(tc.conf), r.Replace(tc.want))
			})
		}
	}
	for _, tc := range uwsgiOnly {
		t.Run("uwsgi/"+tc.name, func(t *testing.T) { check(t, tc.conf, tc.want) })
	}
	for _, tc := range scgiOnly {
		t.Run("scgi/"+tc.name, func(t *testing.T) { check(t, tc.conf, tc.want) })
	}
}
