package proxy_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestDuplicateHeaders: of the response headers nginx keeps once (1.23.0
// on), a second line is logged and ignored: the client sees the first,
// and the cache's validity comes from the first. Other headers pass as
// many times as the backend sent them.
func TestDuplicateHeaders(t *testing.T) {
	tests := []struct {
		name, first, second string
		// kept is the header line the client must see once; gone the
		// one it must not see
		kept, gone string
	}{
		{"expires", "Expires: foo", "Expires: bar", "Expires: foo", "bar"},
		{"content-type", "Content-Type: text/x-first", "Content-Type: text/x-second", "Content-Type: text/x-first", "x-second"},
		{"location", "Location: http://a.example/", "Location: http://b.example/", "Location: http://a.example/", "b.example"},
		{"last-modified", "Last-Modified: Thu, 01 Jan 2015 00:00:00 GMT", "Last-Modified: Fri, 02 Jan 2015 00:00:00 GMT", "Last-Modified: Thu, 01 Jan 2015 00:00:00 GMT", "Fri, 02"},
		{"etag", `ETag: "one"`, `ETag: "two"`, `ETag: "one"`, `"two"`},
		{"refresh", "Refresh: 1", "Refresh: 2", "Refresh: 1", "Refresh: 2"},
		{"case differs", "expires: foo", "EXPIRES: bar", "expires: foo", "bar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testutil.StartBackend(t, testutil.Script{
				testutil.ReadHead(),
				testutil.Write("HTTP/1.1 200 OK\r\n" + tc.first + "\r\n" + tc.second + "\r\nX-Multi: 1\r\nX-Multi: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
			})
			s := servertest.Start(t, conf(b.Addr(), `location / { proxy_pass http://BACKEND; }`))
			resp := roundTrip(t, s, "GET / HTTP/1.0\r\n\r\n")
			head := string(resp.Head)
			if resp.StatusCode != 200 || !strings.Contains(head, tc.kept+"\r\n") || strings.Contains(head, tc.gone) {
				t.Errorf("want %q kept and %q gone:\n%s", tc.kept, tc.gone, head)
			}
			if got := resp.Values("X-Multi"); len(got) != 2 {
				t.Errorf("X-Multi: %q, want both lines", got)
			}
			want := `[warn]`
			line := `upstream sent duplicate header line: "` + tc.second + `", previous value: "` + tc.first + `", ignored while reading response header from upstream`
			if log := s.ErrorLog(); !strings.Contains(log, want) || !strings.Contains(log, line) {
				t.Errorf("error log lacks %q:\n%s", line, log)
			}
		})
	}
}
