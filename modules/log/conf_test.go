package log_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
)

// inHTTP puts statements at line 3 of a configuration, at http level;
// inLocation at line 6, inside a location.
func inHTTP(stmts string) string {
	return "events {}\nhttp {\n" + stmts + "\n    server { listen 127.0.0.1:1; access_log off; }\n}\n"
}

func inLocation(stmts string) string {
	return "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + stmts + "\n        }\n    }\n}\n"
}

// confErrors are bad configurations and nginx's message for each ("FILE"
// is the configuration file, "DIR/" the prefix directory).
var confErrors = []struct {
	name, conf, want string
	sluiceOnly       bool
}{
	{name: "format duplicate", conf: inHTTP("log_format a x;\nlog_format a y;"), want: `duplicate "log_format" name "a" in FILE:4`},
	{name: "format combined", conf: inHTTP("log_format combined x;"), want: `duplicate "log_format" name "combined" in FILE:3`},
	{name: "format case differs", conf: inHTTP("log_format a x;\nlog_format A y;\naccess_log off;\naccess_log /dev/null nosuch;"), want: `unknown log format "nosuch" in FILE:6`},
	{name: "format in server", conf: "events {}\nhttp {\n    server {\n        log_format a x;\n    }\n}\n", want: `"log_format" directive is not allowed here in FILE:4`},
	{name: "format arity", conf: inHTTP("log_format a;"), want: `invalid number of arguments in "log_format" directive in FILE:3`},
	{name: "format escaping", conf: inHTTP("log_format a escape=html $uri;"), want: `unknown log format escaping "html" in FILE:3`},
	{name: "format dangling dollar", conf: inHTTP("log_format a \"x $\";"), want: `invalid parameter "$" in FILE:3`},
	{name: "format unclosed brace", conf: inHTTP("log_format a \"${uri x\";"), want: `the closing bracket in "uri" variable is missing in FILE:3`},
	{name: "format unknown variable", conf: inHTTP("log_format a $nosuch;"), want: `unknown "nosuch" variable`},
	{name: "unknown format", conf: inLocation("access_log /dev/null nosuch;"), want: `unknown log format "nosuch" in FILE:7`},
	{name: "format defined later", conf: inLocation("access_log /dev/null later;") + "http {}\n", want: `unknown log format "later" in FILE:7`},
	{name: "off with parameter", conf: inLocation("access_log off combined;"), want: `invalid parameter "combined" in FILE:7`},
	{name: "buffer zero", conf: inLocation("access_log /dev/null combined buffer=0;"), want: `invalid buffer size "0" in FILE:7`},
	{name: "buffer bad", conf: inLocation("access_log /dev/null combined buffer=x;"), want: `invalid buffer size "x" in FILE:7`},
	{name: "flush zero", conf: inLocation("access_log /dev/null combined buffer=1k flush=0;"), want: `invalid flush time "0" in FILE:7`},
	{name: "flush bad", conf: inLocation("access_log /dev/null combined buffer=1k flush=1y;"), want: `invalid flush time "1y" in FILE:7`},
	{name: "flush without buffer", conf: inLocation("access_log /dev/null combined flush=1s;"), want: `no buffer is defined for access_log "/dev/null" in FILE:7`},
	{name: "gzip level zero", conf: inLocation("access_log /dev/null combined gzip=0;"), want: `invalid compression level "0" in FILE:7`},
	{name: "gzip level ten", conf: inLocation("access_log /dev/null combined gzip=10;"), want: `invalid compression level "10" in FILE:7`},
	{name: "gzip level word", conf: inLocation("access_log /dev/null combined gzip=fast;"), want: `invalid compression level "fast" in FILE:7`},
	{name: "gzipped", conf: inLocation("access_log /dev/null combined gzipped;"), want: `invalid parameter "gzipped" in FILE:7`},
	{name: "unknown parameter", conf: inLocation("access_log /dev/null combined foo=1;"), want: `invalid parameter "foo=1" in FILE:7`},
	{name: "buffer with variables", conf: inLocation("access_log /tmp/$host.log combined buffer=1k;"), want: `buffered logs cannot have variables in name in FILE:7`},
	{name: "conflicting buffers", conf: inLocation("access_log /dev/null combined buffer=1k;\naccess_log /dev/null combined buffer=2k;"), want: `access_log "/dev/null" already defined with conflicting parameters in FILE:8`},
	{name: "conflicting gzip", conf: inLocation("access_log /dev/null combined buffer=64k;\naccess_log /dev/null combined gzip;"), want: `access_log "/dev/null" already defined with conflicting parameters in FILE:8`},
	{name: "if unclosed brace", conf: inLocation("access_log /dev/null combined if=${a;"), want: `the closing bracket in "a" variable is missing in FILE:7`},
	{name: "if unknown variable", conf: inLocation("access_log /dev/null combined if=$nosuch;"), want: `unknown "nosuch" variable`},
	{name: "path unknown variable", conf: inLocation("access_log /tmp/$nosuch combined;"), want: `unknown "nosuch" variable`},
	{name: "access_log in server if", conf: "events {}\nhttp {\n    server {\n        if ($uri) { access_log off; }\n    }\n}\n", want: `"access_log" directive is not allowed here in FILE:4`},
	{name: "access_log arity", conf: inLocation("access_log;"), want: `invalid number of arguments in "access_log" directive in FILE:7`},
	{name: "cache without max", conf: inLocation("open_log_file_cache inactive=1s;"), want: `"open_log_file_cache" must have "max" parameter in FILE:7`},
	{name: "cache max zero", conf: inLocation("open_log_file_cache max=0;"), want: `"open_log_file_cache" must have "max" parameter in FILE:7`},
	{name: "cache bad max", conf: inLocation("open_log_file_cache max=x;"), want: `invalid "open_log_file_cache" parameter "max=x" in FILE:7`},
	{name: "cache bad inactive", conf: inLocation("open_log_file_cache max=1 inactive=5ms;"), want: `invalid "open_log_file_cache" parameter "inactive=5ms" in FILE:7`},
	{name: "cache unknown", conf: inLocation("open_log_file_cache max=1 lru;"), want: `invalid "open_log_file_cache" parameter "lru" in FILE:7`},
	{name: "cache duplicate", conf: inLocation("open_log_file_cache off;\nopen_log_file_cache max=1;"), want: `"open_log_file_cache" directive is duplicate in FILE:8`},
	{name: "cache in if", conf: inLocation("if ($uri) { open_log_file_cache off; }"), want: `"open_log_file_cache" directive is not allowed here in FILE:7`},
	{name: "missing directory", conf: inLocation("access_log /nonexistent/dir/x.log;"), want: `open() "/nonexistent/dir/x.log" failed (2: No such file or directory)`},
	{name: "files open after errors", conf: inLocation("access_log /nonexistent/dir/x.log;\nroot /$nosuch;"), want: `unknown "nosuch" variable`},
	{name: "files open after main level", conf: inLocation("access_log /nonexistent/dir/x.log;") + "foo;\n", want: `unknown directive "foo" in FILE:11`},
	{name: "relative missing directory", conf: inLocation("access_log nodir/x.log;"), want: `open() "DIR/nodir/x.log" failed (2: No such file or directory)`},
	{name: "syslog nothing", conf: inLocation("access_log syslog:;"), want: `unknown syslog parameter "" in FILE:7`},
	{name: "syslog no server", conf: inLocation("access_log syslog:tag=x;"), want: `no syslog server specified in FILE:7`},
	{name: "syslog unknown parameter", conf: inLocation("access_log syslog:server=127.0.0.1,level=info;"), want: `unknown syslog parameter "level=info" in FILE:7`},
	{name: "syslog bad facility", conf: inLocation("access_log syslog:server=127.0.0.1,facility=local9;"), want: `unknown syslog facility "local9" in FILE:7`},
	{name: "syslog bad severity", conf: inLocation("access_log syslog:server=127.0.0.1,severity=warning;"), want: `unknown syslog severity "warning" in FILE:7`},
	{name: "syslog duplicate severity", conf: inLocation("access_log syslog:severity=info,server=127.0.0.1,severity=info;"), want: `duplicate syslog "severity" in FILE:7`},
	{name: "syslog bad tag", conf: inLocation("access_log syslog:server=127.0.0.1,tag=my.tag;"), want: `syslog "tag" only allows alphanumeric characters and underscore in FILE:7`},
	{name: "syslog long tag", conf: inLocation("access_log syslog:server=127.0.0.1,tag=abcdefghijklmnopqrstuvwxyz0123456;"), want: `syslog tag length exceeds 32 in FILE:7`},
	{name: "syslog bad port", conf: inLocation("access_log syslog:server=127.0.0.1:65536;"), want: `invalid port in syslog server "127.0.0.1:65536" in FILE:7`},
	{name: "syslog no host", conf: inLocation("access_log syslog:server=:514;"), want: `no host in syslog server ":514" in FILE:7`},
	{name: "syslog bad ipv6", conf: inLocation("access_log syslog:server=[::1;"), want: `invalid host in syslog server "[::1" in FILE:7`},
	{name: "syslog unix no path", conf: inLocation("access_log syslog:server=unix:;"), want: `no path in the unix domain socket in syslog server "unix:" in FILE:7`},
	{name: "syslog buffered", conf: inLocation("access_log syslog:server=127.0.0.1 combined buffer=1k;"), want: `logs to syslog cannot be buffered in FILE:7`},
	{name: "syslog gzip", conf: inLocation("access_log syslog:server=127.0.0.1 combined gzip;"), want: `logs to syslog cannot be buffered in FILE:7`},
	{name: "syslog flush", conf: inLocation("access_log syslog:server=127.0.0.1 combined flush=1s;"), want: `no buffer is defined for access_log "syslog:server=127.0.0.1" in FILE:7`},
	{name: "syslog unknown format", conf: inLocation("access_log syslog:server=127.0.0.1 nosuch;"), want: `unknown log format "nosuch" in FILE:7`},
	{name: "syslog parameters before format", conf: inLocation("access_log syslog:server=127.0.0.1,foo nosuch;"), want: `unknown syslog parameter "foo" in FILE:7`},
}

func TestConfErrors(t *testing.T) {
	for _, tc := range confErrors {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestConfErrorsOracle checks the expected messages against nginx -t.
func TestConfErrorsOracle(t *testing.T) {
	for _, tc := range confErrors {
		if tc.sluiceOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if msg := oracle.CheckConfig(t, tc.conf).Emerg; msg != tc.want {
				t.Errorf("nginx says:\n%s\nthe test expects:\n%s", msg, tc.want)
			}
		})
	}
}

func TestGoodConfs(t *testing.T) {
	tests := []struct{ name, conf string }{
		{"several formats", inHTTP("log_format a x;\nlog_format b escape=json '{\"u\":\"$uri\"}';\naccess_log /dev/null a;\naccess_log /dev/null B;")},
		{"shared buffer", inLocation("access_log /dev/null combined buffer=1k flush=1s;\naccess_log /dev/null combined buffer=1k flush=1s;")},
		{"gzip levels", inLocation("access_log /dev/null combined gzip=9 buffer=8k;")},
		{"if in location", inLocation("if ($uri) { access_log /dev/null; }")},
		{"limit_except", inLocation("limit_except GET { access_log off; }")},
		{"cache off then in location", inLocation("open_log_file_cache max=10 inactive=1m min_uses=2 valid=2m;\naccess_log /tmp/$host combined;")},
		{"no server", "events {}\nhttp {\n    log_format a x;\n}\n"},
		{"syslog", inLocation("access_log syslog:server=127.0.0.1;\naccess_log syslog:server=[::1]:5140,facility=user,severity=alert,tag=T_1,nohostname combined if=$arg_x;")},
		{"syslog unix and host name", inLocation("access_log syslog:server=unix:/nonexistent/log.sock,tag=;\naccess_log syslog:server=localhost:1;")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadConf(t, tc.conf); got != "" {
				t.Errorf("error: %s", got)
			}
		})
	}
}
