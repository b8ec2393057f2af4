package rewrite_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const benchConf = `
events {}
http {
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        location /text { return 200 "text"; }
        location /old/ { rewrite ^/old/(.*)$ /new/$1 last; }
        location /new/ { return 204; }
        location /if/ {
            if ($arg_a ~ ^(\d+)$) { set $n $1; }
            if ($http_user_agent ~* bot) { return 403; }
            return 200 "n=$n";
        }
        location /redir { rewrite ^ http://example.com$uri permanent; }
    }
}
`

// BenchmarkRequests measures whole requests over one keepalive loopback
// connection (client and server in this process: allocations of both are
// counted).
func BenchmarkRequests(b *testing.B) {
	s := servertest.Start(b, benchConf)
	for _, bc := range []struct{ name, path string }{
		{"return_204", "/new/x"},
		{"return_text", "/text"},
		{"rewrite_last", "/old/a/b"},
		{"if_regex_set", "/if/?a=123"},
		{"redirect", "/redir"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := testutil.Dial(b, s.Addr("A"))
			defer c.Close()
			req := "GET " + bc.path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\n\r\n"
			b.ReportAllocs()
			for b.Loop() {
				if err := c.WriteString(req); err != nil {
					b.Fatal(err)
				}
				if _, err := c.ReadResponse(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
