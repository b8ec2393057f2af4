package securelink_test

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
	cases := []struct{ name, conf, want string }{
		{"good", wrap("secure_link $arg_h,$arg_e; secure_link_md5 $uri;"), ""},
		{"secret", wrap("secure_link_secret w;"), ""},
		{"http level", "events {}\nhttp {\n secure_link_secret w;\n server { location / { secure_link $arg_h; } }\n}\n", ""},
		{"mixed", wrap("secure_link_secret w; secure_link $arg_h;"),
			`"secure_link_secret" cannot be mixed with "secure_link" and "secure_link_md5" in FILE:9`},
		{"mixed md5", wrap("secure_link_md5 $uri; secure_link_secret w;"),
			`"secure_link_secret" cannot be mixed with "secure_link" and "secure_link_md5" in FILE:9`},
		{"secret twice", wrap("secure_link_secret a; secure_link_secret b;"), `"secure_link_secret" directive is duplicate in FILE:6`},
		{"link twice", wrap("secure_link a; secure_link b;"), `"secure_link" directive is duplicate in FILE:6`},
		{"md5 twice", wrap("secure_link_md5 a; secure_link_md5 b;"), `"secure_link_md5" directive is duplicate in FILE:6`},
		{"no argument", wrap("secure_link;"), `invalid number of arguments in "secure_link" directive in FILE:6`},
		{"two arguments", wrap("secure_link_md5 a b;"), `invalid number of arguments in "secure_link_md5" directive in FILE:6`},
		{"unknown variable", wrap("secure_link $nope;"), `unknown "nope" variable`},
		{"in if", wrap("if ($arg_a) { secure_link_secret w; }"), `"secure_link_secret" directive is not allowed here in FILE:6`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("sluice: %q\nwant:   %q", got, tc.want)
			}
			if got := oracle.CheckConfig(t, tc.conf).Emerg; got != tc.want {
				t.Errorf("nginx:  %q\nwant:   %q", got, tc.want)
			}
		})
	}
}
