package oracle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ConfigCheck is what "nginx -t" said of a configuration, with its path
// written "FILE" and its prefix directory "DIR".
type ConfigCheck struct {
	// Emerg is the [emerg] message ("" when the configuration is good).
	Emerg string
	// Warns are the [warn] messages, in order.
	Warns []string
}

// CheckConfig runs Debian's nginx -t on conf (written to DIR/nginx.conf)
// and returns its messages. The test fails with MissingMessage when nginx
// is not installed.
func CheckConfig(t testing.TB, conf string) ConfigCheck {
	t.Helper()
	if _, err := os.Stat(DefaultBinary); err != nil {
		t.Fatalf("%s (%v)", MissingMessage, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(DefaultBinary, "-t", "-p", dir+"/", "-c", path, "-e", filepath.Join(dir, "error.log")).CombinedOutput()
	text := strings.ReplaceAll(strings.ReplaceAll(string(out), path, "FILE"), dir, "DIR")
	var c ConfigCheck
	for _, line := range strings.Split(text, "\n") {
		if m, ok := strings.CutPrefix(line, "nginx: [emerg] "); ok && c.Emerg == "" {
			c.Emerg = m
		}
		if m, ok := strings.CutPrefix(line, "nginx: [warn] "); ok {
			c.Warns = append(c.Warns, m)
		}
	}
	return c
}
