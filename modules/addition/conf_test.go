package addition_test

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
		{"before duplicate", inServer(`add_before_body /a; add_before_body /b;`), `"add_before_body" directive is duplicate in FILE:4`},
		{"after arguments", inServer(`add_after_body /a /b;`), `invalid number of arguments in "add_after_body" directive in FILE:4`},
		{"in if", inServer(`location / { if ($arg_a) { add_after_body /a; } }`), `"add_after_body" directive is not allowed here in FILE:4`},
		{"types without argument", inServer(`addition_types;`), `invalid number of arguments in "addition_types" directive in FILE:4`},
		{"valid", inServer(`add_before_body /a; add_after_body ""; addition_types text/plain *;`), ``},
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
