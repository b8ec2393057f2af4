package log_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

// exchange sends a raw request and reads every response until the server
// closes the connection: once it has, the request was logged (sluice
// writes the log line before closing).
func exchange(t *testing.T, addr, req string) []*testutil.Response {
	t.Helper()
	c := testutil.Dial(t, addr)
	defer c.Close()
	if err := c.WriteString(req); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(req, "HEAD ") {
		resp, err := c.ReadHeadResponse()
		if err == nil {
			_, err = c.ReadUntilClose()
		}
		if err != nil {
			t.Fatalf("reading from %s: %v", addr, err)
		}
		return []*testutil.Response{resp}
	}
	resps, _, err := c.ReadAll()
	if err != nil {
		t.Fatalf("reading from %s: %v", addr, err)
	}
	return resps
}

// get requests path with HTTP/1.0 and returns the response.
func get(t *testing.T, addr, path string) *testutil.Response {
	t.Helper()
	resps := exchange(t, addr, "GET "+path+" HTTP/1.0\r\nHost: localhost\r\n\r\n")
	if len(resps) != 1 {
		t.Fatalf("GET %s: %d responses", path, len(resps))
	}
	return resps[0]
}

// readFile returns a file's contents, "" when missing.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// loadConf loads a configuration and returns its error text with the
// file's path replaced by "FILE" and the prefix by "PREFIX/" ("" when the
// configuration is good).
func loadConf(t *testing.T, text string) string {
	t.Helper()
	return loadConfIn(t, t.TempDir(), text)
}

// loadConfIn is loadConf with the prefix directory given.
func loadConfIn(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0644); err != nil {
		t.Fatal(err)
	}
	o, err := core.ParseOptions([]string{"-p", dir + "/", "-c", path, "-e", "error.log"})
	if err != nil {
		t.Fatal(err)
	}
	cy, err := core.Load(o, modules.All(), nil, nil, nil)
	if err == nil {
		cy.Files.CloseAll()
		return ""
	}
	return strings.ReplaceAll(strings.ReplaceAll(err.Error(), path, "FILE"), dir+"/", "PREFIX/")
}
