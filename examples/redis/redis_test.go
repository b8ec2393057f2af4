package redis_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/examples/redis"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
	"github.com/sluicehq/sluice/modules"
)

// startRedis runs redis-server on a free loopback port with a temp dir and
// no persistence, and stops it at cleanup. It fails the test when
// redis-server is not installed.
func startRedis(t *testing.T) (addr string, client net.Conn) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (apt-get install redis-server; scripts/test.sh installs it): " + err.Error())
	}
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--dir", t.TempDir(), "--save", "", "--appendonly", "no", "--logfile", "", "--daemonize", "no")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		// redis logs "Ready to accept connections" once it listens; the
		// rest of its output is drained so that it never blocks
		ready := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			var log strings.Builder
			sent := false
			for sc.Scan() {
				if !sent {
					log.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), "Ready to accept connections") {
						ready <- ""
						sent = true
					}
				}
			}
			if !sent {
				ready <- log.String()
			}
		}()
		if log := <-ready; log != "" {
			cmd.Wait()
			if strings.Contains(log, "Address already in use") {
				continue
			}
			t.Fatalf("redis-server did not start:\n%s", log)
		}
		pid := cmd.Process.Pid
		t.Cleanup(func() {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			cmd.Wait()
		})
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return addr, c
	}
	t.Fatal("redis-server: no free port after 5 tries")
	return "", nil
}

// do sends one command and returns the first line of the reply.
func do(t *testing.T, c net.Conn, args ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

func TestRedis(t *testing.T) {
	addr, c := startRedis(t)
	big := strings.Repeat("0123456789", 100000)
	for k, v := range map[string]string{"/hello": "world", "/empty": "", "/big": big, "/bin": "a\r\nb\x00c", "key a": "spaced"} {
		if got := do(t, c, "SET", k, v); got != "+OK" {
			t.Fatalf("SET %q: %s", k, got)
		}
	}
	if got := do(t, c, "RPUSH", "/list", "x"); got != ":1" {
		t.Fatalf("RPUSH: %s", got)
	}

	mods := modules.AllWith(redis.Module)
	s := servertest.StartModules(t, `
daemon off;
error_log %%PREFIX%%/error.log info;
events {}
http {
    upstream kept {
        server `+addr+`;
        keepalive 2;
    }
    server {
        listen 127.0.0.1:%%PORT_A%%;
        location / {
            redis_pass `+addr+`;
        }
        location /kept/ {
            redis_pass kept;
            redis_key /hello;
        }
        location /arg {
            redis_pass `+addr+`;
            redis_key "key $arg_k";
        }
    }
}
`, mods)
	tests := []struct {
		name   string
		req    string
		status int
		body   string
		log    string
	}{
		{name: "hit", req: "GET /hello HTTP/1.0\r\n\r\n", status: 200, body: "world"},
		{name: "empty string", req: "GET /empty HTTP/1.0\r\n\r\n", status: 200, body: ""},
		{name: "big string", req: "GET /big HTTP/1.0\r\n\r\n", status: 200, body: big},
		{name: "binary string", req: "GET /bin HTTP/1.0\r\n\r\n", status: 200, body: "a\r\nb\x00c"},
		{name: "key from variables", req: "GET /arg?k=a HTTP/1.0\r\n\r\n", status: 200, body: "spaced"},
		{name: "miss", req: "GET /nothing HTTP/1.0\r\n\r\n", status: 404},
		{name: "wrong type", req: "GET /list HTTP/1.0\r\n\r\n", status: 502,
			log: `redis sent error: "WRONGTYPE Operation against a key holding the wrong kind of value" while reading response header from upstream`},
		{name: "post", req: "POST /hello HTTP/1.0\r\nContent-Length: 1\r\n\r\nx", status: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := testutil.RoundTrip(t, s.Addr("A"), tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, resp)
			}
			if tc.status == 200 && string(resp.Body) != tc.body {
				t.Errorf("body %.60q (%d bytes), want %.60q (%d bytes)", resp.Body, len(resp.Body), tc.body, len(tc.body))
			}
			if tc.log != "" && !strings.Contains(s.ErrorLog(), tc.log) {
				t.Errorf("error log lacks %q:\n%s", tc.log, s.ErrorLog())
			}
		})
	}
	t.Run("keepalive", func(t *testing.T) {
		// requests on one client connection run in order, so each finds
		// the upstream connection back in the pool (see docs/modules.md,
		// "Known gaps", for clients that reconnect for every request)
		client := testutil.Dial(t, s.Addr("A"))
		defer client.Close()
		before := connectionsReceived(t, c)
		for range 10 {
			if err := client.WriteString("GET /kept/ HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := client.ReadResponse()
			if err != nil || resp.StatusCode != 200 || string(resp.Body) != "world" {
				t.Fatalf("response %v, error %v", resp, err)
			}
		}
		if n := connectionsReceived(t, c) - before; n != 1 {
			t.Errorf("%d upstream connections for 10 requests through a keepalive group, want 1", n)
		}
	})
}

// connectionsReceived is Redis's count of accepted connections.
func connectionsReceived(t *testing.T, c net.Conn) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	head, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		t.Fatalf("INFO: %q %v", head, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, n+2)
	if _, err := io.ReadFull(rd, body); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "total_connections_received:"); ok {
			k, _ := strconv.Atoi(v)
			return k
		}
	}
	t.Fatalf("INFO stats lacks total_connections_received:\n%s", body)
	return 0
}
