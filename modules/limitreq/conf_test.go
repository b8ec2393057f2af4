package limitreq_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/modules"
)

// withZones puts http-level statements at line 3 and location statements
// at line 8.
func withZones(httpStmt, locStmt string) string {
	return "events {}\nhttp {\n" + httpStmt + "\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + locStmt + "\n        }\n    }\n}\n"
}

const zoneOne = "limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s;"

var confCases = []struct {
	name, conf string
	emerg      string
}{
	{name: "zone and limit", conf: withZones(zoneOne, "limit_req zone=one;")},
	{name: "all parameters", conf: withZones(zoneOne, "limit_req zone=one burst=5 delay=2;")},
	{name: "nodelay", conf: withZones(zoneOne, "limit_req zone=one burst=5 nodelay;")},
	{name: "rate per minute", conf: withZones("limit_req_zone $arg_a zone=one:1m rate=30r/m;", "limit_req zone=one;")},
	{name: "rate without unit", conf: withZones("limit_req_zone $arg_a zone=one:1m rate=30;", "limit_req zone=one;")},
	{name: "literal key", conf: withZones("limit_req_zone all zone=one:1m rate=1r/s;", "limit_req zone=one;")},
	{name: "limit before zone", conf: "events {}\nhttp {\n    access_log off;\n    limit_req zone=one;\n" + zoneOne + "\n}\n"},
	{name: "several zones", conf: withZones(zoneOne+"\nlimit_req_zone $uri zone=two:1m rate=1r/s;", "limit_req zone=one; limit_req zone=two burst=1;")},
	{name: "unknown zone", conf: withZones("", "limit_req zone=zero;"), emerg: `zero size shared memory zone "zero"`},
	{name: "unknown zone is checked once the configuration is read", conf: withZones(zoneOne, "limit_req zone=one; limit_req zone=two;"), emerg: `zero size shared memory zone "two"`},
	{name: "rate 0", conf: withZones("limit_req_zone $uri zone=one:1m rate=0r/s;", ""), emerg: `invalid rate "rate=0r/s" in FILE:3`},
	{name: "rate fraction", conf: withZones("limit_req_zone $uri zone=one:1m rate=0.5r/s;", ""), emerg: `invalid rate "rate=0.5r/s" in FILE:3`},
	{name: "rate per hour", conf: withZones("limit_req_zone $uri zone=one:1m rate=1r/h;", ""), emerg: `invalid rate "rate=1r/h" in FILE:3`},
	{name: "rate empty", conf: withZones("limit_req_zone $uri zone=one:1m rate=r/s;", ""), emerg: `invalid rate "rate=r/s" in FILE:3`},
	{name: "zone without size", conf: withZones("limit_req_zone $uri zone=one rate=1r/s;", ""), emerg: `invalid zone size "zone=one" in FILE:3`},
	{name: "zone size invalid", conf: withZones("limit_req_zone $uri zone=one:1x rate=1r/s;", ""), emerg: `invalid zone size "zone=one:1x" in FILE:3`},
	{name: "zone too small", conf: withZones("limit_req_zone $uri zone=one:16k rate=1r/s;", ""), emerg: `zone "zone=one:16k" is too small in FILE:3`},
	{name: "zone smallest", conf: withZones("limit_req_zone $uri zone=one:32k rate=1r/s;", "limit_req zone=one;")},
	{name: "zone without name", conf: withZones("limit_req_zone $uri zone=:1m rate=1r/s;", ""), emerg: `"limit_req_zone" must have "zone" parameter in FILE:3`},
	{name: "zone missing", conf: withZones("limit_req_zone $uri rate=1r/s rate=2r/s;", ""), emerg: `"limit_req_zone" must have "zone" parameter in FILE:3`},
	{name: "zone unknown parameter", conf: withZones("limit_req_zone $uri zone=one:1m burst=1;", ""), emerg: `invalid parameter "burst=1" in FILE:3`},
	{name: "zone arity", conf: withZones("limit_req_zone $uri zone=one:1m;", ""), emerg: `invalid number of arguments in "limit_req_zone" directive in FILE:3`},
	{name: "zone bound twice", conf: withZones(zoneOne+"\nlimit_req_zone $uri zone=one:1m rate=2r/s;", ""), emerg: `limit_req_zone "one" is already bound to key "$binary_remote_addr" in FILE:4`},
	{name: "zone size conflict", conf: withZones(zoneOne+"\nlimit_req_zone $uri zone=one:2m rate=2r/s;", ""), emerg: `the size 2097152 of shared memory zone "one" conflicts with already declared size 1048576 in FILE:4`},
	{name: "zone unknown variable", conf: withZones("limit_req_zone $nosuch zone=one:1m rate=1r/s;", ""), emerg: `unknown "nosuch" variable`},
	{name: "zone in server", conf: withZones("", zoneOne), emerg: `"limit_req_zone" directive is not allowed here in FILE:8`},
	{name: "limit without zone", conf: withZones(zoneOne, "limit_req burst=1;"), emerg: `"limit_req" must have "zone" parameter in FILE:8`},
	{name: "burst 0", conf: withZones(zoneOne, "limit_req zone=one burst=0;"), emerg: `invalid burst value "burst=0" in FILE:8`},
	{name: "burst invalid", conf: withZones(zoneOne, "limit_req zone=one burst=x;"), emerg: `invalid burst value "burst=x" in FILE:8`},
	{name: "delay invalid", conf: withZones(zoneOne, "limit_req zone=one delay=-1;"), emerg: `invalid delay value "delay=-1" in FILE:8`},
	{name: "limit unknown parameter", conf: withZones(zoneOne, "limit_req zone=one rate=1r/s;"), emerg: `invalid parameter "rate=1r/s" in FILE:8`},
	{name: "limit duplicate", conf: withZones(zoneOne, "limit_req zone=one; limit_req zone=one burst=2;"), emerg: `"limit_req" directive is duplicate in FILE:8`},
	{name: "limit arity", conf: withZones(zoneOne, "limit_req zone=one burst=1 nodelay delay=1;"), emerg: `invalid number of arguments in "limit_req" directive in FILE:8`},
	{name: "limit in if", conf: withZones(zoneOne, "if ($uri) { limit_req zone=one; }"), emerg: `"limit_req" directive is not allowed here in FILE:8`},
	{name: "status", conf: withZones(zoneOne, "limit_req_status 429;")},
	{name: "status low", conf: withZones(zoneOne, "limit_req_status 399;"), emerg: `value must be between 400 and 599 in FILE:8`},
	{name: "status high", conf: withZones(zoneOne, "limit_req_status 600;"), emerg: `value must be between 400 and 599 in FILE:8`},
	{name: "status invalid", conf: withZones(zoneOne, "limit_req_status x;"), emerg: `"limit_req_status" directive invalid number in FILE:8`},
	{name: "status duplicate", conf: withZones(zoneOne, "limit_req_status 429; limit_req_status 503;"), emerg: `"limit_req_status" directive is duplicate in FILE:8`},
	{name: "log level", conf: withZones(zoneOne, "limit_req_log_level NOTICE;")},
	{name: "log level invalid", conf: withZones(zoneOne, "limit_req_log_level debug;"), emerg: `invalid value "debug" in FILE:8`},
	{name: "dry run", conf: withZones(zoneOne, "limit_req_dry_run on;")},
	{name: "dry run invalid", conf: withZones(zoneOne, "limit_req_dry_run yes;"), emerg: `invalid value "yes" in "limit_req_dry_run" directive, it must be "on" or "off" in FILE:8`},
	{name: "variable", conf: withZones(zoneOne, "return 200 $limit_req_status;")},
}

func TestConf(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.emerg {
				t.Errorf("error %q, want %q", got, tc.emerg)
			}
		})
	}
}

// TestConfOracle checks the table against nginx -t.
func TestConfOracle(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			c := oracle.CheckConfig(t, tc.conf)
			// nginx positions an unknown variable at the end of the http
			// block; sluice too, the table leaves the position out
			if got := c.Emerg; got != tc.emerg && !(strings.HasPrefix(tc.emerg, "unknown") && strings.HasPrefix(got, tc.emerg+" in ")) {
				t.Errorf("nginx -t: %q, table says %q", got, tc.emerg)
			}
		})
	}
}

// TestConfigureArguments: -V no longer says limit_req is missing, so the
// nginx test suite's has('limit_req') runs its files.
func TestConfigureArguments(t *testing.T) {
	if args := core.ConfigureArguments(modules.Implemented); strings.Contains(args, "limit_req") {
		t.Errorf("configure arguments mention limit_req: %s", args)
	}
}
