package memcached_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// memd is a real memcached started for a test, with one client connection
// for set and stats (so that it adds no connections of its own after the
// first).
type memd struct {
	addr string
	port int
	proc *os.Process

	mu sync.Mutex
	c  net.Conn
	rd *bufio.Reader
}

// startMemcached runs memcached on a free loopback port (TCP only, one
// worker thread so that its connection counters are exact, items up to
// 64m) and kills it at cleanup. It fails the test when memcached is not
// installed.
func startMemcached(t testing.TB) *memd {
	t.Helper()
	path, err := exec.LookPath("memcached")
	if err != nil {
		t.Fatal("memcached is not installed (apt-get install memcached; scripts/test.sh installs it): " + err.Error())
	}
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-t", "1",
			"-m", "128", "-I", "64m", "-vv"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "nobody")
		}
		cmd := exec.Command(path, args...)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting memcached: %v", err)
		}
		// -vv announces the listening socket on stderr; a port taken in
		// between makes memcached exit, and we try another one
		ready := make(chan bool, 1)
		var output strings.Builder
		go func() {
			sc := bufio.NewScanner(stderr)
			sent := false
			for sc.Scan() {
				if !sent {
					output.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), "server listening") {
						ready <- true
						sent = true
					}
				}
			}
			if !sent {
				ready <- false
			}
		}()
		if !<-ready {
			cmd.Wait()
			if strings.Contains(output.String(), "Address already in use") {
				continue
			}
			t.Fatalf("memcached did not start: %s", output.String())
		}
		pid := cmd.Process.Pid
		t.Cleanup(func() {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			cmd.Wait()
		})
		m := &memd{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), port: port, proc: cmd.Process}
		c, err := net.DialTimeout("tcp", m.addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connecting to memcached: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		m.c, m.rd = c, bufio.NewReader(c)
		return m
	}
	t.Fatal("memcached: no free port after 5 tries")
	return nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// command sends one command and returns the answer up to the line that
// ends it.
func (m *memd) command(t testing.TB, cmd string, end func(line string) bool) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := m.c.Write([]byte(cmd)); err != nil {
		t.Fatalf("memcached: %v", err)
	}
	var lines []string
	for {
		line, err := m.rd.ReadString('\n')
		if err != nil {
			t.Fatalf("memcached: %v", err)
		}
		line = strings.TrimSuffix(line, "\r\n")
		lines = append(lines, line)
		if end(line) {
			return lines
		}
	}
}

// set stores value under key with flags.
func (m *memd) set(t testing.TB, key string, flags uint32, value string) {
	t.Helper()
	cmd := fmt.Sprintf("set %s %d 0 %d\r\n%s\r\n", key, flags, len(value), value)
	lines := m.command(t, cmd, func(string) bool { return true })
	if lines[0] != "STORED" {
		t.Fatalf("memcached set %q: %s", key, lines[0])
	}
}

// stat returns one counter of "stats".
func (m *memd) stat(t testing.TB, name string) int {
	t.Helper()
	for _, l := range m.command(t, "stats\r\n", func(l string) bool { return l == "END" }) {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "STAT" && f[1] == name {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("memcached stat %s: %q", name, l)
			}
			return n
		}
	}
	t.Fatalf("memcached has no stat %q", name)
	return 0
}

// totalConnections is memcached's count of connections accepted so far.
func (m *memd) totalConnections(t testing.TB) int { return m.stat(t, "total_connections") }

// currConnections is the number of connections open now (this client's
// included).
func (m *memd) currConnections(t testing.TB) int { return m.stat(t, "curr_connections") }

// kill kills memcached at once (SIGKILL), as a crash would.
func (m *memd) kill(t testing.TB) {
	t.Helper()
	if err := m.proc.Kill(); err != nil {
		t.Fatalf("killing memcached: %v", err)
	}
}
