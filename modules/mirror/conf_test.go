package mirror_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors: the directives' errors, compared with nginx -t.
func TestConfErrors(t *testing.T) {
	wrap := func(body string) string {
		return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + body + "\n        }\n    }\n}\n"
	}
	cases := []struct{ name, body, want string }{
		{"several", "mirror /a; mirror /b; mirror_request_body off;", ""},
		{"off", "mirror off;", ""},
		{"off twice", "mirror off; mirror off;", `"mirror" directive is duplicate in FILE:6`},
		{"uri after off", "mirror off; mirror /a;", `"mirror" directive is duplicate in FILE:6`},
		{"off after uri", "mirror /a; mirror off;", `"mirror" directive is duplicate in FILE:6`},
		{"no argument", "mirror;", `invalid number of arguments in "mirror" directive in FILE:6`},
		{"two arguments", "mirror /a /b;", `invalid number of arguments in "mirror" directive in FILE:6`},
		{"bad flag", "mirror_request_body yes;", `invalid value "yes" in "mirror_request_body" directive, it must be "on" or "off" in FILE:6`},
		{"flag twice", "mirror_request_body on; mirror_request_body off;", `"mirror_request_body" directive is duplicate in FILE:6`},
		{"in if", "if ($arg_a) { mirror /a; }", `"mirror" directive is not allowed here in FILE:6`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conf := wrap(tc.body)
			if got := servertest.LoadError(t, conf, nil); got != tc.want {
				t.Errorf("sluice: %q\nwant:   %q", got, tc.want)
			}
			if got := oracle.CheckConfig(t, conf).Emerg; got != tc.want {
				t.Errorf("nginx:  %q\nwant:   %q", got, tc.want)
			}
		})
	}
}
