package httpd_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// diffConf is served by Debian's nginx and by sluice alike.
const diffConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { return 200 "root uri=$uri args=$args host=$host\n"; }
        location = /redir { return 301 /target; }
        location = /redir-full { return 302 http://example.com/x; }
        location /e404 { return 404; }
        location /e503 { return 503; }
        location ~ \.php$ { return 200 "php $uri\n"; }
        location /nested/ {
            location /nested/deep/ { return 200 "deep\n"; }
            return 200 "nested\n";
        }
        location ^~ /noregex/ { return 200 "noregex $uri\n"; }
        location = /exact { return 200 "exact\n"; }
        location /internal { internal; return 200 "secret\n"; }
        location /body { return 200 "len=$content_length\n"; }
        location /join { return 200 "[$http_x_a] [$http_x_b] $uri\n"; }
        location /addr { return 200 "server_addr=$server_addr\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name example.com *.example.org www.example.*;
        location / { return 200 "vhost $host $server_name\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name ~^(?<sub>[a-z]+)\.regex\.test$;
        location / { return 200 "regex $sub\n"; }
    }
}
`

// diffRequests are raw requests, normal and malformed; each is sent on a
// fresh connection to both servers.
var diffRequests = []struct{ name, req string }{
	{"get 1.0", "GET / HTTP/1.0\r\n\r\n"},
	{"get 1.1", "GET /a/b?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"get 1.1 close", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"},
	{"keep-alive 1.0", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{"head", "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"http 0.9", "GET /\r\n"},
	{"http 0.9 post", "POST /exact\r\n"},
	{"http 0.9 head", "HEAD /\r\n"},
	{"server addr", "GET /addr HTTP/1.0\r\n\r\n"},
	{"redirect relative", "GET /redir HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"redirect host port", "GET /redir HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"},
	{"redirect full", "GET /redir-full HTTP/1.0\r\n\r\n"},
	{"404 page", "GET /e404 HTTP/1.0\r\n\r\n"},
	{"503 page", "GET /e503 HTTP/1.1\r\nHost: a\r\n\r\n"},
	{"regex location", "GET /x/y.php HTTP/1.0\r\n\r\n"},
	{"nested", "GET /nested/a HTTP/1.0\r\n\r\n"},
	{"nested deep", "GET /nested/deep/a HTTP/1.0\r\n\r\n"},
	{"noregex beats regex", "GET /noregex/a.php HTTP/1.0\r\n\r\n"},
	{"exact", "GET /exact HTTP/1.0\r\n\r\n"},
	{"exact with args", "GET /exact?a=b HTTP/1.0\r\n\r\n"},
	{"internal", "GET /internal HTTP/1.0\r\n\r\n"},
	{"vhost exact", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{"vhost wildcard head", "GET / HTTP/1.1\r\nHost: a.b.example.org\r\n\r\n"},
	{"vhost wildcard tail", "GET / HTTP/1.1\r\nHost: www.example.net\r\n\r\n"},
	{"vhost case and dot", "GET / HTTP/1.1\r\nHost: EXAMPLE.com.\r\n\r\n"},
	{"vhost regex capture", "GET / HTTP/1.1\r\nHost: abc.regex.test\r\n\r\n"},
	{"vhost unknown", "GET / HTTP/1.1\r\nHost: unknown.test\r\n\r\n"},
	{"absolute uri", "GET http://example.com/p?q HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"dot segments", "GET /a/./b/../c HTTP/1.0\r\n\r\n"},
	{"merge slashes", "GET //a///b HTTP/1.0\r\n\r\n"},
	{"percent decode", "GET /%61%62c HTTP/1.0\r\n\r\n"},
	{"encoded slash dots", "GET /a/%2e%2e/b HTTP/1.0\r\n\r\n"},
	{"above root", "GET /../x HTTP/1.0\r\n\r\n"},
	{"encoded nul", "GET /a%00b HTTP/1.0\r\n\r\n"},
	{"bad percent", "GET /a%zz HTTP/1.0\r\n\r\n"},
	{"lowercase method", "get / HTTP/1.0\r\n\r\n"},
	{"bad method char", "G@T / HTTP/1.0\r\n\r\n"},
	{"unknown method", "FOO / HTTP/1.0\r\n\r\n"},
	{"trace", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n"},
	{"version 2", "GET / HTTP/2.0\r\n\r\n"},
	{"version 1.9", "GET / HTTP/1.9\r\nHost: a\r\n\r\n"},
	{"bad version", "GET / HTTP/1.x\r\n\r\n"},
	{"no host 1.1", "GET / HTTP/1.1\r\n\r\n"},
	{"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
	{"invalid host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
	{"host dotdot", "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n"},
	{"empty host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
	{"invalid header ignored", "GET / HTTP/1.0\r\nX@Y: 1\r\n\r\n"},
	{"underscore header", "GET / HTTP/1.0\r\nX_Y: 1\r\n\r\n"},
	{"header no colon", "GET / HTTP/1.0\r\nNoColon\r\n\r\n"},
	{"obs fold", "GET / HTTP/1.0\r\nX: a\r\n b\r\n\r\n"},
	{"bare lf", "GET / HTTP/1.0\nX: a\n\n"},
	{"nul in header", "GET / HTTP/1.0\r\nX: a\x00b\r\n\r\n"},
	{"bad content-length", "GET / HTTP/1.0\r\nContent-Length: x\r\n\r\n"},
	{"negative content-length", "GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n"},
	{"duplicate content-length", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na"},
	{"cl and te", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"te on 1.0", "POST /body HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"unknown te", "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"},
	{"te chunked gzip", "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
	{"post with body", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"},
	{"post chunked", "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
	{"too large body", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n"},
	{"long uri", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.0\r\n\r\n"},
	{"long header", "GET / HTTP/1.0\r\nX: " + strings.Repeat("b", 9000) + "\r\n\r\n"},
	{"many large headers", "GET / HTTP/1.0\r\n" + strings.Repeat("X: "+strings.Repeat("c", 7000)+"\r\n", 5) + "\r\n"},
	{"leading crlf", "\r\n\r\nGET / HTTP/1.0\r\n\r\n"},
	{"space in uri", "GET /a b HTTP/1.0\r\n\r\n"},
	{"expect 100", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok"},
}

func TestDifferentialCore(t *testing.T) {
	n := oracle.Start(t, diffConf)
	s := servertest.Start(t, diffConf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = 300e6
	// redirects name each server's own port
	nport, sport := ":"+strconv.Itoa(n.Port(0)), ":"+s.Port("0")
	cmp.Normalize["location"] = func(v string) string {
		return strings.NewReplacer(nport, ":PORT", sport, ":PORT").Replace(v)
	}
	for _, tc := range diffRequests {
		t.Run(tc.name, func(t *testing.T) {
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
		})
	}
}
