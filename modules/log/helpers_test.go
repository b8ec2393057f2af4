package log_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
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
// file's path replaced by "FILE" and the prefix by "DIR" ("" when the
// configuration is good).
func loadConf(t *testing.T, text string) string {
	t.Helper()
	return servertest.LoadError(t, text, nil)
}

// loadConfIn is loadConf with the prefix directory given.
func loadConfIn(t *testing.T, dir, text string) string {
	t.Helper()
	return servertest.LoadErrorIn(t, dir, text, nil)
}
