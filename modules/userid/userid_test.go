package userid_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

const resetConf = `
events {}
error_log error.log notice;
http {
    server {
        listen 127.0.0.1:%%PORT_A%%;
        server_name localhost;
        userid on;
        add_header X-Got $uid_got;
        location /log { set $uid_reset log; return 200 ok; }
        location /set { set $uid_reset 1; return 200 ok; }
        location /zero { set $uid_reset 0; return 200 ok; }
    }
}
`

// TestReset covers $uid_reset assigned with set: "log" logs the old
// identifier at notice level, any other non-empty value but "0" renews it
// silently.
func TestReset(t *testing.T) {
	testutil.CheckLeaks(t)
	s := servertest.Start(t, resetConf)
	for _, tc := range []struct {
		name, path string
		renewed    bool
		logged     bool
	}{
		{"log", "/log", true, true},
		{"set", "/set", true, false},
		{"zero", "/zero", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testutil.RoundTrip(t, s.Addr("A"), "GET "+tc.path+" HTTP/1.0\r\nCookie: uid="+goodCookie+"\r\n\r\n")
			if r.StatusCode != 200 || r.Get("X-Got") != "uid=0100007F5F675D610000000002030303" {
				t.Fatalf("response:\n%s", r)
			}
			sc := r.Get("Set-Cookie")
			if renewed := sc != ""; renewed != tc.renewed {
				t.Fatalf("Set-Cookie %q", sc)
			}
			if tc.renewed && strings.HasPrefix(sc, "uid="+goodCookie[:22]) {
				t.Errorf("the old identifier was sent again: %q", sc)
			}
		})
	}
	s.WaitErrorLog(t, `[notice]`)
	log := s.ErrorLog()
	if n := strings.Count(log, `userid cookie "uid=0100007F5F675D610000000002030303" was reset`); n != 1 {
		t.Errorf("%d reset lines:\n%s", n, log)
	}
}
