package referer_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestConfErrors: the directives' errors, compared with nginx -t (except
// where PCRE and RE2 differ).
func TestConfErrors(t *testing.T) {
	wrap := func(body string) string {
		return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        server_name example.com;\n        location / {\n" + body + "\n        }\n    }\n}\n"
	}
	cases := []struct {
		name, conf, want string
		nginx            bool
	}{
		{"good", wrap("valid_referers none blocked server_names *.a.example b.example.* .c.example d.example/p ~e;"), "", true},
		{"server level", "events {}\nhttp {\n server {\n  valid_referers none x.example;\n }\n}\n", "", true},
		{"http level", "events {}\nhttp {\n valid_referers x.example;\n}\n", `"valid_referers" directive is not allowed here in FILE:3`, true},
		{"no argument", wrap("valid_referers;"), `invalid number of arguments in "valid_referers" directive in FILE:7`, true},
		{"empty", wrap(`valid_referers "";`), `invalid referer "" in FILE:7`, true},
		{"empty regex", wrap("valid_referers ~;"), `empty regex in "~" in FILE:7`, true},
		{"two stars", wrap("valid_referers *.a.*;"), `invalid hostname or wildcard "*.a.*" in FILE:7`, true},
		{"inner star", wrap("valid_referers a*b.example;"), `invalid hostname or wildcard "a*b.example" in FILE:7`, true},
		{"double dot", wrap("valid_referers a..example;"), `invalid hostname or wildcard "a..example" in FILE:7`, true},
		{"duplicate", wrap("valid_referers a.example A.EXAMPLE/x;"), `conflicting parameter "a.example" in FILE:7`, true},
		{"upper-case conflict", wrap("valid_referers a.example .A.EXAMPLE;"), `conflicting parameter ".a.example" in FILE:7`, true},
		{"dot and exact", wrap("valid_referers .a.example a.example;"), `conflicting parameter "a.example" in FILE:7`, true},
		{"star and dot", wrap("valid_referers *.a.example .a.example;"), `conflicting parameter ".a.example" in FILE:7`, true},
		{"server name twice", wrap("valid_referers example.com server_names;"), `conflicting parameter "example.com" in FILE:10`, true},
		{"none alone", wrap("valid_referers none;"), `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`, true},
		{"blocked with regex only", wrap("valid_referers blocked ~x;"), `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`, true},
		{"bucket too small", wrap("valid_referers a-rather-long-host-name-that-needs-a-bigger-bucket-than-sixty-four.example;"),
			`could not build referer_hash, you should increase referer_hash_bucket_size: 64`, true},
		{"bucket rounded up", wrap("referer_hash_bucket_size 65; valid_referers a-rather-long-host-name-that-needs-a-bigger-bucket-than-sixty-four.example;"), "", true},
		{"max size zero", wrap("referer_hash_max_size 0; valid_referers a.example;"),
			`could not build referer_hash, you should increase referer_hash_max_size: 0`, true},
		{"bad number", wrap("referer_hash_max_size big;"), `"referer_hash_max_size" directive invalid number in FILE:7`, true},
		{"number twice", wrap("referer_hash_bucket_size 64; referer_hash_bucket_size 128;"), `"referer_hash_bucket_size" directive is duplicate in FILE:7`, true},
		{"lookbehind", wrap(`valid_referers ~(?<=a)b;`),
			"regex \"(?<=a)b\" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): invalid named capture: `(?<=a)b` in FILE:7", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("sluice: %q\nwant:   %q", got, tc.want)
			}
			if tc.nginx {
				if got := oracle.CheckConfig(t, tc.conf).Emerg; got != tc.want {
					t.Errorf("nginx:  %q\nwant:   %q", got, tc.want)
				}
			}
		})
	}
}
