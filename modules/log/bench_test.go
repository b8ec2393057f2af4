package log_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
)

// benchConf logs every request in the combined format to a file (/log),
// to syslog (/syslog, SYSLOG being the server) or not at all (/nolog), for
// comparing the cost of a logged request.
const benchConf = `
events {}
http {
    keepalive_requests 100000000;
    log_format json escape=json '{"uri":"$uri","status":$status,"ua":"$http_user_agent","t":"$time_iso8601"}';
    server {
        listen 127.0.0.1:%%PORT_A%%;
        access_log off;
        location /log { access_log %%PREFIX%%/access.log; return 200 "hello, world\n"; }
        location /json { access_log %%PREFIX%%/json.log json; return 200 "hello, world\n"; }
        location /buffered { access_log %%PREFIX%%/buffered.log combined buffer=64k; return 200 "hello, world\n"; }
        location /syslog { access_log syslog:server=SYSLOG combined; return 200 "hello, world\n"; }
        location /nolog { return 200 "hello, world\n"; }
    }
}`

// keepalive returns a function doing one request on a keepalive
// connection and reading its fixed-size response.
func keepalive(tb testing.TB, addr, path string) func() {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nReferer: http://r/\r\n\r\n")
	br := bufio.NewReaderSize(c, 4096)
	c.Write(req)
	size, cl := 0, 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			tb.Fatal(err)
		}
		size += len(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			cl, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := io.ReadFull(br, make([]byte, cl)); err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, size+cl)
	return func() {
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		if _, err := io.ReadFull(br, buf); err != nil {
			tb.Fatal(err)
		}
	}
}

// startBench starts benchConf with a syslog server that reads nothing (the
// system drops what its queue cannot hold).
func startBench(tb testing.TB) *servertest.Server {
	return servertest.Start(tb, strings.ReplaceAll(benchConf, "SYSLOG", udpReceiver(tb).server()))
}

func BenchmarkLoggedRequest(b *testing.B) {
	s := startBench(b)
	for _, path := range []string{"/nolog", "/log", "/json", "/buffered", "/syslog"} {
		b.Run(path[1:], func(b *testing.B) {
			round := keepalive(b, s.Addr("A"), path)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				round()
			}
		})
	}
}

// TestLogAllocs checks that logging a keepalive request allocates nothing
// (the line is built in a pooled buffer and written at once).
func TestLogAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items); scripts/test.sh runs the Allocs tests without -race")
	}
	s := startBench(t)
	for _, path := range []string{"/log", "/json", "/buffered", "/syslog"} {
		t.Run(path[1:], func(t *testing.T) {
			round := keepalive(t, s.Addr("A"), path)
			for i := 0; i < 100; i++ {
				round()
			}
			if a := testing.AllocsPerRun(500, round); a > 0 {
				t.Errorf("%.2f allocations per logged keepalive request, want 0", a)
			}
		})
	}
}
