package memcached_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// inServer puts statements at line 4 of a configuration, at server level.
func inServer(stmts string) string {
	return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n"
}

// TestConfErrors checks nginx's wording: each configuration is also given to
// Debian's "nginx -t", which must say the same.
func TestConfErrors(t *testing.T) {
	loc := func(s string) string { return inServer("location / { set $memcached_key $uri; " + s + " }") }
	tests := []struct {
		name, conf, want string
	}{
		{"duplicate pass", loc(`memcached_pass 127.0.0.1:1; memcached_pass 127.0.0.1:2;`),
			`"memcached_pass" directive is duplicate in FILE:4`},
		{"pass at server level", inServer(`memcached_pass 127.0.0.1:1;`),
			`"memcached_pass" directive is not allowed here in FILE:4`},
		{"pass without argument", loc(`memcached_pass;`),
			`invalid number of arguments in "memcached_pass" directive in FILE:4`},
		{"no port", loc(`memcached_pass 127.0.0.1;`), `no port in upstream "127.0.0.1" in FILE:4`},
		{"invalid port", loc(`memcached_pass 127.0.0.1:abc;`), `invalid port in upstream "127.0.0.1:abc" in FILE:4`},
		{"port zero", loc(`memcached_pass 127.0.0.1:0;`), `invalid port in upstream "127.0.0.1:0" in FILE:4`},
		{"port too big", loc(`memcached_pass 127.0.0.1:99999;`), `invalid port in upstream "127.0.0.1:99999" in FILE:4`},
		{"unix without path", loc(`memcached_pass unix:;`), `no path in the unix domain socket in upstream "unix:" in FILE:4`},
		{"proxy's next_upstream value", loc(`memcached_next_upstream http_500;`), `invalid value "http_500" in FILE:4`},
		{"gzip flag not a number", loc(`memcached_gzip_flag abc;`), `"memcached_gzip_flag" directive invalid number in FILE:4`},
		{"buffer size", loc(`memcached_buffer_size 1x;`), `"memcached_buffer_size" directive invalid value in FILE:4`},
		{"key never set", inServer(`location / { memcached_pass 127.0.0.1:1; }`), `unknown "memcached_key" variable`},
		{"proxy-only directive", loc(`memcached_buffering off;`), `unknown directive "memcached_buffering" in FILE:4`},
		{"valid", loc(`memcached_pass 127.0.0.1:1; memcached_next_upstream error timeout invalid_response not_found;
			memcached_gzip_flag 2; memcached_connect_timeout 1s; memcached_send_timeout 1s; memcached_read_timeout 1s;
			memcached_buffer_size 64k; memcached_next_upstream_tries 2; memcached_next_upstream_timeout 5s;
			memcached_socket_keepalive on; memcached_bind 127.0.0.1;`), ``},
		{"valid unix", loc(`memcached_pass unix:/tmp/memcached.sock;`), ``},
		{"valid in if", inServer(`location / { set $memcached_key $uri; if ($arg_a) { memcached_pass 127.0.0.1:1; } }`), ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, tc.conf).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}
