package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sluicehq/sluice/errlog"
)

// Program is what cmd/sluice hands to core: the modules compiled in, the
// nginx module names they stand for (for -V), and the embedded default
// configuration.
type Program struct {
	Modules     []*Module
	Implemented []string
	Embedded    []byte
}

// daemonEnv marks the re-executed child of "daemon on".
const daemonEnv = "SLUICE_DAEMONIZED"

// Main runs sluice with the given arguments (without the program name) and
// returns the process exit status.
func (p *Program) Main(args []string) int {
	o, err := ParseOptions(args)
	if err != nil {
		errlog.Console("%s", err)
		return 1
	}
	if o.ShowVersion {
		os.Stderr.WriteString(VersionText())
		if o.ShowHelp {
			os.Stderr.WriteString(Usage)
		}
		if o.ShowConfigure {
			os.Stderr.WriteString(ConfigureText(p.Implemented))
		}
		if !o.Test {
			return 0
		}
	}
	errlog.SetConsole(true)

	var parsed func(*Cycle)
	if o.Test && !o.Quiet {
		parsed = func(cy *Cycle) { errlog.Console("the configuration file %s syntax is ok", cy.ConfFile) }
	}
	cy, err := Load(o, p.Modules, nil, p.Embedded, parsed)
	if err == nil && o.Test {
		err = testSockets(cy)
	}
	if err != nil {
		log, closeLog := startLog(o)
		log.Logf(errlog.Emerg, nil, nil, "%s", err)
		closeLog()
		if o.Test {
			errlog.Console("configuration file %s test failed", confFileName(o, p))
		}
		return 1
	}
	if o.Test {
		if !o.Quiet {
			errlog.Console("configuration file %s test is successful", cy.ConfFile)
		}
		if o.Dump {
			for _, f := range cy.Dump {
				fmt.Fprintf(os.Stdout, "# configuration file %s:\n", f.Path)
				os.Stdout.Write(f.Text)
				os.Stdout.WriteString("\n")
			}
		}
		return 0
	}
	if o.Signal != "" {
		return signalProcess(cy, o.Signal)
	}
	if cy.Core.Daemon.Get() && os.Getenv(daemonEnv) == "" {
		return daemonize(cy)
	}
	return p.serve(cy)
}

func confFileName(o *Options, p *Program) string {
	if UseEmbedded(o) {
		return EmbeddedName
	}
	_, _, f, _ := paths(o, false)
	return f
}

func startLog(o *Options) (*errlog.Log, func()) {
	prefix, _, _, _ := paths(o, false)
	return startupLog(o, prefix)
}

// testSockets binds every socket of cy and closes it again, ignoring
// "address in use", as nginx -t does.
func testSockets(cy *Cycle) error {
	for _, svc := range cy.Services() {
		for _, s := range svc.Sockets() {
			ln, err := listen(s)
			if err != nil {
				if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "98: Address already in use") {
					continue
				}
				return err
			}
			ln.Close()
		}
	}
	return nil
}

// signalProcess implements -s: read the pid file and send the signal.
func signalProcess(cy *Cycle, name string) int {
	cy.Log.Logf(errlog.Notice, nil, nil, "signal process started")
	path := cy.Core.PID.Get()
	b, err := os.ReadFile(path)
	if err != nil {
		cy.Log.Logf(errlog.Error, nil, unwrapPathErr(err), "open() \"%s\" failed", path)
		return 1
	}
	text := strings.TrimRight(string(b), "\r\n")
	pid, err := strconv.Atoi(text)
	if err != nil || pid <= 0 {
		cy.Log.Logf(errlog.Error, nil, nil, "invalid PID number \"%s\" in \"%s\"", text, path)
		return 1
	}
	sig := map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT, "reopen": syscall.SIGUSR1, "reload": syscall.SIGHUP}[name]
	if err := syscall.Kill(pid, sig); err != nil {
		cy.Log.Logf(errlog.Alert, nil, err, "kill(%d, %d) failed", pid, int(sig))
		return 1
	}
	return 0
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// daemonize re-executes sluice detached from the terminal (Go cannot fork);
// the child sees daemonEnv and serves. The parent exits at once, as nginx's
// does after fork.
func daemonize(cy *Cycle) int {
	exe, err := os.Executable()
	if err != nil {
		cy.Log.Logf(errlog.Emerg, nil, err, "cannot find the executable to daemonize")
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		cy.Log.Logf(errlog.Emerg, nil, err, "open() \"/dev/null\" failed")
		return 1
	}
	defer null.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		cy.Log.Logf(errlog.Emerg, nil, err, "fork() failed")
		return 1
	}
	cmd.Process.Release()
	return 0
}

// state is the running process: the current cycle and the retiring ones.
type state struct {
	p         *Program
	ls        *Listeners
	mu        sync.Mutex
	cur       *Cycle
	retiring  sync.WaitGroup
	cancelOld []context.CancelFunc
}

func (p *Program) serve(cy *Cycle) int {
	st := &state{p: p, ls: NewListeners(), cur: cy}
	cy.applyRuntime()
	applyEnv(cy)
	activate, err := st.ls.Bind(cy)
	if err != nil {
		cy.Log.Logf(errlog.Emerg, nil, nil, "%s", err)
		return 1
	}
	if err := applyProcess(cy); err != nil {
		cy.Log.Logf(errlog.Emerg, nil, nil, "%s", err)
		st.ls.Close()
		return 1
	}
	activate()
	if err := writePID(cy.Core.PID.Get()); err != nil {
		cy.Log.Logf(errlog.Emerg, nil, nil, "%s", err)
		st.ls.Close()
		return 1
	}
	errlog.SetConsole(false)
	redirectStderr(cy)

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	for s := range sigs {
		sig := s.(syscall.Signal)
		cur := st.current()
		switch sig {
		case syscall.SIGHUP:
			cur.Log.Logf(errlog.Notice, nil, nil, "signal %d (SIGHUP) received, reconfiguring", int(sig))
			st.reload()
		case syscall.SIGUSR1:
			cur.Log.Logf(errlog.Notice, nil, nil, "signal %d (SIGUSR1) received, reopening logs", int(sig))
			if err := cur.Files.ReopenAll(); err != nil {
				cur.Log.Logf(errlog.Alert, nil, unwrapPathErr(err), "reopen logs failed")
			}
		case syscall.SIGQUIT:
			cur.Log.Logf(errlog.Notice, nil, nil, "signal %d (SIGQUIT) received, shutting down", int(sig))
			// TERM or INT during the graceful stop makes it a fast one, as
			// nginx's master sends TERM to workers that are shutting down
			abort := make(chan struct{})
			stopped := make(chan struct{})
			go func(abort <-chan struct{}) {
				defer close(stopped)
				st.stop(true, abort)
			}(abort)
			aborted := false
			for {
				select {
				case <-stopped:
					return 0
				case s := <-sigs:
					if (s == syscall.SIGTERM || s == syscall.SIGINT) && !aborted {
						logExiting(cur, s.(syscall.Signal))
						close(abort)
						aborted = true
					}
				}
			}
		case syscall.SIGTERM, syscall.SIGINT:
			logExiting(cur, sig)
			st.stop(false, nil)
			return 0
		default:
			cur.Log.Logf(errlog.Notice, nil, nil, "signal %d received, ignored: sluice has no binary upgrade or workers to stop", int(sig))
		}
	}
	return 0
}

func (st *state) current() *Cycle {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur
}

// reload loads the configuration again; on success the new cycle takes the
// listeners and the old one retires gracefully; on failure the old keeps
// serving and the error is logged.
func (st *state) reload() {
	old := st.current()
	cy, err := Load(old.Options, st.p.Modules, old.Files, st.p.Embedded, nil)
	if err != nil {
		old.Log.Logf(errlog.Emerg, nil, nil, "%s", err)
		return
	}
	activate, err := st.ls.Bind(cy)
	if err != nil {
		old.Log.Logf(errlog.Emerg, nil, nil, "%s", err)
		return
	}
	cy.applyRuntime()
	applyEnv(cy)
	activate()
	if cy.Core.PID.Get() != old.Core.PID.Get() {
		if err := writePID(cy.Core.PID.Get()); err != nil {
			cy.Log.Logf(errlog.Alert, nil, nil, "%s", err)
		} else {
			os.Remove(old.Core.PID.Get())
		}
	}
	st.mu.Lock()
	st.cur = cy
	st.mu.Unlock()
	st.retire(old, cy)
}

// retire drains an old cycle in the background, then closes it. Log files
// it opened stay open (shared by path with later cycles).
func (st *state) retire(old, cur *Cycle) {
	ctx, cancel := context.WithCancel(context.Background())
	if d := old.Core.ShutdownTimeout.Get(); d > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), d)
	}
	st.mu.Lock()
	st.cancelOld = append(st.cancelOld, cancel)
	st.mu.Unlock()
	st.retiring.Add(1)
	go func() {
		defer st.retiring.Done()
		defer cancel()
		for _, s := range old.Services() {
			s.Drain(ctx)
		}
		old.Close()
	}()
}

// logExiting logs a fast stop's signal.
func logExiting(cy *Cycle, sig syscall.Signal) {
	name := "SIGTERM"
	if sig == syscall.SIGINT {
		name = "SIGINT"
	}
	cy.Log.Logf(errlog.Notice, nil, nil, "signal %d (%s) received, exiting", int(sig), name)
}

// stop ends the process: graceful (QUIT) drains in-flight requests first,
// fast (TERM/INT) closes everything at once. A graceful stop turns fast
// when abort is closed.
func (st *state) stop(graceful bool, abort <-chan struct{}) {
	st.ls.Close()
	cy := st.current()
	ctx, cancel := context.WithCancel(context.Background())
	if d := cy.Core.ShutdownTimeout.Get(); graceful && d > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), d)
	}
	defer cancel()
	fast := func() {
		cancel()
		st.mu.Lock()
		for _, c := range st.cancelOld {
			c()
		}
		st.mu.Unlock()
	}
	if !graceful {
		fast()
	} else if abort != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-abort:
				fast()
			case <-done:
			}
		}()
	}
	for _, s := range cy.Services() {
		s.Drain(ctx)
	}
	st.retiring.Wait()
	os.Remove(cy.Core.PID.Get())
	cy.Log.Logf(errlog.Notice, nil, nil, "exit")
	cy.Close()
}

// writePID writes the pid file (ngx_create_pidfile).
func writePID(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0644); err != nil {
		return fmt.Errorf("open() \"%s\" failed (%s)", path, errlog.Errno(unwrapPathErr(err)))
	}
	return nil
}

func applyEnv(cy *Cycle) {
	for _, e := range cy.Core.Env {
		if k, v, ok := strings.Cut(e, "="); ok {
			os.Setenv(k, v)
		}
	}
}

// applyProcess applies the process-wide settings of the core conf at start:
// rlimits, priority, working directory, and the user switch when root.
func applyProcess(cy *Cycle) error {
	c := cy.Core
	if n := c.RlimitNofile.Get(); c.RlimitNofile.IsSet() {
		lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			cy.Log.Logf(errlog.Alert, nil, err, "setrlimit(RLIMIT_NOFILE, %d) failed, ignored", n)
		}
	}
	if c.RlimitCore.IsSet() {
		n := c.RlimitCore.Get()
		lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
		if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
			cy.Log.Logf(errlog.Alert, nil, err, "setrlimit(RLIMIT_CORE, %d) failed, ignored", n)
		}
	}
	if c.WorkerPriority.IsSet() {
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, c.WorkerPriority.Get()); err != nil {
			cy.Log.Logf(errlog.Alert, nil, err, "setpriority(%d) failed", c.WorkerPriority.Get())
		}
	}
	if c.WorkingDir.IsSet() {
		if err := os.Chdir(c.WorkingDir.Get()); err != nil {
			return fmt.Errorf("chdir(\"%s\") failed (%s)", c.WorkingDir.Get(), errlog.Errno(unwrapPathErr(err)))
		}
	}
	if c.userSet && os.Geteuid() == 0 {
		u, err := user.Lookup(c.User)
		if err != nil {
			return fmt.Errorf("getpwnam(\"%s\") failed", c.User)
		}
		g, err := user.LookupGroup(c.Group)
		if err != nil {
			return fmt.Errorf("getgrnam(\"%s\") failed", c.Group)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(g.Gid)
		if uid == 0 {
			return nil
		}
		if err := syscall.Setgroups([]int{gid}); err != nil {
			return fmt.Errorf("setgroups(%d) failed (%s)", gid, errlog.Errno(err))
		}
		if err := syscall.Setgid(gid); err != nil {
			return fmt.Errorf("setgid(%d) failed (%s)", gid, errlog.Errno(err))
		}
		if err := syscall.Setuid(uid); err != nil {
			return fmt.Errorf("setuid(%d) failed (%s)", uid, errlog.Errno(err))
		}
	}
	return nil
}

// redirectStderr points fd 2 at the first error log file, as nginx's
// ngx_log_redirect_stderr, so that a Go runtime crash is recorded there;
// not when an error_log at any level writes to stderr.
func redirectStderr(cy *Cycle) {
	if cy.LogUseStderr {
		return
	}
	for _, s := range cy.Log.Sinks() {
		if s.File == errlog.StderrFile() {
			// the default error log (sluice's is stderr)
			return
		}
	}
	for _, s := range cy.Log.Sinks() {
		if s.File == nil {
			continue // syslog: nginx's ngx_log_get_file_log skips it
		}
		if f, err := os.OpenFile(s.File.Path(), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			syscall.Dup3(int(f.Fd()), 2, 0)
			f.Close()
			return
		}
	}
}
