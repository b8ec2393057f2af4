package log_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// oracleConf runs in Debian's nginx and in sluice; every log file it
// names is compared line by line. Formats avoid what cannot match between
// two servers (times, the Server header's length in $bytes_sent, the
// error pages' footer in $body_bytes_sent).
const oracleConf = `
http {
    root %%PREFIX%%;
    log_format test "$uri:$status";
    log_format long "long line $uri:$status" " $request_method" ' [$arg_q]';
    log_format esc_default escape=default $uri|$arg_b|$http_x_test|$cookie_nosuch;
    log_format esc_none escape=none $uri|$arg_b|$http_x_test|$cookie_nosuch;
    log_format esc_json escape=json '{"uri":"$uri","b":"$arg_b","x":"$http_x_test","n":"$cookie_none"}';
    log_format parts '$request_method $uri $status $body_bytes_sent $request_length $pipe $connection_requests "$request" "$http_referer" $remote_addr $server_protocol $content_length';
    log_format braces "${uri}x${status}y$arg_a";
    log_format vars "$uri $sent_http_content_type [$http_user_agent] $is_args";
    access_log %%PREFIX%%/http.log test;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        access_log %%PREFIX%%/server.log test;

        location /inherit { return 200 OK; }
        location /own {
            access_log %%PREFIX%%/own.log long;
            return 200 OK;
            location /own/off { access_log off; return 200 OK; }
            location /own/both { access_log off; access_log %%PREFIX%%/both.log test; return 200 OK; }
        }
        location /combined { access_log %%PREFIX%%/combined.log; return 200 OK; }
        location /combined2 { access_log %%PREFIX%%/combined.log COMBINED; return 200 OK; }
        location /filtered { access_log %%PREFIX%%/filtered.log test if=$arg_logme; return 200 OK; }
        location /complex { access_log %%PREFIX%%/complex.log test if=$arg_a$arg_b; return 200 OK; }
        location /multi {
            access_log %%PREFIX%%/multi1.log test;
            access_log %%PREFIX%%/multi2.log long;
            access_log %%PREFIX%%/multi1.log braces;
            return 200 OK;
        }
        location /escape {
            access_log %%PREFIX%%/default.log esc_default;
            access_log %%PREFIX%%/none.log esc_none;
            access_log %%PREFIX%%/json.log esc_json;
            return 200 OK;
        }
        location /parts { access_log %%PREFIX%%/parts.log parts; return 200 "twelve bytes"; }
        location /vars { access_log %%PREFIX%%/vars.log vars; return 302 /elsewhere; }
        location /varlog { access_log %%PREFIX%%/var_$arg_name.log test; return 200 OK; }
        location /noroot { root %%PREFIX%%/missing; access_log %%PREFIX%%/nr_$arg_name.log test; return 200 OK; }
        location /if {
            if ($arg_x) { access_log %%PREFIX%%/if.log test; }
            return 200 OK;
        }
        location /status {
            access_log %%PREFIX%%/status.log test;
            location /status/204 { return 204; }
            location /status/301 { return 301 /x; }
            location /status/404 { return 404; }
            location /status/444 { return 444; }
            location /status/500 { return 500; }
            location /status/ep { error_page 404 = /status/204; return 404; }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name localhost;
        location / { return 200 OK; }
        location /off { access_log off; return 200 OK; }
    }
}
`

// oracleRequests are raw requests (one connection each), or paths for a
// GET with HTTP/1.0; a leading "1:" sends to the second server.
var oracleRequests = []string{
	"/inherit", "/inherit?a=b", "/own", "/own/x?q=1", "/own/off", "/own/both",
	"/combined", "/combined2",
	"GET /combined HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: agent \"x\"\r\nReferer: http://r/\r\n\r\n",
	"/filtered", "/filtered?logme=", "/filtered?logme=0", "/filtered?logme=00", "/filtered?logme=1", "/filtered?logme=yes",
	"/complex", "/complex?a=0", "/complex?b=0", "/complex?a=0&b=0", "/complex?a=&b=", "/complex?a=1",
	"/multi", "/multi?a=z",
	"/escape/%221%20%1B%1C%20%22?b=2", "/escape/a%5Cb?b=%7F%80%FF", "/escape/%0A%0D%09%08%0C?b=%01%1F%20",
	"/escape/%C3%A9t%C3%A9?b=caf%C3%A9",
	"GET /escape HTTP/1.0\r\nX-Test: q\"u\\o\tte\r\n\r\n",
	"GET /escape HTTP/1.0\r\nX-Test: \r\n\r\n",
	"/parts", "/parts?x", "HEAD /parts HTTP/1.0\r\n\r\n",
	"GET /parts HTTP/1.1\r\nHost: localhost\r\nReferer: -\r\n\r\nGET /parts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	"POST /parts HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
	"GET /parts HTTP/1.0\r\n\r\n",
	"/vars", "/vars?a=1", "GET /vars HTTP/1.0\r\nUser-Agent: \r\n\r\n",
	"/varlog?name=a", "/varlog", "/varlog?name=a&x", "/noroot?name=b",
	"/if", "/if?x=1", "/if?x=0",
	"/status/204", "/status/301?a", "/status/404", "/status/444", "/status/500", "/status/ep", "/status/none",
	"GET /status/../.. HTTP/1.0\r\n\r\n", "GET /status HTTP/1.1\r\n\r\n",
	"1:/", "1:/off", "1:/x?y",
}

// oracleLogs are the files the configuration writes.
var oracleLogs = []string{
	"http.log", "server.log", "own.log", "both.log", "combined.log", "filtered.log", "complex.log",
	"multi1.log", "multi2.log", "default.log", "none.log", "json.log", "parts.log", "vars.log",
	"var_a.log", "var_.log", "nr_b.log", "if.log", "status.log",
}

// masks hide what differs between two servers in the compared lines.
var (
	timeLocal = regexp.MustCompile(`\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`)
)

func TestOracleLogLines(t *testing.T) {
	ngx := oracle.Start(t, oracleConf)
	s := servertest.Start(t, "events {}\n"+strings.NewReplacer("%%PORT_0%%", "%%PORT_A%%", "%%PORT_1%%", "%%PORT_B%%").Replace(oracleConf))
	for _, req := range oracleRequests {
		port := 0
		if strings.HasPrefix(req, "1:") {
			port, req = 1, req[2:]
		}
		raw := req
		if !strings.Contains(req, "\r\n\r\n") {
			raw = "GET " + req + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
		}
		exchange(t, ngx.Addr(port), raw)
		exchange(t, s.Addr([]string{"A", "B"}[port]), raw)
	}
	// nginx writes the line of a request it closes with a lingering close
	// (a POST) only after the lingering ends: stop it to have every line.
	ngx.Stop()
	norm := func(s string) string { return timeLocal.ReplaceAllString(s, "[TIME]") }
	for _, name := range oracleLogs {
		want := norm(readFile(t, filepath.Join(ngx.Prefix(), name)))
		got := norm(readFile(t, filepath.Join(s.Prefix(), name)))
		if want != got {
			t.Errorf("%s differs\nnginx:\n%s\nsluice:\n%s", name, want, got)
		}
		if name == "nr_b.log" || name == "both.log" {
			continue // nothing is written: root missing; "off" wins
		}
		if want == "" {
			t.Errorf("%s: nginx wrote nothing, the test compares nothing", name)
		}
	}
	for _, dir := range []string{ngx.Prefix(), s.Prefix()} {
		if _, err := os.Stat(filepath.Join(dir, "nr_b.log")); err == nil {
			t.Errorf("%s: a log was written for a request whose root is missing", dir)
		}
	}
	if !strings.Contains(s.ErrorLog(), `testing "`+s.Prefix()+`missing" existence failed (2: No such file or directory)`) {
		t.Errorf("sluice error log lacks the root test failure:\n%s", s.ErrorLog())
	}
}
