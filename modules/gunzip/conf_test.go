package gunzip_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors checks gunzip's and gzip_static's directives against
// Debian's "nginx -t" (same wording, same places).
func TestConfErrors(t *testing.T) {
	inServer := func(stmts string) string { return "events {}\nhttp {\n    server {\n" + stmts + "\n    }\n}\n" }
	for _, tc := range []struct {
		name, conf, want string
	}{
		{"gunzip value", inServer(`gunzip yes;`), `invalid value "yes" in "gunzip" directive, it must be "on" or "off" in FILE:4`},
		{"gunzip duplicate", inServer(`gunzip on; gunzip off;`), `"gunzip" directive is duplicate in FILE:4`},
		{"gunzip in if", inServer(`location / { if ($arg_a) { gunzip on; } }`), `"gunzip" directive is not allowed here in FILE:4`},
		{"buffers", inServer(`gunzip_buffers 0 4k;`), `"gunzip_buffers" directive invalid value in FILE:4`},
		{"buffers size", inServer(`gunzip_buffers 4 x;`), `"gunzip_buffers" directive invalid value in FILE:4`},
		{"buffers arguments", inServer(`gunzip_buffers 4;`), `invalid number of arguments in "gunzip_buffers" directive in FILE:4`},
		{"buffers duplicate", inServer(`gunzip_buffers 4 4k; gunzip_buffers 8 4k;`), `"gunzip_buffers" directive is duplicate in FILE:4`},
		{"gzip_static value", inServer(`gzip_static yes;`), `invalid value "yes" in FILE:4`},
		{"gzip_static arguments", inServer(`gzip_static on always;`), `invalid number of arguments in "gzip_static" directive in FILE:4`},
		{"gzip_static duplicate", inServer(`gzip_static on; gzip_static always;`), `"gzip_static" directive is duplicate in FILE:4`},
		{"gzip_static in if", inServer(`location / { if ($arg_a) { gzip_static on; } }`), `"gzip_static" directive is not allowed here in FILE:4`},
		{"valid", inServer(`gunzip on; gunzip_buffers 16 8k; gzip_static always; location / { gzip_static off; gunzip off; }`), ``},
	} {
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
