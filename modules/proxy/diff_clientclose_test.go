package proxy_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
)

// TestDiffClientClose compares with nginx the line logged when a client
// closes its connection while a proxied response is still going out to
// it. While the upstream is still being read, nginx's upstream notices
// ("epoll_wait() reported that client prematurely closed connection, so
// upstream connection is closed too"); once the buffered relay has read
// the whole body, nginx has finalized the upstream request and the rest
// of the output meets the close in ngx_http_test_reading ("client
// prematurely closed connection"), and no failed write is logged. The
// unbuffered relay waits for the upstream under the action of what it did
// last ("sending to client" after passing on what came with the head).
func TestDiffClientClose(t *testing.T) {
	body := strings.Repeat("x", 12000)
	out := map[string][]string{
		// the whole body is read at once, and goes out at 100 bytes a second
		"/done": {"HTTP/1.1 200 OK\r\nX-Accel-Limit-Rate: 100\r\nContent-Length: 12000\r\n\r\n" + body},
		// the upstream is still sending; what came first goes out in one
		// write (two, and the client's reset may fail the second on either
		// side)
		"/open": {"HTTP/1.1 200 OK\r\nContent-Length: 12000\r\n\r\n" + body[:1000], "<pause>", "<pause>", "<pause>", "<pause>", body[1000:]},
	}
	b := startRaw(t, out)
	server := func(listen string) string {
		return strings.ReplaceAll(`
http {
    server {
        listen 127.0.0.1:`+listen+`;
        server_name localhost;
        location / { proxy_pass http://BACKEND; }
        location /nobuf/ { proxy_buffering off; proxy_pass http://BACKEND/; }
        location = /static { limit_rate 100; return 200 "`+body[:3000]+`"; }
    }
}
`, "BACKEND", b.Addr())
	}
	ng := oracle.Start(t, "daemon off;\n"+server("%%PORT_0%%"))
	s := servertest.Start(t, "daemon off;\nerror_log %%PREFIX%%/error.log info;\nevents {}\n"+server("%%PORT_A%%"))
	logs := map[string]func() string{ng.Addr(0): ng.ErrorLog, s.Addr("A"): s.ErrorLog}
	// "/open" buffered is left out: nginx's event pipe writes to the client
	// within the upstream's read event, under "reading upstream" unless the
	// client's socket was full, where sluice's writer acts under "sending
	// to client"
	for _, path := range []string{"/done", "/nobuf/open", "/static"} {
		for addr, errorLog := range logs {
			line := `request: "GET ` + path + ` HTTP/1.1"`
			before := strings.Count(errorLog(), line)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			// the head and the first bytes of the body, then the close
			br := bufio.NewReader(c)
			if _, err := br.Peek(50); err != nil {
				t.Fatalf("%s at %s: %v", path, addr, err)
			}
			c.Close()
			for deadline := time.Now().Add(5 * time.Second); strings.Count(errorLog(), line) == before; {
				if time.Now().After(deadline) {
					t.Fatalf("%s at %s: no line about the request after the client's close", path, addr)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	// a failed write would be logged after the close's line
	time.Sleep(500 * time.Millisecond)
	oracle.CompareErrorLogs(t, ng.ErrorLog(), s.ErrorLog())
}
