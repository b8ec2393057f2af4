package gzip_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors checks nginx's wording against Debian's "nginx -t".
func TestConfErrors(t *testing.T) {
	inServer := func(stmts string) string { return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n" }
	tests := []struct {
		name, conf, want string
	}{
		{"gzip value", inServer(`gzip yes;`), `invalid value "yes" in "gzip" directive, it must be "on" or "off" in FILE:4`},
		{"gzip duplicate", inServer(`gzip on; gzip off;`), `"gzip" directive is duplicate in FILE:4`},
		{"gzip in if", inServer(`location / { if ($arg_a) { gzip on; } }`), ``},
		{"gzip_vary in if", inServer(`location / { if ($arg_a) { gzip_vary on; } }`), `"gzip_vary" directive is not allowed here in FILE:4`},
		{"level too high", inServer(`gzip_comp_level 10;`), `value must be between 1 and 9 in FILE:4`},
		{"level zero", inServer(`gzip_comp_level 0;`), `value must be between 1 and 9 in FILE:4`},
		{"level not a number", inServer(`gzip_comp_level fast;`), `"gzip_comp_level" directive invalid number in FILE:4`},
		{"buffers", inServer(`gzip_buffers 0 4k;`), `"gzip_buffers" directive invalid value in FILE:4`},
		{"buffers arguments", inServer(`gzip_buffers 4;`), `invalid number of arguments in "gzip_buffers" directive in FILE:4`},
		{"http version", inServer(`gzip_http_version 2.0;`), `invalid value "2.0" in FILE:4`},
		{"proxied value", inServer(`gzip_proxied expired nocache;`), `invalid value "nocache" in FILE:4`},
		{"min length", inServer(`gzip_min_length 1x;`), `"gzip_min_length" directive invalid value in FILE:4`},
		{"window", inServer(`gzip_window 64k;`), `"gzip_window" directive must be 512, 1k, 2k, 4k, 8k, 16k, or 32k in FILE:4`},
		{"hash", inServer(`gzip_hash 100;`), `"gzip_hash" directive must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k in FILE:4`},
		{"types", inServer(`gzip_types;`), `invalid number of arguments in "gzip_types" directive in FILE:4`},
		{"valid", inServer(`gzip on; gzip_buffers 16 8k; gzip_comp_level 9; gzip_disable msie6 "^Foo/[0-9]"; gzip_http_version 1.0;
			gzip_min_length 1k; gzip_proxied expired no-cache no-store private no_last_modified no_etag auth; gzip_proxied any;
			gzip_types text/plain application/json *; gzip_vary on; gzip_window 4k; gzip_hash 8k; gzip_no_buffer on; postpone_gzipping 2k;`), ``},
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

// TestConfRegex: an expression RE2 cannot compile is refused, saying so.
func TestConfRegex(t *testing.T) {
	conf := "events {}\nhttp {\n    gzip_disable \"(?<=x)y\";\n}\n"
	want := `regex "(?<=x)y" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): invalid named capture: ` + "`(?<=x)y`" + ` in FILE:3`
	if got := servertest.LoadError(t, conf, nil); got != want {
		t.Errorf("error\n%s\nwant\n%s", got, want)
	}
}
