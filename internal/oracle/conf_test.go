package oracle

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPrepareConf(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		root    bool
		wantErr string
		// has and lacks are substrings of the final text.
		has, lacks []string
		ports      map[int]int
		listen     []int
		pid, elog  string
	}{
		{
			name: "minimal http gets everything",
			conf: "http { server { listen 127.0.0.1:%%PORT_0%%; return 200; } }",
			root: true,
			has: []string{
				"daemon off;", "pid /p/nginx.pid;", "error_log /p/error.log info;", "user root;", "events {}",
				"access_log /p/access.log;", "client_body_temp_path /p/client_body_temp;",
				"proxy_temp_path /p/proxy_temp;", "scgi_temp_path /p/scgi_temp;",
				"listen 127.0.0.1:20000;",
			},
			ports:  map[int]int{0: 20000},
			listen: []int{20000},
			pid:    "/p/nginx.pid",
			elog:   "/p/error.log",
		},
		{
			name:  "not root adds no user",
			conf:  "events {} http { }",
			lacks: []string{"user root;", "events {}\n"},
		},
		{
			name: "existing directives are kept",
			conf: "daemon off; pid run/x.pid; error_log stderr debug; user nobody; events { }\n" +
				"http { access_log %%PREFIX%%/a.log; proxy_temp_path /tmp/pt; server { access_log off; } }",
			root:  true,
			has:   []string{"access_log /p/a.log;", "client_body_temp_path /p/client_body_temp;"},
			lacks: []string{"daemon off;\npid", "user root;", "access_log /p/access.log;", "proxy_temp_path /p/"},
			pid:   "/p/run/x.pid",
			elog:  "/p/" + stderrFile,
		},
		{
			name:   "ports by index, reused, and only listened ones awaited",
			conf:   "http { upstream u { server 127.0.0.1:%%PORT_1%%; } server { listen 127.0.0.1:%%PORT_0%%; listen [::1]:%%PORT_0%%; proxy_pass http://127.0.0.1:%%PORT_1%%; } }",
			has:    []string{"server 127.0.0.1:20001;", "listen [::1]:20000;"},
			ports:  map[int]int{0: 20000, 1: 20001},
			listen: []int{20000},
		},
		{
			name:   "udp listen not awaited",
			conf:   "stream { server { listen 127.0.0.1:%%PORT_0%% udp; return x; } }",
			ports:  map[int]int{0: 20000},
			listen: nil,
		},
		{
			name: "modules placeholder",
			conf: "load_module %%MODULES%%/ngx_stream_module.so; events {}",
			has:  []string{"load_module /usr/lib/nginx/modules/ngx_stream_module.so;"},
		},
		{
			name:    "daemon on refused",
			conf:    "daemon on; events {}",
			wantErr: "daemon on",
		},
		{
			name:    "unknown placeholder",
			conf:    "events {} http { root %%TESTDIR%%; }",
			wantErr: "unknown placeholder %%TESTDIR%%",
		},
		{
			name:    "unbalanced braces",
			conf:    "events {} http { server { }",
			wantErr: "cannot scan",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := 20000
			alloc := func() (int, error) { next++; return next - 1, nil }
			p, err := prepareConf(tc.conf, "/p", alloc, tc.root, "info")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.has {
				if !strings.Contains(p.text, s) {
					t.Errorf("final conf lacks %q:\n%s", s, p.text)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(p.text, s) {
					t.Errorf("final conf has %q:\n%s", s, p.text)
				}
			}
			if tc.ports != nil && !reflect.DeepEqual(p.ports, tc.ports) {
				t.Errorf("ports = %v, want %v", p.ports, tc.ports)
			}
			if tc.ports != nil && !reflect.DeepEqual(p.listenPorts, tc.listen) {
				t.Errorf("listen ports = %v, want %v", p.listenPorts, tc.listen)
			}
			if tc.pid != "" && p.pidPath != tc.pid {
				t.Errorf("pid path = %q, want %q", p.pidPath, tc.pid)
			}
			if tc.elog != "" && p.errorLog != tc.elog {
				t.Errorf("error log = %q, want %q", p.errorLog, tc.elog)
			}
			if _, err := scanConf(p.text); err != nil {
				t.Errorf("final conf does not scan: %v", err)
			}
		})
	}
}

func TestListenPort(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"8080", 8080}, {"127.0.0.1:8080", 8080}, {"[::1]:81", 81}, {"[::1]", 0},
		{"unix:/tmp/s", 0}, {"localhost", 0}, {"*:90", 90},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := listenPort(tc.in); got != tc.want {
				t.Errorf("listenPort(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestScanConf(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []string // "depth:parent:name args..."
		wantErr bool
	}{
		{
			name: "nesting comments and quotes",
			text: "# c\nuser a b; http { # x\n server { return 200 \"a;b}{\\\"\"; set $x '${y}z'; } }",
			want: []string{"0::user a b", "0::http", "1:http:server", "2:server:return 200 a;b}{\"", "2:server:set $x ${y}z"},
		},
		{
			name: "variable braces in a bare word",
			text: "location ~ ^/a${b}c { }",
			want: []string{"0::location ~ ^/a${b}c"},
		},
		{name: "unterminated quote", text: "a \"b;", wantErr: true},
		{name: "stray close", text: "a; }", wantErr: true},
		{name: "missing semicolon at end", text: "a b", wantErr: true},
		{name: "empty directive", text: ";", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dirs, err := scanConf(tc.text)
			if tc.wantErr {
				if !errors.Is(err, errConfSyntax) {
					t.Fatalf("err = %v, want errConfSyntax", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range dirs {
				got = append(got, strings.TrimSpace(strings.Join(append([]string{itoa(d.depth) + ":" + d.parent + ":" + d.name}, d.args...), " ")))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
