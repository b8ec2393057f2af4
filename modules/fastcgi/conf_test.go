package fastcgi_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// loc puts location-level text in "location /p/ { ... }" at line 5.
func loc(text string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location /p/ { " + text + " }\n    }\n}\n"
}

// srv puts server-level text at line 5.
func srv(text string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        " + text + "\n    }\n}\n"
}

// confErrorCases are configurations sluice rejects with nginx's message.
var confErrorCases = []struct {
	name, conf, want string
	sluiceOnly       bool // RE2's wording
}{
	{name: "duplicate pass", conf: loc(`fastcgi_pass 127.0.0.1:1; fastcgi_pass 127.0.0.1:2;`), want: `"fastcgi_pass" directive is duplicate in FILE:5`},
	{name: "duplicate pass with variables", conf: loc(`fastcgi_pass $host:1; fastcgi_pass 127.0.0.1:2;`), want: `"fastcgi_pass" directive is duplicate in FILE:5`},
	{name: "pass in limit_except", conf: loc(`limit_except GET { fastcgi_pass 127.0.0.1:1; }`), want: `"fastcgi_pass" directive is not allowed here in FILE:5`},
	{name: "pass at server level", conf: srv(`fastcgi_pass 127.0.0.1:1;`), want: `"fastcgi_pass" directive is not allowed here in FILE:5`},
	{name: "pass invalid port", conf: loc(`fastcgi_pass 127.0.0.1:x;`), want: `invalid port in upstream "127.0.0.1:x" in FILE:5`},
	{name: "pass no port", conf: loc(`fastcgi_pass 127.0.0.1;`), want: `no port in upstream "127.0.0.1" in FILE:5`},
	{name: "pass empty unix", conf: loc(`fastcgi_pass unix:;`), want: `no path in the unix domain socket in upstream "unix:" in FILE:5`},
	{name: "param arity", conf: loc(`fastcgi_param A;`), want: `invalid number of arguments in "fastcgi_param" directive in FILE:5`},
	{name: "param bad flag", conf: loc(`fastcgi_param A b if_empty;`), want: `invalid parameter "if_empty" in FILE:5`},
	{name: "param unknown variable", conf: loc(`fastcgi_param A $nosuch;`), want: `unknown "nosuch" variable`},
	{name: "split one capture", conf: loc(`fastcgi_split_path_info ^(.+)$;`), want: `pattern "^(.+)$" must have 2 captures in FILE:5`},
	{name: "split bad regex", conf: loc(`fastcgi_split_path_info (a;`), sluiceOnly: true,
		want: `regex "(a" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): error parsing regexp: missing closing ): ` + "`(a`" + ` in FILE:5`},
	{name: "keep conn flag", conf: loc(`fastcgi_keep_conn yes;`), want: `invalid value "yes" in "fastcgi_keep_conn" directive, it must be "on" or "off" in FILE:5`},
	{name: "index duplicate", conf: loc(`fastcgi_index a; fastcgi_index b;`), want: `"fastcgi_index" directive is duplicate in FILE:5`},
	{name: "buffers", conf: loc(`fastcgi_buffers 1 4k;`), want: `there must be at least 2 "fastcgi_buffers" in FILE:7`},
	{name: "next upstream", conf: loc(`fastcgi_next_upstream http_418;`), want: `invalid value "http_418" in FILE:5`},
	{name: "cache zone unknown", conf: loc(`fastcgi_cache one;`), want: `"fastcgi_cache" zone "one" is unknown in FILE:7`, sluiceOnly: true},
	{name: "unknown trailers directive", conf: loc(`fastcgi_pass_trailers on;`), want: `unknown directive "fastcgi_pass_trailers" in FILE:5`},
}

func loadConf(t *testing.T, text string) string {
	t.Helper()
	return servertest.LoadError(t, text, nil)
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != tc.want {
				t.Errorf("error\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestConfErrorsMatchNginx runs Debian's nginx -t on the same
// configurations and requires the message sluice gives.
func TestConfErrorsMatchNginx(t *testing.T) {
	for _, tc := range confErrorCases {
		if tc.sluiceOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := oracle.CheckConfig(t, tc.conf).Emerg; got != tc.want {
				t.Errorf("nginx says %q, sluice wants %q", got, tc.want)
			}
		})
	}
}

// TestCacheKeyWarning: fastcgi_cache without fastcgi_cache_key is
// accepted with nginx's warning.
func TestCacheKeyWarning(t *testing.T) {
	conf := "events {}\nhttp {\n fastcgi_cache_path c keys_zone=z:1m;\n server {\n listen 127.0.0.1:1;\n location / { fastcgi_pass 127.0.0.1:9000; fastcgi_cache z; }\n }\n}\n"
	want := `no "fastcgi_cache_key" for "fastcgi_cache" in FILE:8`
	if w := oracle.CheckConfig(t, conf).Warns; len(w) != 1 || w[0] != want {
		t.Errorf("nginx warns %q, want %q", w, want)
	}
	if got := loadConf(t, conf); got != "" {
		t.Errorf("refused: %s", got)
	}
}

// TestConfAccepted loads configurations that must work.
func TestConfAccepted(t *testing.T) {
	for _, conf := range []string{
		loc(`fastcgi_pass 127.0.0.1:9000; fastcgi_param A b if_not_empty; fastcgi_split_path_info ^(.+\.php)(/.*)$; fastcgi_index index.php;`),
		loc(`fastcgi_pass unix:/tmp/php.sock; fastcgi_keep_conn on; fastcgi_catch_stderr FATAL; fastcgi_catch_stderr ERR;`),
		loc(`fastcgi_pass $arg_u; fastcgi_buffering off; fastcgi_request_buffering off; fastcgi_store on; fastcgi_store_access user:rw;`),
		"events {}\nhttp {\n fastcgi_cache_path c keys_zone=z:1m;\n server {\n listen 127.0.0.1:1;\n location / { fastcgi_pass 127.0.0.1:9000; fastcgi_cache z; fastcgi_cache_key $uri; fastcgi_cache_valid 1m; }\n }\n}\n",
	} {
		if got := loadConf(t, conf); got != "" {
			t.Errorf("%s\nrefused: %s", conf, got)
		}
	}
}
