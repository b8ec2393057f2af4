package rewrite_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

// loadConf loads a configuration from text and returns the error, with
// the file's path replaced by "FILE".
func loadConf(t *testing.T, text string) string {
	t.Helper()
	return servertest.LoadError(t, text, nil)
}

// inLocation puts statements at line 6 of a configuration, inside a
// location; inServer at line 5, at server level.
func inLocation(stmts string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + stmts + "\n        }\n    }\n}\n"
}

func inServer(stmts string) string {
	return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n" + stmts + "\n    }\n}\n"
}

func TestConfErrors(t *testing.T) {
	tests := []struct {
		name, conf, want string
	}{
		{"set without dollar", inLocation(`set x 1;`), `invalid variable name "x" in FILE:6`},
		{"set empty name", inLocation(`set $ 1;`), `invalid variable name "$" in FILE:6`},
		{"set empty arg", inLocation(`set "" 1;`), `invalid variable name "" in FILE:6`},
		{"set builtin", inLocation(`set $uri 1;`), `the duplicate "uri" variable in FILE:6`},
		{"set dangling dollar", inLocation(`set $x a$;`), `invalid variable name in FILE:6`},
		{"set empty braces", inLocation(`set $x "${}";`), `invalid variable name in FILE:6`},
		{"set open brace at end", inLocation(`set $x "a${";`), `invalid variable name in FILE:6`},
		{"set unclosed brace", inLocation(`set $x "${a";`), `the closing bracket in "a" variable is missing in FILE:6`},
		{"set brace with space", inLocation(`set $x "${a b}";`), `the closing bracket in "a" variable is missing in FILE:6`},
		{"set unknown variable", inLocation(`set $x $nosuch;`), `unknown "nosuch" variable`},
		{"dollar zero is a variable", inLocation(`set $x $0;`), `unknown "0" variable`},
		{"set arity", inLocation(`set $x;`), `invalid number of arguments in "set" directive in FILE:6`},
		{"return too big", inLocation(`return 1000;`), `invalid return code "1000" in FILE:6`},
		{"return word", inLocation(`return abc;`), `invalid return code "abc" in FILE:6`},
		{"return negative", inLocation(`return -1;`), `invalid return code "-1" in FILE:6`},
		{"return url with text", inLocation(`return http://x/ text;`), `invalid return code "http://x/" in FILE:6`},
		{"return arity", inLocation(`return 302 a b;`), `invalid number of arguments in "return" directive in FILE:6`},
		{"return bad text", inLocation(`return 200 "a$";`), `invalid variable name in FILE:6`},
		{"rewrite empty replacement", inLocation(`rewrite ^ "";`), `empty replacement in FILE:6`},
		{"rewrite bad flag", inLocation(`rewrite ^ /x foo;`), `invalid parameter "foo" in FILE:6`},
		{"rewrite arity", inLocation(`rewrite ^;`), `invalid number of arguments in "rewrite" directive in FILE:6`},
		{"rewrite bad replacement", inLocation(`rewrite ^ /$;`), `invalid variable name in FILE:6`},
		{"rewrite regex", inLocation(`rewrite "(" /x;`), `regex "(" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): missing closing ): ` + "`(`" + ` in FILE:6`},
		{"break arity", inLocation(`break 1;`), `invalid number of arguments in "break" directive in FILE:6`},
		{"nested if", inLocation(`if ($a) { if ($b) {} }`), `"if" directive is not allowed here in FILE:6`},
		{"if at http level", "events {}\nhttp {\n    if ($a) {}\n}\n", `"if" directive is not allowed here in FILE:3`},
		{"set at http level", "events {}\nhttp {\n    set $a 1;\n}\n", `"set" directive is not allowed here in FILE:3`},
		{"if without block", inLocation(`if ($a);`), `directive "if" has no opening "{" in FILE:6`},
		{"if without parens", inLocation(`if $a {}`), `invalid condition "$a" in FILE:6`},
		{"if without close paren", inLocation(`if ($a {}`), `invalid condition "$a" in FILE:6`},
		{"if not a variable", inLocation(`if (a) {}`), `invalid condition "a" in FILE:6`},
		{"if double equals", inLocation(`if ($a == b) {}`), `unexpected "==" in condition in FILE:6`},
		{"if too many words", inLocation(`if ($a = b c) {}`), `invalid condition "$a" in FILE:6`},
		{"if bad file test", inLocation(`if (-z /x) {}`), `invalid condition "-z" in FILE:6`},
		{"if bad negated file test", inLocation(`if (!-q /x) {}`), `invalid condition "!-q" in FILE:6`},
		{"if file test without path", inLocation(`if (-f) {}`), `invalid condition "-f" in FILE:6`},
		{"if empty", inLocation(`if () {}`), `invalid condition ")" in FILE:6`},
		{"if empty spaced", inLocation(`if ( ) {}`), `invalid condition ")" in FILE:6`},
		{"if lone dollar", inLocation(`if ($) {}`), `invalid condition "$" in FILE:6`},
		{"if unknown variable", inLocation(`if ($nosuch) {}`), `unknown "nosuch" variable`},
		{"if bad comparison value", inLocation(`if ($a = $) {}`), `invalid variable name in FILE:6`},
		{"if regex", inLocation(`if ($uri ~ "(") {}`), `regex "(" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): missing closing ): ` + "`(`" + ` in FILE:6`},
		{"error inside if block", inLocation("if ($uri) {\n    listen 80;\n}"), `"listen" directive is not allowed here in FILE:7`},
		{"proxy-free server if", inServer(`if ($uri) { location / {} }`), `"location" directive is not allowed here in FILE:5`},
		{"rewrite_log value", inLocation(`rewrite_log maybe;`), `invalid value "maybe" in "rewrite_log" directive, it must be "on" or "off" in FILE:6`},
		{"rewrite_log duplicate", inLocation("rewrite_log on;\nrewrite_log off;"), `"rewrite_log" directive is duplicate in FILE:7`},
		{"uninitialized_variable_warn duplicate", inLocation("uninitialized_variable_warn on;\nuninitialized_variable_warn on;"), `"uninitialized_variable_warn" directive is duplicate in FILE:7`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != tc.want {
				t.Errorf("error:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestConfAccepted(t *testing.T) {
	tests := []struct{ name, conf string }{
		{"capture then letters", inLocation(`set $x $1abc;`)},
		{"set prefix variable", inLocation(`set $http_foo 1; set $http_ 1; set $arg_x 1;`)},
		{"set twice", inLocation(`set $a 1; set $a 2;`)},
		{"set own variable", inLocation(`set $a 1; set $b $a;`)},
		{"set args and limit_rate", inLocation(`set $args a=b; set $limit_rate 10k;`)},
		{"named capture then set", inLocation(`if ($uri ~ (?P<part>.*)) { set $part x; }`)},
		{"return url", inLocation(`return https://example.com/;`)},
		{"return scheme", inLocation(`return $scheme://example.com$request_uri;`)},
		{"return code only", inLocation(`return 0;`)},
		{"rewrite question only", inLocation(`rewrite ^ ?;`)},
		{"if parens attached", inLocation(`if ($uri) {} if ( $uri ) {} if ($uri = "a") {} if ($uri = a) {}`)},
		{"if file tests", inLocation(`if (-f /x) {} if (!-f /x) {} if (-d /x) {} if (!-d $uri) {} if (-e /x) {} if (!-e /x) {} if (-x /x) {} if (!-x /x) {}`)},
		{"if regexes", inLocation(`if ($uri ~ a) {} if ($uri ~* a) {} if ($uri !~ a) {} if ($uri !~* "a b") {}`)},
		{"server level", inServer(`rewrite ^ /x; set $a 1; if ($a) { return 204; } break; return 404;`)},
		{"flags at http", "events {}\nhttp {\n    rewrite_log on;\n    uninitialized_variable_warn off;\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != "" {
				t.Errorf("error: %s", got)
			}
		})
	}
}
