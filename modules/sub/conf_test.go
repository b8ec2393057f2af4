package sub_test

import (
	"strings"
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
		{"empty pattern", inServer(`sub_filter "" x;`), `empty search pattern in FILE:4`},
		{"one argument", inServer(`sub_filter a;`), `invalid number of arguments in "sub_filter" directive in FILE:4`},
		{"three arguments", inServer(`sub_filter a b c;`), `invalid number of arguments in "sub_filter" directive in FILE:4`},
		{"too many", inServer(strings.Repeat("sub_filter a b;", 256)), `number of search patterns exceeds 255 in FILE:4`},
		{"255", inServer(strings.Repeat("sub_filter a b;", 255)), ``},
		{"in if", inServer(`location / { if ($arg_a) { sub_filter a b; } }`), `"sub_filter" directive is not allowed here in FILE:4`},
		{"once value", inServer(`sub_filter_once yes;`), `invalid value "yes" in "sub_filter_once" directive, it must be "on" or "off" in FILE:4`},
		{"once duplicate", inServer(`sub_filter_once on; sub_filter_once off;`), `"sub_filter_once" directive is duplicate in FILE:4`},
		{"last_modified value", inServer(`sub_filter_last_modified 1;`), `invalid value "1" in "sub_filter_last_modified" directive, it must be "on" or "off" in FILE:4`},
		{"types without argument", inServer(`sub_filter_types;`), `invalid number of arguments in "sub_filter_types" directive in FILE:4`},
		{"unclosed variable", inServer(`sub_filter ${a x;`), `the closing bracket in "a" variable is missing in FILE:4`},
		{"unknown variable", inServer(`sub_filter a $nosuch;`), `unknown "nosuch" variable`},
		{"valid", inServer(`sub_filter a b; sub_filter $uri ""; sub_filter_once off; sub_filter_last_modified on; sub_filter_types text/plain *;`), ``},
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
