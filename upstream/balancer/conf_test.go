package balancer_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
)

// ups is a configuration with an upstream block u whose body starts at
// line 4.
func ups(body string) string { return confWith("    upstream u {\n" + body + "\n    }") }

// confErrorCases are configurations sluice must reject with nginx's
// message.
var confErrorCases = []struct {
	name, conf, want string
}{
	{"empty block", ups(""), `no servers are inside upstream in FILE:5`},
	{"upstream without block", confWith("    upstream u;"), `directive "upstream" has no opening "{" in FILE:3`},
	{"upstream arity", confWith("    upstream {}"), `invalid number of arguments in "upstream" directive in FILE:3`},
	{"upstream in server", "events {}\nhttp {\n    server {\n        upstream u { server 127.0.0.1; }\n    }\n}\n",
		`"upstream" directive is not allowed here in FILE:4`},
	{"duplicate upstream", confWith("    upstream u { server 127.0.0.1; }\n    upstream U { server 127.0.0.1; }"),
		`duplicate upstream "U" in FILE:4`},
	{"server outside upstream", "events {}\nhttp {\n    server { listen 127.0.0.1:1; server 127.0.0.1; }\n}\n",
		`"server" directive is not allowed here in FILE:3`},
	{"server arity", ups("server;"), `invalid number of arguments in "server" directive in FILE:4`},
	{"unknown parameter", ups("server 127.0.0.1 foo;"), `invalid parameter "foo" in FILE:4`},
	{"weight zero", ups("server 127.0.0.1 weight=0;"), `invalid parameter "weight=0" in FILE:4`},
	{"weight empty", ups("server 127.0.0.1 weight=;"), `invalid parameter "weight=" in FILE:4`},
	{"weight negative", ups("server 127.0.0.1 weight=-1;"), `invalid parameter "weight=-1" in FILE:4`},
	{"max_fails word", ups("server 127.0.0.1 max_fails=x;"), `invalid parameter "max_fails=x" in FILE:4`},
	{"max_conns word", ups("server 127.0.0.1 max_conns=1k;"), `invalid parameter "max_conns=1k" in FILE:4`},
	{"fail_timeout bad", ups("server 127.0.0.1 fail_timeout=1x;"), `invalid parameter "fail_timeout=1x" in FILE:4`},
	{"fail_timeout ms", ups("server 127.0.0.1 fail_timeout=10ms;"), `invalid parameter "fail_timeout=10ms" in FILE:4`},
	{"backup=1", ups("server 127.0.0.1 backup=1;"), `invalid parameter "backup=1" in FILE:4`},
	{"invalid port", ups("server 127.0.0.1:99999;"), `invalid port in upstream "127.0.0.1:99999" in FILE:4`},
	{"port zero", ups("server 127.0.0.1:0;"), `invalid port in upstream "127.0.0.1:0" in FILE:4`},
	{"no host", ups("server :80;"), `no host in upstream ":80" in FILE:4`},
	{"uri in server", ups("server 127.0.0.1/x;"), `invalid host in upstream "127.0.0.1/x" in FILE:4`},
	{"bad ipv6", ups("server [::x];"), `invalid IPv6 address in upstream "[::x]" in FILE:4`},
	{"unclosed ipv6", ups("server [::1;"), `invalid host in upstream "[::1" in FILE:4`},
	{"empty unix path", ups("server unix:;"), `no path in the unix domain socket in upstream "unix:" in FILE:4`},
	{"long unix path", ups("server unix:/" + strings.Repeat("x", 107) + ";"),
		`too long path in the unix domain socket in upstream "unix:/` + strings.Repeat("x", 107) + `" in FILE:4`},
	{"host not found", ups("server nonexistent.invalid;"), `host not found in upstream "nonexistent.invalid" in FILE:4`},
	{"backup after hash", ups("hash $uri;\nserver 127.0.0.1 backup;"), `balancing method does not support parameter "backup" in FILE:5`},
	{"backup after ip_hash", ups("ip_hash;\nserver 127.0.0.1 backup;"), `balancing method does not support parameter "backup" in FILE:5`},
	{"backup after random", ups("random;\nserver 127.0.0.1 backup;"), `balancing method does not support parameter "backup" in FILE:5`},
	{"only backups", ups("server 127.0.0.1 backup;"), `no servers in upstream "u" in FILE:3`},
	{"hash bad parameter", ups("hash $uri foo;\nserver 127.0.0.1;"), `invalid parameter "foo" in FILE:4`},
	{"hash arity", ups("hash;\nserver 127.0.0.1;"), `invalid number of arguments in "hash" directive in FILE:4`},
	{"hash bad variable", ups("hash $;\nserver 127.0.0.1;"), `invalid variable name in FILE:4`},
	{"hash unknown variable", ups("hash $nosuch;\nserver 127.0.0.1;"), `unknown "nosuch" variable`},
	{"ip_hash arity", ups("ip_hash on;\nserver 127.0.0.1;"), `invalid number of arguments in "ip_hash" directive in FILE:4`},
	{"least_conn arity", ups("least_conn 1;\nserver 127.0.0.1;"), `invalid number of arguments in "least_conn" directive in FILE:4`},
	{"random bad", ups("random three;\nserver 127.0.0.1;"), `invalid parameter "three" in FILE:4`},
	{"random two bad", ups("random two most_conn;\nserver 127.0.0.1;"), `invalid parameter "most_conn" in FILE:4`},
	{"keepalive word", ups("server 127.0.0.1;\nkeepalive x;"), `invalid value "x" in "keepalive" directive in FILE:5`},
	{"keepalive duplicate", ups("server 127.0.0.1;\nkeepalive 1;\nkeepalive 2;"), `"keepalive" directive is duplicate in FILE:6`},
	{"keepalive bad parameter", ups("server 127.0.0.1;\nkeepalive 1 global;"), `invalid parameter "global" in FILE:5`},
	{"keepalive_requests word", ups("server 127.0.0.1;\nkeepalive_requests x;"), `"keepalive_requests" directive invalid number in FILE:5`},
	{"keepalive_timeout bad", ups("server 127.0.0.1;\nkeepalive_timeout x;"), `"keepalive_timeout" directive invalid value in FILE:5`},
	{"keepalive_time duplicate", ups("server 127.0.0.1;\nkeepalive_time 1s;\nkeepalive_time 2s;"), `"keepalive_time" directive is duplicate in FILE:6`},
	{"zone size bad", ups("zone z x;\nserver 127.0.0.1;"), `invalid zone size "x" in FILE:4`},
	{"zone too small", ups("zone z 1k;\nserver 127.0.0.1;"), `zone "z" is too small in FILE:4`},
	{"zone empty name", ups("zone \"\" 1m;\nserver 127.0.0.1;"), `invalid zone name "" in FILE:4`},
	{"zone without size", ups("zone z;\nserver 127.0.0.1;"), `zero size shared memory zone "z"`},
	{"zone size conflict", confWith("    upstream u { zone z 1m; server 127.0.0.1; }\n    upstream v { zone z 2m; server 127.0.0.1; }"),
		`the size 2097152 of shared memory zone "z" conflicts with already declared size 1048576 in FILE:4`},
	{"resolve without zone", ups("server localhost resolve;"),
		`resolving names at run time requires upstream "u" in FILE:3 to be in shared memory`},
	{"resolve without resolver", ups("zone z 1m;\nserver localhost resolve;"),
		`no resolver defined to resolve names at run time in upstream "u" in FILE:3`},
	{"service without resolve", ups("server example.com service=http;"), `service upstream "example.com" requires "resolve" parameter in FILE:4`},
	{"service with port", ups("server example.com:80 service=http resolve;"), `service upstream "example.com:80" may not have port in FILE:4`},
	{"service on address", ups("server 127.0.0.1 service=http resolve;"), `service upstream "127.0.0.1" requires domain name in FILE:4`},
	{"service empty", ups("server example.com service= resolve;"), `service is empty in FILE:4`},
	{"upstream resolver duplicate", ups("resolver 127.0.0.1;\nresolver 127.0.0.2;\nserver 127.0.0.1;"), `"resolver" directive is duplicate in FILE:5`},
	{"pass to unknown host", "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / { bt_pass nonexistent.invalid; }\n    }\n}\n",
		`host not found in upstream "nonexistent.invalid" in FILE:5`},
	{"pass with bad port", "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / { bt_pass 127.0.0.1:x; }\n    }\n}\n",
		`invalid port in upstream "127.0.0.1:x" in FILE:5`},
	{"group named with a port", "events {}\nhttp {\n    upstream u { server 127.0.0.1; }\n    server {\n        listen 127.0.0.1:1;\n        location / { bt_pass u:8080; }\n    }\n}\n",
		`upstream "u" may not have port 8080 in FILE:6`},
	{"group declared after a pass with a port", "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n        location / { bt_pass u:8080; }\n    }\n    upstream u { server 127.0.0.1; }\n}\n",
		`upstream "u" may not have port 8080 in FILE:5`},
}

func TestConfErrors(t *testing.T) {
	for _, tt := range confErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := loadConf(t, tt.conf)
			if got != tt.want {
				t.Errorf("error\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestConfAccepted(t *testing.T) {
	tests := []struct {
		name, block, warn string
	}{
		{"every parameter", "server 127.0.0.1:8080 weight=2 max_fails=0 fail_timeout=1m max_conns=10;\n" +
			"server 127.0.0.1:8081 backup;\nserver 127.0.0.1:8082 down;", ""},
		{"hash consistent", "hash $request_uri consistent;\nserver 127.0.0.1 weight=3;", ""},
		{"backup before hash", "server 127.0.0.1;\nserver 127.0.0.2 backup;\nhash $uri;", ""},
		{"ipv6 and unix", "server [::1]:8080;\nserver unix:/tmp/x.sock;", ""},
		{"host with addresses", "server localhost:8080;", ""},
		{"random two least_conn", "random two least_conn;\nserver 127.0.0.1;\nserver 127.0.0.2;", ""},
		{"keepalive family", "server 127.0.0.1;\nkeepalive 16 local;\nkeepalive_requests 100;\nkeepalive_time 10m;\nkeepalive_timeout 5s;", ""},
		{"keepalive off", "server 127.0.0.1;\nkeepalive 0;", ""},
		{"zone", "zone backend 64k;\nserver 127.0.0.1;", ""},
		{"resolve with a literal address", "server 127.0.0.1 resolve;", ""},
		{"resolve", "zone z 1m;\nresolver 127.0.0.1 valid=5s ipv6=off;\nresolver_timeout 1s;\nserver localhost resolve;", ""},
		{"method redefined warns", "least_conn;\nip_hash;\nserver 127.0.0.1;", `load balancing method redefined in FILE:5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warn := loadConf(t, confWith("    upstream u {\n"+tt.block+"\n    }"))
			if got != "" {
				t.Fatalf("error %q", got)
			}
			if tt.warn != "" && !strings.Contains(warn, tt.warn) {
				t.Errorf("log %q, want %q", warn, tt.warn)
			}
		})
	}
	t.Run("group declared after its use", func(t *testing.T) {
		got, _ := loadConf(t, "events {}\nhttp {\n    server {\n        listen 127.0.0.1:1;\n"+
			"        location / { bt_pass u; }\n    }\n    upstream u { server 127.0.0.1:8080; }\n}\n")
		if got != "" {
			t.Fatalf("error %q", got)
		}
	})
}

// masterOnly names the cases nginx 1.22 (the oracle) cannot check: the
// "local" keepalive parameter and run-time resolution in upstream blocks
// came later.
var masterOnly = map[string]bool{
	"keepalive bad parameter": true, "resolve without zone": true, "resolve without resolver": true,
	"service without resolve": true, "service with port": true, "service on address": true,
	"service empty": true, "upstream resolver duplicate": true,
}

// knownDiff names the cases where sluice knowingly differs from nginx.
var knownDiff = map[string]bool{}

// TestConfErrorsMatchNginx runs Debian's nginx -t on the same
// configurations (bt_pass becoming proxy_pass) and requires the message
// sluice gives.
func TestConfErrorsMatchNginx(t *testing.T) {
	for _, tt := range confErrorCases {
		if masterOnly[tt.name] || knownDiff[tt.name] {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := strings.ReplaceAll(tt.conf, "bt_pass ", "proxy_pass http://")
			if got := oracle.CheckConfig(t, text).Emerg; got != tt.want {
				t.Errorf("nginx says %q, sluice %q", got, tt.want)
			}
		})
	}
}
