package charset_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors checks nginx's wording against Debian's "nginx -t".
func TestConfErrors(t *testing.T) {
	inHTTP := func(stmts string) string { return "events {}\nhttp {\n" + stmts + "\n}\n" }
	tests := []struct {
		name, conf, want string
		// ngx is what Debian's nginx 1.22 says when it differs from the
		// nginx sluice follows
		ngx *string
	}{
		{"same charsets", inHTTP("charset_map a A { }"), `"charset_map" between the same charsets "a" and "A" in FILE:3`, nil},
		{"utf-8 first", inHTTP("charset_map UTF-8 a { }"), `"charset_map" with "utf-8" charset should be given in the second column in FILE:3`,
			ptr("")}, // the check is newer than nginx 1.22
		{"duplicate map", inHTTP("charset_map a b { }\ncharset_map b a { }"), `duplicate "charset_map" between "b" and "a" in FILE:4`, nil},
		{"line arity", inHTTP("charset_map a b {\n 80;\n}"), `invalid parameters number in FILE:4`, nil},
		{"bad byte", inHTTP("charset_map a b {\n 100 80;\n}"), `invalid value "100" in FILE:4`, nil},
		{"bad hex", inHTTP("charset_map a b {\n 80 8g;\n}"), `invalid value "8g" in FILE:4`, nil},
		{"utf-8 too long", inHTTP("charset_map a utf-8 {\n 80 F0908080;\n}"), `invalid value "F0908080" in FILE:4`, nil},
		{"utf-8 odd", inHTTP("charset_map a utf-8 {\n 80 D08;\n}"), `invalid value "D08" in FILE:4`, nil},
		{"utf-8 ascii", inHTTP("charset_map a utf-8 {\n 80 41;\n}"), `invalid value "41" in FILE:4`, nil},
		{"utf-8 cut", inHTTP("charset_map a utf-8 {\n 80 E282;\n}"), `invalid value "E282" in FILE:4`, nil},
		{"no map", inHTTP("server { charset a; source_charset b; }"), `no "charset_map" between the charsets "b" and "a"`, nil},
		{"charset duplicate", inHTTP("charset a; charset b;"), `"charset" directive is duplicate in FILE:3`, nil},
		{"source off is a name", inHTTP("charset_map off a { }\nserver { source_charset off; charset a; }"), ``, nil},
		{"override flag", inHTTP("override_charset maybe;"), `invalid value "maybe" in "override_charset" directive, it must be "on" or "off" in FILE:3`, nil},
		{"map in server", inHTTP("server { charset_map a b { } }"), `"charset_map" directive is not allowed here in FILE:3`, nil},
		{"types in if", inHTTP("server { location / { if ($arg_a) { charset_types text/x; } } }"), `"charset_types" directive is not allowed here in FILE:3`, nil},
		{"valid", inHTTP("charset_map koi8-r utf-8 {\n C1 D0B0;\n}\ncharset_map a b {\n 80 81;\n}\nserver { charset utf-8; source_charset koi8-r; location /v { charset $arg_c; if ($arg_d) { charset b; source_charset a; override_charset on; } } }"), ``, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			want := tc.want
			if tc.ngx != nil {
				want = *tc.ngx
			}
			if n := oracle.CheckConfig(t, tc.conf).Emerg; n != want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
