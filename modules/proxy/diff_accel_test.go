package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestDiffAccelHeaders compares with nginx what X-Accel-Buffering and
// X-Accel-Charset do, read as nginx reads them: as each line of the head
// arrives, hidden from the client or not (every module hides both by
// default), and kept should the head turn out invalid or the request go
// on to the next peer. Which relay a response took shows in the action of
// the "more data than specified" warning: the body that came with the
// head is filtered under the head's action by the unbuffered relay, under
// "reading upstream" by the buffered one. The two error logs are compared
// line by line.
func TestDiffAccelHeaders(t *testing.T) {
	out := map[string][]string{
		"/xab-no":   {"HTTP/1.1 200 OK\r\nX-Accel-Buffering: no\r\nContent-Length: 2\r\n\r\nokEXTRA"},
		"/xab-yes":  {"HTTP/1.1 200 OK\r\nX-Accel-Buffering: yes\r\nContent-Length: 2\r\n\r\nokEXTRA"},
		"/xab-case": {"HTTP/1.1 200 OK\r\nX-Accel-Buffering: NO\r\nContent-Length: 2\r\n\r\nokEXTRA"},
		// the charset of the page an X-Accel-Redirect leads to
		"/xac-redirect": {"HTTP/1.1 200 OK\r\nX-Accel-Charset: koi8-r\r\nX-Accel-Redirect: /internal\r\nContent-Length: 0\r\n\r\n"},
		"/xac-unknown":  {"HTTP/1.1 200 OK\r\nX-Accel-Charset: utf-8\r\nX-Accel-Redirect: /internal\r\nContent-Length: 0\r\n\r\n"},
		// and of the 502 page of a head that turns out invalid
		"/xac-invalid": {"HTTP/1.1 200 OK\r\nX-Accel-Charset: koi8-r\r\nX-Bad\x01: x\r\nContent-Length: 2\r\n\r\nok"},
		"/xac-off":     {"HTTP/1.1 200 OK\r\nX-Accel-Charset: off\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"},
		"/xac-plain":   {"HTTP/1.1 200 OK\r\nX-Accel-Charset: koi8-r\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"},
		// the first peer's head sets what the second's answer is relayed with
		"/retry": {"HTTP/1.1 200 OK\r\nX-Accel-Buffering: no\r\nX-Accel-Charset: koi8-r\r\nX-Bad\x01: x\r\n\r\n"},
	}
	second := map[string][]string{
		"/retry": {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nokEXTRA"},
	}
	b, b2 := startRaw(t, out), startRaw(t, second)
	server := func(listen string) string {
		return strings.NewReplacer("BACKEND2", b2.Addr(), "BACKEND", b.Addr()).Replace(`
http {
    charset_map koi8-r utf-8 { C0 D18E; }
    upstream two {
        server BACKEND;
        server BACKEND2;
    }
    server {
        listen 127.0.0.1:` + listen + `;
        server_name localhost;
        location / { proxy_pass http://BACKEND; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://BACKEND/; }
        location /ignore/ { proxy_ignore_headers X-Accel-Buffering X-Accel-Charset; proxy_pass http://BACKEND/; }
        location /pass/ { proxy_pass_header X-Accel-Buffering; proxy_pass_header X-Accel-Charset; proxy_pass http://BACKEND/; }
        location /retry { proxy_next_upstream error timeout invalid_header; proxy_pass http://two; }
        location = /internal { internal; return 200 "internal\n"; }
    }
}
`)
	}
	ng := oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%"))
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+server("%%PORT_A%%"))
	cmp := oracle.DefaultComparison()
	cmp.Headers = append(cmp.Headers, "X-Accel-Charset", "X-Accel-Buffering")
	cmp.CloseWait = 300 * time.Millisecond
	t.Run("answers", func(t *testing.T) {
		for _, path := range []string{"/xab-no", "/nobuf/xab-yes", "/xab-case", "/ignore/xab-no", "/nobuf/xab-no", "/pass/xab-no",
			"/xac-redirect", "/xac-unknown", "/xac-invalid", "/xac-off", "/xac-plain", "/ignore/xac-plain", "/pass/xac-plain", "/retry"} {
			t.Run(path, func(t *testing.T) {
				oracle.Compare(t, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", ng.Addr(0), s.Addr("A"), cmp)
			})
		}
	})
	oracle.CompareErrorLogs(t, ng.ErrorLog(), s.ErrorLog())
}
