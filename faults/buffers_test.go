package faults_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestHeaderBufferReuse sends, one connection after another, request lines
// that need a large header buffer, one of them filling it exactly, and
// checks that every request is answered for its own URI. A header buffer
// returned to the pool twice would be handed to two connections at once
// and one request's line overwritten by another's bytes (found by the
// "request line 2048 bytes" hostile case, which failed only after the
// cases before it).
func TestHeaderBufferReuse(t *testing.T) {
	s := servertest.Start(t, hostileConf)
	sizes := []int{1000, 2047, 2048, 2048, 1500, 2048, 2047, 2048}
	for round := 0; round < 50; round++ {
		for _, n := range sizes {
			line := lineOf(n)
			c := testutil.Dial(t, s.Addr("0"))
			if err := c.WriteString(line + "Host: localhost\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := c.ReadResponse()
			c.Close()
			if err != nil {
				t.Fatalf("request line of %d bytes: %v", n, err)
			}
			uri := strings.Fields(line)[1]
			if resp.StatusCode != 200 || string(resp.Body) != "GET "+uri+"\n" {
				t.Fatalf("round %d, request line of %d bytes: got %q %.60q..., want 200 and the request's own URI echoed;"+
					" a header buffer was reused while still in use (see httpd/readhead.go growHead and conn.go releaseBuffers)\nerror log:\n%s",
					round, n, resp.StatusLine, resp.Body, tail(s.ErrorLog(), 5))
			}
		}
	}
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 200 {
			lines[i] = l[:200] + "..."
		}
	}
	return strings.Join(lines, "\n")
}
