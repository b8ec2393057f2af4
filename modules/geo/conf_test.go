package geo_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// inGeo puts the block's lines at line 4 onwards, in "geo $arg_ip $g".
func inGeo(lines ...string) string {
	return "events {}\nhttp {\n    geo $arg_ip $g {\n" + strings.Join(lines, "\n") + "\n    }\n}\n"
}

// inHTTP puts statements at line 3.
func inHTTP(stmts string) string { return "events {}\nhttp {\n" + stmts + "\n}\n" }

var confCases = []struct {
	name, conf string
	emerg      string
	warns      []string
	// newer: nginx 1.22 (the oracle) lacks what the case uses
	newer bool
}{
	{name: "empty", conf: inGeo()},
	{name: "networks", conf: inGeo("default x;", "10.0.0.0/8 a;", "::1 b;", "2001:db8::/32 c;", "255.255.255.255 d;", "0.0.0.0/0 e;"),
		warns: []string{`duplicate network "0.0.0.0/0", value: "e", old value: "x" in FILE:9`}},
	{name: "client address", conf: inHTTP("geo $g { 10.0.0.0/8 a; }")},
	{name: "no dollar", conf: inHTTP("geo g { }"), emerg: `invalid variable name "g" in FILE:3`},
	{name: "address without dollar", conf: inHTTP("geo arg_ip $g { }"), emerg: `invalid variable name "arg_ip" in FILE:3`},
	{name: "variable without dollar", conf: inHTTP("geo $arg_ip g { }"), emerg: `invalid variable name "g" in FILE:3`},
	{name: "lone dollar", conf: inHTTP("geo $ { }"), emerg: `invalid variable name "$" in FILE:3`},
	{name: "builtin variable", conf: inHTTP("geo $uri { }"), emerg: `the duplicate "uri" variable in FILE:3`},
	{name: "unknown address variable", conf: inHTTP("geo $nosuch $g { }"), emerg: `unknown "nosuch" variable`},
	{name: "arity", conf: inHTTP("geo $a $b $c { }"), emerg: `invalid number of arguments in "geo" directive in FILE:3`},
	{name: "no block", conf: inHTTP("geo $g;"), emerg: `directive "geo" has no opening "{" in FILE:3`},
	{name: "in server", conf: "events {}\nhttp {\n    server {\n        geo $g { }\n    }\n}\n", emerg: `"geo" directive is not allowed here in FILE:4`},
	{name: "three words", conf: inGeo("10.0.0.0/8 a b;"), emerg: `invalid number of the geo parameters in FILE:4`},
	{name: "one word", conf: inGeo("10.0.0.0/8;"), emerg: `invalid number of the geo parameters in FILE:4`},
	{name: "block inside", conf: inGeo("a { }"), emerg: `unexpected "{" in FILE:4`},
	{name: "invalid network", conf: inGeo("10.0.0.256 a;"), emerg: `invalid network "10.0.0.256" in FILE:4`},
	{name: "invalid mask", conf: inGeo("10.0.0.0/33 a;"), emerg: `invalid network "10.0.0.0/33" in FILE:4`},
	{name: "name", conf: inGeo("localhost a;"), emerg: `invalid network "localhost" in FILE:4`},
	{name: "invalid v6", conf: inGeo("1::2::3 a;"), emerg: `invalid network "1::2::3" in FILE:4`},
	{name: "low bits", conf: inGeo("10.1.2.3/8 a;"), warns: []string{`low address bits of 10.1.2.3/8 are meaningless in FILE:4`}},
	{name: "low bits v6", conf: inGeo("2001:db8::1/32 a;"), warns: []string{`low address bits of 2001:db8::1/32 are meaningless in FILE:4`}},
	{name: "duplicate network", conf: inGeo("10.0.0.0/8 a;", "10.0.0.0/8 b;"),
		warns: []string{`duplicate network "10.0.0.0/8", value: "b", old value: "a" in FILE:5`}},
	{name: "duplicate network, old value of a longer network", conf: inGeo("10.0.0.0/8 a;", "10.0.0.0/16 c;", "10.0.0.0/8 b;"),
		warns: []string{`duplicate network "10.0.0.0/8", value: "b", old value: "c" in FILE:6`}},
	{name: "duplicate v6 network", conf: inGeo("::1 a;", "::1/128 b;"),
		warns: []string{`duplicate network "::1/128", value: "b", old value: "a" in FILE:5`}},
	{name: "duplicate default", conf: inGeo("default a;", "default b;"),
		warns: []string{`duplicate network "default", value: "b", old value: "a" in FILE:5`, `duplicate network "default", value: "b", old value: "a" in FILE:5`}},
	{name: "default after 0/0", conf: inGeo("0.0.0.0/0 a;", "default b;"),
		warns: []string{`duplicate network "default", value: "b", old value: "a" in FILE:5`}},
	{name: "delete", conf: inGeo("10.0.0.0/8 a;", "delete 10.0.0.0/8;")},
	{name: "delete missing", conf: inGeo("10.0.0.0/8 a;", "delete 10.0.0.0/16;", "delete ::1;"),
		warns: []string{`no network "10.0.0.0/16" to delete in FILE:5`, `no network "::1" to delete in FILE:6`}},
	{name: "delete invalid", conf: inGeo("delete 10.0.0;"), emerg: `invalid network "10.0.0" in FILE:4`},
	{name: "delete twice", conf: inGeo("10.0.0.0/8 a;", "delete 10.0.0.0/8;", "delete 10.0.0.0/8;"),
		warns: []string{`no network "10.0.0.0/8" to delete in FILE:6`}},
	{name: "proxy", conf: inGeo("proxy 127.0.0.1;", "proxy ::1;", "proxy 10.0.0.0/8;", "proxy_recursive;")},
	// "volatile" in geo is newer than nginx 1.22
	{name: "volatile", conf: inGeo("volatile;", "10.0.0.0/8 a;"), newer: true},
	{name: "proxy invalid", conf: inGeo("proxy all;"), emerg: `invalid network "all" in FILE:4`},
	{name: "proxy unix", conf: inGeo("proxy unix:;"), emerg: `invalid network "unix:" in FILE:4`},
	{name: "proxy low bits", conf: inGeo("proxy 127.0.0.1/8;"), warns: []string{`low address bits of 127.0.0.1/8 are meaningless in FILE:4`}},
	{name: "proxy broadcast", conf: inGeo("proxy 255.255.255.255;")},
	{name: "proxy_recursive with value", conf: inGeo("proxy_recursive on;"), emerg: `invalid network "proxy_recursive" in FILE:4`},
	{name: "missing include", conf: inGeo("include nosuch.geo;"), emerg: `open() "DIR/nosuch.geo" failed (2: No such file or directory) in FILE:4`},
	{name: "ranges", conf: inGeo("ranges;", "default x;", "10.0.0.0-10.0.0.255 a;", "10.0.0.5-10.0.0.5 b;", "delete 10.0.0.5-10.0.0.5;")},
	{name: "ranges twice", conf: inGeo("ranges;", "ranges;")},
	{name: "ranges after proxy", conf: inGeo("proxy 127.0.0.1;", "ranges;")},
	{name: "ranges not first", conf: inGeo("10.0.0.0/8 a;", "ranges;"), emerg: `the "ranges" directive must be the first directive inside "geo" block in FILE:5`},
	{name: "ranges after default", conf: inGeo("default a;", "ranges;"), emerg: `the "ranges" directive must be the first directive inside "geo" block in FILE:5`},
	{name: "range without dash", conf: inGeo("ranges;", "10.0.0.1 a;"), emerg: `invalid range "10.0.0.1" in FILE:5`},
	{name: "range reversed", conf: inGeo("ranges;", "10.0.0.2-10.0.0.1 a;"), emerg: `invalid range "10.0.0.2-10.0.0.1" in FILE:5`},
	{name: "range cidr", conf: inGeo("ranges;", "10.0.0.0/8 a;"), emerg: `invalid range "10.0.0.0/8" in FILE:5`},
	{name: "range v6", conf: inGeo("ranges;", "::1-::2 a;"), emerg: `invalid range "::1-::2" in FILE:5`},
	{name: "range broadcast", conf: inGeo("ranges;", "0.0.0.0-255.255.255.255 a;"), emerg: `invalid range "0.0.0.0-255.255.255.255" in FILE:5`},
	{name: "range one address", conf: inGeo("ranges;", "10.0.0.1-10.0.0.1 a;")},
	{name: "range overlap", conf: inGeo("ranges;", "10.0.0.0-10.0.0.10 a;", "10.0.0.5-10.0.0.20 b;"),
		emerg: `range "10.0.0.5-10.0.0.20" overlaps "10.0.0.0-10.0.0.10" in FILE:6`},
	{name: "range covering", conf: inGeo("ranges;", "10.0.0.5-10.0.0.10 a;", "10.0.0.0-10.0.0.20 b;"),
		emerg: `range "10.0.0.0-10.0.0.20" overlaps "10.0.0.5-10.0.0.10" in FILE:6`},
	{name: "range overlap in a later block", conf: inGeo("ranges;", "10.1.0.5-10.1.0.10 a;", "10.0.255.0-10.1.0.20 b;"),
		emerg: `range "10.0.255.0-10.1.0.20" overlaps "10.1.0.5-10.1.0.10" in FILE:6`},
	{name: "range shifting a later block", conf: inGeo("ranges;", "10.1.0.0-10.1.0.10 a;", "10.0.255.0-10.1.0.5 b;")},
	{name: "range split", conf: inGeo("ranges;", "10.0.0.0-10.0.0.255 a;", "10.0.0.10-10.0.0.20 b;", "10.0.0.0-10.0.0.5 c;", "10.0.0.250-10.0.0.255 d;")},
	{name: "duplicate range", conf: inGeo("ranges;", "10.0.0.0-10.0.0.255 a;", "10.0.0.0-10.0.0.255 b;"),
		warns: []string{`duplicate range "10.0.0.0-10.0.0.255", value: "b", old value: "a" in FILE:6`}},
	{name: "duplicate range over two blocks", conf: inGeo("ranges;", "10.0.255.0-10.1.0.255 a;", "10.0.255.0-10.1.0.255 b;"),
		warns: []string{`duplicate range "10.0.255.0-10.1.0.255", value: "b", old value: "a" in FILE:6`, `duplicate range "10.0.255.0-10.1.0.255", value: "b", old value: "a" in FILE:6`}},
	{name: "duplicate range default", conf: inGeo("ranges;", "default a;", "default b;"),
		warns: []string{`duplicate default geo range value: "b", old value: "a" in FILE:6`}},
	{name: "delete range missing", conf: inGeo("ranges;", "10.0.0.0-10.0.0.255 a;", "delete 10.0.0.0-10.0.0.5;", "delete 10.9.0.0-10.9.0.5;"),
		warns: []string{`no address range "10.0.0.0-10.0.0.5" to delete in FILE:6`, `no address range "10.9.0.0-10.9.0.5" to delete in FILE:7`}},
	{name: "delete range invalid", conf: inGeo("ranges;", "delete 10.0.0.0;"), emerg: `invalid range "10.0.0.0" in FILE:5`},
	{name: "values with dollar are text", conf: inGeo("default $nosuch;")},
	{name: "same variable twice", conf: inHTTP("geo $g { }\ngeo $arg_x $g { }")},
	{name: "include word as a network", conf: inGeo("include a b;"), emerg: `invalid number of the geo parameters in FILE:4`},
}

// TestConf: configuration errors and warnings, worded as nginx words them.
func TestConf(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			emerg, warns := servertest.LoadWarnings(t, tc.conf, nil)
			if emerg != tc.emerg {
				t.Errorf("error %q, want %q", emerg, tc.emerg)
			}
			if strings.Join(warns, "\n") != strings.Join(tc.warns, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warns, "\n"), strings.Join(tc.warns, "\n"))
			}
		})
	}
}

// TestConfOracle checks the cases against nginx -t.
func TestConfOracle(t *testing.T) {
	for _, tc := range confCases {
		if tc.newer {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			c := oracle.CheckConfig(t, tc.conf)
			if c.Emerg != tc.emerg || strings.Join(c.Warns, "\n") != strings.Join(tc.warns, "\n") {
				t.Errorf("nginx: emerg %q warns %q; the test expects %q %q", c.Emerg, c.Warns, tc.emerg, tc.warns)
			}
		})
	}
}
