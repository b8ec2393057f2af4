package oracle

import (
	"errors"
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

	"github.com/sluicehq/sluice/internal/testutil"
)

// DefaultBinary is where Debian's nginx-core package installs nginx.
const DefaultBinary = "/usr/sbin/nginx"

// MissingMessage is the failure when the nginx binary is absent.
const MissingMessage = "nginx oracle missing: run scripts/test.sh or apt-get install nginx-core"

const (
	stderrFile   = "stderr.log"
	startTries   = 3
	pollInterval = 5 * time.Millisecond
)

// Options tunes StartWith. The zero value is what Start uses.
type Options struct {
	// Binary is the nginx to run; empty means DefaultBinary.
	Binary string
	// LogLevel is the level of the error_log added when the configuration
	// has none at main level; empty means "info", which records client
	// errors (400s, closed connections) the way tests usually want.
	LogLevel string
	// StartTimeout bounds the wait for nginx to listen; zero means 10s.
	StartTimeout time.Duration
	// StopTimeout bounds the graceful stop (QUIT) before nginx is killed;
	// zero means 10s.
	StopTimeout time.Duration
	// AllowAlerts stops cleanup from failing the test when the error log
	// holds [alert] or [emerg] lines.
	AllowAlerts bool
}

// Nginx is a running nginx started by Start.
type Nginx struct {
	t      testing.TB
	opts   Options
	prefix string
	conf   string
	ports  map[int]int
	paths  prepared

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	stop    sync.Once
}

// Start runs nginx with confText and returns once every port its listen
// directives use is listening. See StartWith.
func Start(t testing.TB, confText string) *Nginx {
	t.Helper()
	return StartWith(t, confText, Options{})
}

// StartWith runs nginx with confText in a fresh prefix directory and stops
// it at cleanup (QUIT, then KILL past StopTimeout).
//
// Placeholders in confText: %%PORT_0%%, %%PORT_1%% ... become free loopback
// ports (write "listen 127.0.0.1:%%PORT_0%%;" — a bare port would listen on
// every address), %%PREFIX%% becomes the prefix directory, and %%MODULES%%
// becomes ModulesDir (for load_module). Debian's nginx knows no MIME types
// unless told: "include /etc/nginx/mime.types;" where types matter.
//
// What Start adds, only where the configuration does not say it already:
// at main level "daemon off;" (so the process started is the master, and
// master_process stays on as in production), "pid PREFIX/nginx.pid;",
// "error_log PREFIX/error.log info;", "user root;" when the test runs as
// root (workers would otherwise run as nobody and could not enter the
// test's 0700 temp directories to serve or buffer files), and "events {}" at
// the end (load_module lines must precede every block); at http
// level "access_log PREFIX/access.log;" and the five *_temp_path directives
// pointing into the prefix (Debian compiles in /var/lib/nginx). worker_processes
// keeps nginx's default of 1. Includes are not followed when looking.
//
// Start waits for the pid file and for the listening sockets (read from
// /proc/self/net/tcp rather than probed with a connection, which nginx would
// log as "client closed connection"). If nginx fails to bind a port another
// program took meanwhile, it retries with new ports. If the binary is
// missing the test fails with MissingMessage; it never skips.
func StartWith(t testing.TB, confText string, opts Options) *Nginx {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = DefaultBinary
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 10 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if st, err := os.Stat(opts.Binary); err != nil || st.IsDir() {
		t.Fatalf("%s (%s: %v)", MissingMessage, opts.Binary, err)
	}
	prefix := t.TempDir()
	for try := 1; ; try++ {
		n, err := start(t, prefix, confText, opts)
		if err == nil {
			t.Cleanup(n.cleanup)
			return n
		}
		if try < startTries && errors.Is(err, errPortTaken) {
			t.Logf("oracle: %v; retrying with new ports", err)
			continue
		}
		t.Fatalf("oracle: %v", err)
	}
}

// errPortTaken says nginx could not bind a port allocated for it.
var errPortTaken = errors.New("a port was taken before nginx could bind it")

func start(t testing.TB, prefix, confText string, opts Options) (*Nginx, error) {
	p, err := prepareConf(confText, prefix, freePort, os.Geteuid() == 0, opts.LogLevel)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{p.errorLog, p.accessLog, p.pidPath, filepath.Join(prefix, stderrFile)} {
		os.Remove(f)
	}
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(p.text), 0o644); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(prefix, stderrFile))
	if err != nil {
		return nil, err
	}
	defer out.Close()

	n := &Nginx{t: t, opts: opts, prefix: prefix, conf: p.text, ports: p.ports, paths: p, exited: make(chan struct{})}
	n.cmd = exec.Command(opts.Binary, "-p", prefix+"/", "-c", "nginx.conf", "-e", p.errorLog)
	n.cmd.Dir = prefix
	n.cmd.Stdout, n.cmd.Stderr = out, out
	n.cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group, so workers left behind can be found and killed.
		Setpgid: true,
		// If the test binary dies (panic, timeout) nginx gets SIGTERM and
		// shuts down with its workers instead of lingering on its ports.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := n.launch(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", opts.Binary, err)
	}
	if err := n.waitReady(); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// launch starts nginx from a goroutine locked to its OS thread for the
// process's whole life: Linux delivers Pdeathsig when the thread that forked
// the child exits, not only when the process does.
func (n *Nginx) launch() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := n.cmd.Start(); err != nil {
			started <- err
			close(n.exited)
			return
		}
		started <- nil
		n.waitErr = n.cmd.Wait()
		close(n.exited)
	}()
	return <-started
}

func (n *Nginx) waitReady() error {
	deadline := time.Now().Add(n.opts.StartTimeout)
	want := strconv.Itoa(n.cmd.Process.Pid)
	for {
		select {
		case <-n.exited:
			log := n.ErrorLog() + n.readFile(filepath.Join(n.prefix, stderrFile))
			err := fmt.Errorf("nginx exited during startup (%v)\n--- error log ---\n%s\n--- nginx.conf ---\n%s", n.waitErr, log, n.conf)
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("%w: %v", errPortTaken, err)
			}
			return err
		default:
		}
		ready := strings.TrimSpace(n.readFile(n.paths.pidPath)) == want
		for _, port := range n.paths.listenPorts {
			if !ready {
				break
			}
			ok, err := testutil.PortListening(port)
			if err != nil {
				return err
			}
			ready = ok
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx not ready within %v (pid file %s, ports %v)\n--- error log ---\n%s",
				n.opts.StartTimeout, n.paths.pidPath, n.paths.listenPorts, n.ErrorLog())
		}
		time.Sleep(pollInterval) // polling for readiness, bounded by deadline
	}
}

// Addr returns "127.0.0.1:port" for placeholder %%PORT_i%%. It fails the
// test if the configuration had no such placeholder.
func (n *Nginx) Addr(i int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.Port(i)))
}

// Port returns the port that replaced %%PORT_i%%.
func (n *Nginx) Port(i int) int {
	port, ok := n.ports[i]
	if !ok {
		n.t.Fatalf("oracle: the configuration has no %%%%PORT_%d%%%% placeholder", i)
	}
	return port
}

// Prefix returns nginx's prefix directory (no trailing slash).
func (n *Nginx) Prefix() string { return n.prefix }

// Conf returns the configuration as written, placeholders substituted and
// additions included.
func (n *Nginx) Conf() string { return n.conf }

// PID returns the master process's id.
func (n *Nginx) PID() int { return n.cmd.Process.Pid }

// ErrorLog returns the main error log's contents so far.
func (n *Nginx) ErrorLog() string { return n.readFile(n.paths.errorLog) }

// AccessLog returns PREFIX/access.log's contents so far (the access log
// Start adds; a configuration with its own http-level access_log should
// point it there to use this). nginx writes a request's line after sending
// the response, so use WaitAccessLog to wait for a line.
func (n *Nginx) AccessLog() string { return n.readFile(n.paths.accessLog) }

// WaitErrorLog polls the error log until it contains substr or timeout
// passes, and reports whether it did.
func (n *Nginx) WaitErrorLog(substr string, timeout time.Duration) bool {
	return pollFor(timeout, func() bool { return strings.Contains(n.ErrorLog(), substr) })
}

// WaitAccessLog polls the access log until it contains substr or timeout
// passes, and reports whether it did.
func (n *Nginx) WaitAccessLog(substr string, timeout time.Duration) bool {
	return pollFor(timeout, func() bool { return strings.Contains(n.AccessLog(), substr) })
}

func pollFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval) // polling for a condition, bounded
	}
	return true
}

func (n *Nginx) readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// Signal sends sig to the master process (e.g. syscall.SIGHUP to reload).
func (n *Nginx) Signal(sig os.Signal) error { return n.cmd.Process.Signal(sig) }

// Stop stops nginx gracefully (QUIT), waits up to StopTimeout, then kills
// the whole process group; it reports whether the graceful stop sufficed.
// It is safe to call more than once; cleanup calls it.
func (n *Nginx) Stop() (graceful bool) {
	graceful = true
	n.stop.Do(func() {
		pgid := n.cmd.Process.Pid
		select {
		case <-n.exited:
		default:
			n.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-n.exited:
			case <-time.After(n.opts.StopTimeout):
				graceful = false
				syscall.Kill(-pgid, syscall.SIGKILL)
				<-n.exited
			}
		}
		// Workers that outlived their master are still in its group.
		if syscall.Kill(-pgid, 0) == nil {
			graceful = false
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	return graceful
}

func (n *Nginx) cleanup() {
	if !n.Stop() {
		n.t.Errorf("oracle: nginx did not stop within %v of QUIT and was killed", n.opts.StopTimeout)
	}
	log := n.ErrorLog()
	if !n.opts.AllowAlerts {
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "[alert]") || strings.Contains(line, "[emerg]") {
				n.t.Errorf("oracle: nginx error log: %s", line)
			}
		}
	}
	if n.t.Failed() {
		lines := strings.Split(strings.TrimSpace(log), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		n.t.Logf("oracle: nginx error log (last %d lines):\n%s", len(lines), strings.Join(lines, "\n"))
	}
}
