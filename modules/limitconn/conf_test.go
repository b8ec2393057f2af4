package limitconn_test

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

const zoneOne = "limit_conn_zone $binary_remote_addr zone=one:1m;"

var confCases = []struct {
	name, conf string
	emerg      string
}{
	{name: "zone and limit", conf: withZones(zoneOne, "limit_conn one 1;")},
	{name: "limit 65535", conf: withZones(zoneOne, "limit_conn one 65535;")},
	{name: "literal key", conf: withZones("limit_conn_zone all zone=one:1m;", "limit_conn one 10;")},
	{name: "limit before zone", conf: "events {}\nhttp {\n    access_log off;\n    limit_conn one 1;\n" + zoneOne + "\n}\n"},
	{name: "several zones", conf: withZones(zoneOne+"\nlimit_conn_zone $uri zone=two:1m;", "limit_conn one 1; limit_conn two 2;")},
	{name: "limit_req zone beside", conf: withZones(zoneOne+"\nlimit_req_zone $uri zone=two:1m rate=1r/s;", "limit_conn one 1; limit_req zone=two;")},
	{name: "unknown zone", conf: withZones("", "limit_conn zero 1;"), emerg: `zero size shared memory zone "zero"`},
	{name: "unknown zone is checked once the configuration is read", conf: withZones(zoneOne, "limit_conn one 1; limit_conn two 1;"), emerg: `zero size shared memory zone "two"`},
	{name: "zone without size", conf: withZones("limit_conn_zone $uri zone=one;", ""), emerg: `invalid zone size "zone=one" in FILE:3`},
	{name: "zone size invalid", conf: withZones("limit_conn_zone $uri zone=one:1x;", ""), emerg: `invalid zone size "zone=one:1x" in FILE:3`},
	{name: "zone too small", conf: withZones("limit_conn_zone $uri zone=one:16k;", ""), emerg: `zone "zone=one:16k" is too small in FILE:3`},
	{name: "zone smallest", conf: withZones("limit_conn_zone $uri zone=one:32k;", "limit_conn one 1;")},
	{name: "zone without name", conf: withZones("limit_conn_zone $uri zone=:1m;", ""), emerg: `"limit_conn_zone" must have "zone" parameter in FILE:3`},
	{name: "zone unknown parameter", conf: withZones("limit_conn_zone $uri rate=1r/s;", ""), emerg: `invalid parameter "rate=1r/s" in FILE:3`},
	{name: "zone arity", conf: withZones("limit_conn_zone $uri;", ""), emerg: `invalid number of arguments in "limit_conn_zone" directive in FILE:3`},
	{name: "zone arity 3", conf: withZones("limit_conn_zone $uri zone=one:1m zone=two:1m;", ""), emerg: `invalid number of arguments in "limit_conn_zone" directive in FILE:3`},
	{name: "old syntax", conf: withZones("limit_conn_zone one $binary_remote_addr 1m;", ""), emerg: `invalid number of arguments in "limit_conn_zone" directive in FILE:3`},
	{name: "zone bound twice", conf: withZones(zoneOne+"\nlimit_conn_zone $uri zone=one:1m;", ""), emerg: `limit_conn_zone "one" is already bound to key "$binary_remote_addr" in FILE:4`},
	{name: "zone size conflict", conf: withZones(zoneOne+"\nlimit_conn_zone $uri zone=one:2m;", ""), emerg: `the size 2097152 of shared memory zone "one" conflicts with already declared size 1048576 in FILE:4`},
	{name: "zone unknown variable", conf: withZones("limit_conn_zone $nosuch zone=one:1m;", ""), emerg: `unknown "nosuch" variable`},
	{name: "zone in server", conf: withZones("", zoneOne), emerg: `"limit_conn_zone" directive is not allowed here in FILE:8`},
	{name: "limit 0", conf: withZones(zoneOne, "limit_conn one 0;"), emerg: `invalid number of connections "0" in FILE:8`},
	{name: "limit negative", conf: withZones(zoneOne, "limit_conn one -1;"), emerg: `invalid number of connections "-1" in FILE:8`},
	{name: "limit invalid", conf: withZones(zoneOne, "limit_conn one x;"), emerg: `invalid number of connections "x" in FILE:8`},
	{name: "limit 65536", conf: withZones(zoneOne, "limit_conn one 65536;"), emerg: `connection limit must be less 65536 in FILE:8`},
	{name: "limit duplicate", conf: withZones(zoneOne, "limit_conn one 1; limit_conn one 2;"), emerg: `"limit_conn" directive is duplicate in FILE:8`},
	{name: "limit arity", conf: withZones(zoneOne, "limit_conn one;"), emerg: `invalid number of arguments in "limit_conn" directive in FILE:8`},
	{name: "limit in if", conf: withZones(zoneOne, "if ($uri) { limit_conn one 1; }"), emerg: `"limit_conn" directive is not allowed here in FILE:8`},
	{name: "status", conf: withZones(zoneOne, "limit_conn_status 429;")},
	{name: "status low", conf: withZones(zoneOne, "limit_conn_status 399;"), emerg: `value must be between 400 and 599 in FILE:8`},
	{name: "status high", conf: withZones(zoneOne, "limit_conn_status 600;"), emerg: `value must be between 400 and 599 in FILE:8`},
	{name: "status invalid", conf: withZones(zoneOne, "limit_conn_status x;"), emerg: `"limit_conn_status" directive invalid number in FILE:8`},
	{name: "status duplicate", conf: withZones(zoneOne, "limit_conn_status 429; limit_conn_status 503;"), emerg: `"limit_conn_status" directive is duplicate in FILE:8`},
	{name: "log level", conf: withZones(zoneOne, "limit_conn_log_level info;")},
	{name: "log level invalid", conf: withZones(zoneOne, "limit_conn_log_level debug;"), emerg: `invalid value "debug" in FILE:8`},
	{name: "dry run", conf: withZones(zoneOne, "limit_conn_dry_run on;")},
	{name: "dry run invalid", conf: withZones(zoneOne, "limit_conn_dry_run yes;"), emerg: `invalid value "yes" in "limit_conn_dry_run" directive, it must be "on" or "off" in FILE:8`},
	{name: "variable", conf: withZones(zoneOne, "return 200 $limit_conn_status;")},
	{name: "stub_status", conf: withZones("", "stub_status;")},
	{name: "stub_status argument", conf: withZones("", "stub_status on;")},
	{name: "stub_status in server", conf: "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        stub_status;\n    }\n}\n"},
	{name: "stub_status in http", conf: "events {}\nhttp {\n    access_log off;\n    stub_status;\n}\n", emerg: `"stub_status" directive is not allowed here in FILE:4`},
	{name: "stub_status arity", conf: withZones("", "stub_status a b;"), emerg: `invalid number of arguments in "stub_status" directive in FILE:8`},
	{name: "stub_status variables", conf: withZones("", "return 200 $connections_active$connections_reading$connections_writing$connections_waiting;")},
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

// TestConfigureArguments: -V no longer says limit_conn is missing and says
// stub_status is there, so the nginx test suite's has() runs their files.
func TestConfigureArguments(t *testing.T) {
	args := core.ConfigureArguments(modules.Implemented)
	if strings.Contains(args, "limit_conn") {
		t.Errorf("configure arguments mention limit_conn: %s", args)
	}
	if !strings.Contains(args, "--with-http_stub_status_module") {
		t.Errorf("configure arguments lack --with-http_stub_status_module: %s", args)
	}
}
