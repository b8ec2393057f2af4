package main

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestEmbeddedDefault serves the embedded default configuration (on a
// pre-bound port instead of 8080) and checks the quickstart's answer.
func TestEmbeddedDefault(t *testing.T) {
	conf := strings.ReplaceAll(string(defaultConf), "127.0.0.1:8080", "127.0.0.1:%%PORT_A%%")
	conf = strings.Replace(conf, "pid /tmp/sluice.pid;", "pid %%PREFIX%%/sluice.pid;", 1)
	s := servertest.Start(t, conf)
	resp := testutil.RoundTrip(t, s.Addr("A"), "GET /test?lumia HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(string(resp.Body), `Results for "lumia"`) {
		t.Fatalf("quickstart answer: %s", resp)
	}
	if ct := resp.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestEmbeddedDefaultTest(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := run(t, "-T", "-p", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# configuration file <embedded default>:\n") || !strings.Contains(stdout, "mytest;") {
		t.Errorf("-T of the embedded default:\n%s", stdout)
	}
}
