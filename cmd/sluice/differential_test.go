package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nginxBinary is Debian's nginx, the differential oracle.
const nginxBinary = "/usr/sbin/nginx"

// emergLine returns the first "[emerg] ..." message of a -t run with the
// program name stripped and the config path replaced by CONF.
func emergLine(out, conf string) string {
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "[emerg] "); i >= 0 {
			return strings.ReplaceAll(l[i:], conf, "CONF")
		}
	}
	return ""
}

// TestConfigErrorsMatchNginx runs sluice -t and nginx -t on every
// configuration of testdata/config-errors.txt and requires the same
// [emerg] message (wording, file, line).
func TestConfigErrorsMatchNginx(t *testing.T) {
	if _, err := os.Stat(nginxBinary); err != nil {
		t.Fatalf("the nginx oracle is missing (%v): run scripts/test.sh, or apt-get install nginx-core", err)
	}
	f, err := os.Open("testdata/config-errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, text, _ := strings.Cut(line, "|")
		text = strings.ReplaceAll(text, `\n`, "\n")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(conf, []byte(text), 0644); err != nil {
				t.Fatal(err)
			}
			nout, _ := exec.Command(nginxBinary, "-t", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "n.log")).CombinedOutput()
			sout, _ := exec.Command(binary, "-t", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "s.log")).CombinedOutput()
			want, got := emergLine(string(nout), conf), emergLine(string(sout), conf)
			if want == "" {
				t.Fatalf("nginx accepted the configuration:\n%s", nout)
			}
			if got != want {
				t.Errorf("sluice: %s\nnginx:  %s", got, want)
			}
		})
	}
}
