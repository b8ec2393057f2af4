package httpd_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestServerNameConf checks server_name's conflicts and invalid wildcards
// as nginx's ngx_http_server_names has them, against Debian's nginx -t:
// an exact name and ".name" claim the same name, "*.name" and ".name"
// too; a name taken first wins and the later one is ignored with a
// warning, in the same server too; nothing is checked when one server
// has the address, unless its last regex name has captures.
func TestServerNameConf(t *testing.T) {
	conf := func(names ...string) string {
		var b strings.Builder
		b.WriteString("events {}\nhttp {\n")
		for _, n := range names {
			b.WriteString("    server { listen 127.0.0.1:8080; server_name " + n + "; }\n")
		}
		b.WriteString("}\n")
		return b.String()
	}
	tests := []struct {
		name  string
		conf  string
		emerg string
		warns []string
	}{
		{"dot then star", conf(".example.com", "*.example.com"), "",
			[]string{`conflicting server name "*.example.com" on 127.0.0.1:8080, ignored`}},
		{"exact then dot", conf("example.com", ".example.com"), "",
			[]string{`conflicting server name ".example.com" on 127.0.0.1:8080, ignored`}},
		{"dot then exact", conf(".example.com", "example.com"), "",
			[]string{`conflicting server name "example.com" on 127.0.0.1:8080, ignored`}},
		{"star and exact agree", conf("*.example.com", "example.com"), "", nil},
		{"ignored dot still claims", conf("*.a.com .a.com", "a.com"), "",
			[]string{`conflicting server name ".a.com" on 127.0.0.1:8080, ignored`,
				`conflicting server name "a.com" on 127.0.0.1:8080, ignored`}},
		{"twice in one server", conf("a a", "x"), "",
			[]string{`conflicting server name "a" on 127.0.0.1:8080, ignored`}},
		{"tail twice", conf("www.example.*", "WWW.example.*"), "",
			[]string{`conflicting server name "www.example.*" on 127.0.0.1:8080, ignored`}},
		{"empty names", conf(`""`, `""`), "",
			[]string{`conflicting server name "" on 127.0.0.1:8080, ignored`}},
		{"inner star", conf("www.*.com", "x"), `invalid server name or wildcard "www.*.com" on 127.0.0.1:8080`, nil},
		{"two stars", conf("*.example.*", "x"), `invalid server name or wildcard "*.example.*" on 127.0.0.1:8080`, nil},
		{"empty label", conf("a..com", "x"), `invalid server name or wildcard "a..com" on 127.0.0.1:8080`, nil},
		{"one server: not checked", conf("a a www.*.com"), "", nil},
		{"one server, captures: checked", conf(`~^(a)$ a a`), "",
			[]string{`conflicting server name "a" on 127.0.0.1:8080, ignored`}},
		{"one server, last regex without captures", conf(`~^(a)$ ~^a$ www.*.com`), "", nil},
		{"one server, last regex with captures", conf(`~^a$ ~^(?<x>a)$ www.*.com`),
			`invalid server name or wildcard "www.*.com" on 127.0.0.1:8080`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emerg, warns := servertest.LoadWarnings(t, tc.conf, nil)
			if emerg != tc.emerg || strings.Join(warns, "\n") != strings.Join(tc.warns, "\n") {
				t.Errorf("sluice: emerg %q warns %q; the test expects %q %q", emerg, warns, tc.emerg, tc.warns)
			}
			c := oracle.CheckConfig(t, tc.conf)
			if c.Emerg != tc.emerg || strings.Join(c.Warns, "\n") != strings.Join(tc.warns, "\n") {
				t.Errorf("nginx: emerg %q warns %q; the test expects %q %q", c.Emerg, c.Warns, tc.emerg, tc.warns)
			}
		})
	}
}

// serverNamesConf has conflicting names: the server that took a name
// first answers for it.
const serverNamesConf = `
events {}
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name default.test;
        location / { return 200 "default\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name .example.com a.test;
        location / { return 200 "first $server_name\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name *.example.com example.com a.test www.example.* b.test;
        location / { return 200 "second $server_name\n"; }
    }
}
`

// TestDifferentialServerNames: requests to servers with conflicting
// names go where nginx sends them.
func TestDifferentialServerNames(t *testing.T) {
	n := oracle.Start(t, serverNamesConf)
	s := servertest.Start(t, serverNamesConf)
	cmp := oracle.DefaultComparison()
	for _, host := range []string{"example.com", "x.example.com", "a.b.example.com", "a.test", "b.test",
		"www.example.org", "www.example.com", "other.test"} {
		t.Run(host, func(t *testing.T) {
			oracle.Compare(t, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
}
