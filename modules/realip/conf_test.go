package realip_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/modules"
)

// inLocation puts statements at line 6, inside a location.
func inLocation(stmt string) string {
	return "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:1;\n        location / {\n" + stmt + "\n        }\n    }\n}\n"
}

var confCases = []struct {
	name, conf string
	emerg      string
	warn       string
}{
	{name: "address", conf: inLocation("set_real_ip_from 10.1.2.3;")},
	{name: "network", conf: inLocation("set_real_ip_from 10.0.0.0/8;")},
	{name: "v6", conf: inLocation("set_real_ip_from 2001:db8::/32;")},
	{name: "unix", conf: inLocation("set_real_ip_from unix:;")},
	{name: "hostname", conf: inLocation("set_real_ip_from localhost;")},
	{name: "low bits", conf: inLocation("set_real_ip_from 10.1.2.3/8;"), warn: "low address bits of 10.1.2.3/8 are meaningless in FILE:7"},
	{name: "unknown host", conf: inLocation("set_real_ip_from no-such-host.invalid;"), emerg: `host not found in set_real_ip_from "no-such-host.invalid" in FILE:7`},
	{name: "header", conf: inLocation("real_ip_header X-Client;")},
	{name: "proxy_protocol", conf: inLocation("real_ip_header proxy_protocol;")},
	{name: "duplicate header", conf: inLocation("real_ip_header X-Real-IP; real_ip_header X-Forwarded-For;"), emerg: `"real_ip_header" directive is duplicate in FILE:7`},
	{name: "recursive", conf: inLocation("real_ip_recursive on;")},
	{name: "recursive bad", conf: inLocation("real_ip_recursive yes;"), emerg: `invalid value "yes" in "real_ip_recursive" directive, it must be "on" or "off" in FILE:7`},
	{name: "arity", conf: inLocation("set_real_ip_from;"), emerg: `invalid number of arguments in "set_real_ip_from" directive in FILE:7`},
	{name: "in if", conf: inLocation("if ($uri) { real_ip_recursive on; }"), emerg: `"real_ip_recursive" directive is not allowed here in FILE:7`},
}

func loadConf(t *testing.T, text string) (emerg, log string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0644); err != nil {
		t.Fatal(err)
	}
	o, _ := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
	cy, err := core.Load(o, modules.All(), nil, nil, nil)
	if err != nil {
		emerg = strings.ReplaceAll(err.Error(), path, "FILE")
	} else {
		cy.Files.CloseAll()
	}
	b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	return emerg, strings.ReplaceAll(string(b), path, "FILE")
}

func TestConf(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			got, log := loadConf(t, tc.conf)
			if got != tc.emerg {
				t.Errorf("error %q, want %q", got, tc.emerg)
			}
			if tc.warn != "" && !strings.Contains(log, tc.warn) {
				t.Errorf("warning %q missing from:\n%s", tc.warn, log)
			}
		})
	}
}

// TestConfOracle checks the cases against nginx -t.
func TestConfOracle(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			c := oracle.CheckConfig(t, tc.conf)
			if c.Emerg != tc.emerg {
				t.Errorf("nginx -t: %q, table says %q", c.Emerg, tc.emerg)
			}
			if tc.warn != "" && (len(c.Warns) == 0 || c.Warns[0] != tc.warn) {
				t.Errorf("nginx -t warnings %q, table says %q", c.Warns, tc.warn)
			}
		})
	}
}
