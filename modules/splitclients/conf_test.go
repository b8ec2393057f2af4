package splitclients_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// inSplit puts the block's lines at line 4 onwards; its "}" follows them.
func inSplit(lines ...string) string {
	return "events {}\nhttp {\n    split_clients $arg_k $s {\n" + strings.Join(lines, "\n") + "\n    }\n}\n"
}

func inHTTP(stmts string) string { return "events {}\nhttp {\n" + stmts + "\n}\n" }

var confCases = []struct {
	name, conf, want string
}{
	{"good", inSplit("10% a;", "20.5% b;", "* c;"), ""},
	{"empty", inSplit(), ""},
	{"exactly 100", inSplit("50% a;", "50% b;"), ""},
	{"two decimals to 100", inSplit("33.33% a;", "33.33% b;", "33.34% c;"), ""},
	{"over 100", inSplit("50% a;", "50.01% b;"), `percent total is greater than 100% in FILE:6`},
	{"part after star", inSplit("* a;", "10% b;"), `percent total is greater than 100% in FILE:6`},
	{"star twice", inSplit("* a;", "* b;"), ""},
	{"one part over 100", inSplit("101% a;"), `percent total is greater than 100% in FILE:5`},
	{"no percent sign", inSplit("50 a;"), `invalid percent value "50" in FILE:4`},
	{"zero", inSplit("0% a;"), `invalid percent value "0%" in FILE:4`},
	{"three decimals", inSplit("0.125% a;"), `invalid percent value "0.125%" in FILE:4`},
	{"word", inSplit("half a;"), `invalid percent value "half" in FILE:4`},
	{"negative", inSplit("-5% a;"), `invalid percent value "-5%" in FILE:4`},
	{"include is a percent", inSplit("include other.conf;"), `invalid percent value "include" in FILE:4`},
	{"extra words ignored", inSplit("50% a b c;"), ""},
	{"value missing", inSplit("50%;"), ""},
	{"block inside", inSplit("50% { }"), `unexpected "{" in FILE:4`},
	{"no dollar", inHTTP("split_clients $arg_k s { }"), `invalid variable name "s" in FILE:3`},
	{"builtin variable", inHTTP("split_clients $arg_k $uri { }"), `the duplicate "uri" variable in FILE:3`},
	{"unknown variable in string", inHTTP("split_clients $nosuch $s { }"), `unknown "nosuch" variable`},
	{"arity", inHTTP("split_clients $s { }"), `invalid number of arguments in "split_clients" directive in FILE:3`},
	{"no block", inHTTP("split_clients $arg_k $s;"), `directive "split_clients" has no opening "{" in FILE:3`},
	{"in server", "events {}\nhttp {\n    server {\n        split_clients $arg_k $s { }\n    }\n}\n", `"split_clients" directive is not allowed here in FILE:4`},
	{"huge part", inSplit("42949672.95% a;"), `percent total is greater than 100% in FILE:5`},
	{"sum wrapping past 2^32 passes as in nginx", inSplit("1% a;", "42949671.96% b;"), ""},
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfErrorsOracle(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := oracle.CheckConfig(t, tc.conf).Emerg; got != tc.want {
				t.Errorf("nginx says %q, the test expects %q", got, tc.want)
			}
		})
	}
}
