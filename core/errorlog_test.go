package core_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// mainLevel puts a statement at line 1, before "events {}"; httpLevel at
// line 3, inside http.
func mainLevel(stmt string) string { return stmt + "\nevents {}\n" }

func httpLevel(stmt string) string {
	return "events {}\nhttp {\n" + stmt + "\n    server { listen 127.0.0.1:1; access_log off; }\n}\n"
}

// errorLogConfs are error_log configurations with nginx's message ("" for
// a good one); each is checked against nginx -t too.
var errorLogConfs = []struct{ name, conf, want string }{
	{name: "syslog", conf: mainLevel("error_log syslog:server=127.0.0.1;")},
	{name: "syslog with level", conf: mainLevel("error_log syslog:server=127.0.0.1:5140,facility=local0,tag=app info;")},
	{name: "syslog severity accepted", conf: mainLevel("error_log syslog:server=[::1],severity=debug,nohostname warn;")},
	{name: "syslog and files", conf: mainLevel("error_log syslog:server=127.0.0.1 debug;\nerror_log stderr;\nerror_log syslog:server=unix:/nonexistent/log.sock;")},
	{name: "syslog at http level", conf: httpLevel("error_log syslog:server=127.0.0.1 notice;")},
	{name: "syslog in location", conf: "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / { error_log syslog:server=127.0.0.1,tag=loc emerg; }\n    }\n}\n"},
	{name: "syslog debug_http", conf: mainLevel("error_log syslog:server=127.0.0.1 debug_http debug_core;")},

	{name: "no server", conf: mainLevel("error_log syslog:facility=user;"), want: `no syslog server specified in FILE:1`},
	{name: "empty parameter", conf: mainLevel("error_log syslog:server=127.0.0.1,,tag=x;"), want: `unknown syslog parameter "" in FILE:1`},
	{name: "unknown parameter", conf: httpLevel("error_log syslog:server=127.0.0.1,hostname;"), want: `unknown syslog parameter "hostname" in FILE:3`},
	{name: "bad facility", conf: mainLevel("error_log syslog:server=127.0.0.1,facility=LOCAL7;"), want: `unknown syslog facility "LOCAL7" in FILE:1`},
	{name: "bad severity", conf: mainLevel("error_log syslog:server=127.0.0.1,severity=err;"), want: `unknown syslog severity "err" in FILE:1`},
	{name: "duplicate server", conf: mainLevel("error_log syslog:server=127.0.0.1,server=127.0.0.1;"), want: `duplicate syslog "server" in FILE:1`},
	{name: "duplicate tag", conf: mainLevel("error_log syslog:tag=a,server=127.0.0.1,tag=a;"), want: `duplicate syslog "tag" in FILE:1`},
	{name: "bad tag", conf: mainLevel("error_log syslog:server=127.0.0.1,tag=a/b;"), want: `syslog "tag" only allows alphanumeric characters and underscore in FILE:1`},
	{name: "bad port", conf: mainLevel("error_log syslog:server=127.0.0.1:0;"), want: `invalid port in syslog server "127.0.0.1:0" in FILE:1`},
	{name: "bad level", conf: mainLevel("error_log syslog:server=127.0.0.1 loud;"), want: `invalid log level "loud" in FILE:1`},
	{name: "two levels", conf: httpLevel("error_log syslog:server=127.0.0.1 info warn;"), want: `duplicate log level "warn" in FILE:3`},
	{name: "parameters before level", conf: mainLevel("error_log syslog:server=127.0.0.1,x loud;"), want: `unknown syslog parameter "x" in FILE:1`},
}

func TestErrorLogSyslogConf(t *testing.T) {
	for _, tc := range errorLogConfs {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, tc.conf, nil); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestErrorLogSyslogConfOracle(t *testing.T) {
	for _, tc := range errorLogConfs {
		t.Run(tc.name, func(t *testing.T) {
			if msg := oracle.CheckConfig(t, tc.conf).Emerg; msg != tc.want {
				t.Errorf("nginx says:\n%s\nthe test expects:\n%s", msg, tc.want)
			}
		})
	}
}
