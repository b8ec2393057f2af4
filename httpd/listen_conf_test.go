package httpd_test

import (
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestSoKeepaliveConf checks listen's so_keepalive values and nginx's
// wording for bad ones, against Debian's "nginx -t".
func TestSoKeepaliveConf(t *testing.T) {
	listen := func(param string) string {
		return "events {}\nhttp {\n    server {\n        listen 127.0.0.1:8080 " + param + ";\n    }\n}\n"
	}
	tests := []struct{ name, param, want string }{
		{"on", "so_keepalive=on", ""},
		{"off", "so_keepalive=off", ""},
		{"all three", "so_keepalive=30m:10s:5", ""},
		{"idle only", "so_keepalive=1h", ""},
		{"count only", "so_keepalive=::9", ""},
		{"nothing set", "so_keepalive=::", `invalid so_keepalive value: "::" in FILE:4`},
		{"bad time", "so_keepalive=x:1:1", `invalid so_keepalive value: "x:1:1" in FILE:4`},
		{"bad count", "so_keepalive=1:1:x", `invalid so_keepalive value: "1:1:x" in FILE:4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := servertest.LoadError(t, listen(tc.param), nil); got != tc.want {
				t.Errorf("error\n%s\nwant\n%s", got, tc.want)
			}
			if n := oracle.CheckConfig(t, listen(tc.param)).Emerg; n != tc.want {
				t.Errorf("nginx -t says\n%s\nthe test expects\n%s", n, tc.want)
			}
		})
	}
}
