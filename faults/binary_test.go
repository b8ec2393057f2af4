package faults_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/testutil"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// sluiceBinary builds cmd/sluice once per test process.
func sluiceBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "faults-sluice")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "sluice")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/sluice").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building sluice: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// daemon is the sluice binary running a configuration in its own prefix.
type daemon struct {
	t      *testing.T
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// freePort returns a loopback port free a moment ago (the binary binds its
// own sockets, so a socket cannot be handed over).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startDaemon writes conf (placeholders %%PORT_0%%, %%PREFIX%%) and runs
// the binary on it until the test ends, returning once it listens.
func startDaemon(t *testing.T, conf string) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: t.TempDir(), port: freePort(t), exited: make(chan struct{})}
	d.writeConf(conf)
	d.cmd = exec.Command(sluiceBinary(t), "-p", d.dir+"/", "-c", d.confPath(), "-e", "error.log")
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig follows the thread that forked: keep it alive
		runtime.LockOSThread()
		if err := d.cmd.Start(); err != nil {
			started <- err
			close(d.exited)
			return
		}
		started <- nil
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(d.dir, "sluice.pid"))
		ok := strings.TrimSpace(string(b)) == strconv.Itoa(d.cmd.Process.Pid)
		if ok {
			ok, _ = testutil.PortListening(d.port)
		}
		if ok {
			return d
		}
		select {
		case <-d.exited:
			t.Fatalf("sluice exited at startup (%v):\n%s", d.err, d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice not listening within 10s:\n%s", d.log())
		}
		time.Sleep(10 * time.Millisecond) // polling for readiness, bounded
	}
}

func (d *daemon) confPath() string { return filepath.Join(d.dir, "nginx.conf") }

func (d *daemon) writeConf(conf string) {
	conf = strings.ReplaceAll(conf, "%%PORT_0%%", strconv.Itoa(d.port))
	conf = strings.ReplaceAll(conf, "%%PREFIX%%", d.dir)
	if err := os.WriteFile(d.confPath(), []byte(conf), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) addr() string { return "127.0.0.1:" + strconv.Itoa(d.port) }

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "error.log"))
	return string(b)
}

// wait waits for the process to exit and returns its error.
func (d *daemon) wait(timeout time.Duration) error {
	select {
	case <-d.exited:
		return d.err
	case <-time.After(timeout):
		return fmt.Errorf("still running %v later", timeout)
	}
}

// TestSignalsUnderLoad runs the reload and stop scenarios against the real
// processes: the sluice binary and Debian's nginx, each reloaded with HUP
// every second under keepalive load (no request may fail) and then stopped
// with QUIT with requests in flight. sluice is held to the brief (in-flight
// requests complete, new connections refused, idle ones closed); nginx's
// answers are logged beside it.
func TestSignalsUnderLoad(t *testing.T) {
	dur := loadDuration(t, 6*time.Second)
	t.Run("sluice", func(t *testing.T) {
		be := startBackend(t)
		main := "daemon off;\npid %%PREFIX%%/sluice.pid;\n"
		d := startDaemon(t, lifecycleConf(0, be.addr, main))
		reloadScenario(t, d.addr(), dur, func(gen int) error {
			d.writeConf(lifecycleConf(gen, be.addr, main))
			return d.cmd.Process.Signal(syscall.SIGHUP)
		})
		q := quitScenario(t, d.addr(), be, func() {
			d.cmd.Process.Signal(syscall.SIGQUIT)
			if err := d.wait(20 * time.Second); err != nil {
				t.Errorf("sluice after QUIT: %v", err)
			}
		})
		checkQuit(t, q)
		if _, err := os.Stat(filepath.Join(d.dir, "sluice.pid")); !os.IsNotExist(err) {
			t.Errorf("pid file left after QUIT")
		}
		for _, l := range strings.Split(d.log(), "\n") {
			if strings.Contains(l, "[alert]") || strings.Contains(l, "[emerg]") || strings.Contains(l, "[crit]") {
				t.Errorf("sluice logged: %s", l)
			}
		}
	})
	t.Run("nginx", func(t *testing.T) {
		be := startBackend(t)
		n := oracle.Start(t, lifecycleConf(0, be.addr, ""))
		reloadScenario(t, n.Addr(0), dur, func(gen int) error {
			conf := strings.Replace(n.Conf(), `"gen 0\n"`, `"gen `+strconv.Itoa(gen)+`\n"`, 1)
			if err := os.WriteFile(filepath.Join(n.Prefix(), "nginx.conf"), []byte(conf), 0o644); err != nil {
				return err
			}
			return n.Signal(syscall.SIGHUP)
		})
		q := quitScenario(t, n.Addr(0), be, func() { n.Stop() })
		t.Logf("nginx: %v", q)
		for i, h := range q.held {
			if h != `200 "held\n"` {
				t.Errorf("nginx's in-flight request %d: %s", i, h)
			}
		}
	})
}

// TestTermDuringGracefulStop: TERM during a graceful stop (QUIT) makes it
// a fast one, as nginx's master sends TERM to workers that are shutting
// down: the request still in flight is cut and the process exits at once,
// where it waited for that request before.
func TestTermDuringGracefulStop(t *testing.T) {
	be := startBackend(t)
	d := startDaemon(t, lifecycleConf(0, be.addr, "daemon off;\npid %%PREFIX%%/sluice.pid;\n"))
	c := testutil.Dial(t, d.addr())
	defer c.Close()
	if err := c.WriteString(get("/hold")); err != nil {
		t.Fatal(err)
	}
	be.waitHeld(t, 1, 10*time.Second)
	d.cmd.Process.Signal(syscall.SIGQUIT)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(d.log(), "(SIGQUIT) received, shutting down") {
		if time.Now().After(deadline) {
			t.Fatalf("QUIT not logged:\n%s", d.log())
		}
		time.Sleep(10 * time.Millisecond) // polling the log for the graceful stop, bounded
	}
	if err := d.wait(300 * time.Millisecond); err == nil {
		t.Fatalf("the graceful stop ended with a request in flight:\n%s", d.log())
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.wait(5 * time.Second); err != nil {
		t.Fatalf("after TERM: %v\n%s", err, d.log())
	}
	if log := d.log(); !strings.Contains(log, "signal 15 (SIGTERM) received, exiting") || !strings.Contains(log, "exit") {
		t.Errorf("log:\n%s", log)
	}
	if resp, err := c.ReadResponse(); err == nil && resp.Complete {
		t.Errorf("the request in flight was answered in full (%q) after a fast stop", resp.StatusLine)
	}
}
