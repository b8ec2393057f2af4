package core

import (
	"fmt"
	"os/user"
	"runtime"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/errlog/syslog"
)

// Conf is the main-context configuration (nginx's ngx_core_conf_t and the
// events block).
type Conf struct {
	Daemon          conf.Flag
	MasterProcess   conf.Flag
	WorkerProcesses conf.Num
	TimerResolution conf.Msec
	ShutdownTimeout conf.Msec
	PID             conf.Str
	LockFile        conf.Str
	User, Group     string
	userSet         bool
	WorkerPriority  conf.Num
	RlimitNofile    conf.Num
	RlimitCore      conf.Size
	WorkingDir      conf.Str
	Env             []string
	PcreJit         conf.Flag
	DebugPoints     conf.Str
	// ErrorLogs are the main-level error_log destinations in order.
	ErrorLogs []errlog.Sink

	Events          bool
	WorkerConns     conf.Num
	Use             conf.Str
	MultiAccept     conf.Flag
	AcceptMutex     conf.Flag
	AcceptMutexWait conf.Msec
}

func coreConf(c *conf.Cmd) *Conf { return c.Conf.(*Conf) }

// Directives is the table of main-context and events directives.
var Directives = []conf.Directive{
	{Name: "daemon", Context: conf.Main, Args: conf.FlagArg, Syntax: "daemon on | off;", Default: "daemon on;",
		Doc: "on: detach from the terminal (sluice re-executes itself in a new session); off: stay in the foreground.",
		Set: conf.SetFlag(func(c *Conf) *conf.Flag { return &c.Daemon })},
	{Name: "master_process", Context: conf.Main, Args: conf.FlagArg, Syntax: "master_process on | off;", Default: "master_process on;",
		Doc: "Accepted for compatibility; sluice is always one process.",
		Set: conf.SetFlag(func(c *Conf) *conf.Flag { return &c.MasterProcess })},
	{Name: "timer_resolution", Context: conf.Main, Args: conf.Take1, Syntax: "timer_resolution interval;",
		Doc: "Accepted for compatibility; Go's timers need no tuning.",
		Set: conf.SetMsec(func(c *Conf) *conf.Msec { return &c.TimerResolution })},
	{Name: "pid", Context: conf.Main, Args: conf.Take1, Syntax: "pid file;", Default: "pid logs/nginx.pid;",
		Doc: "Where the process id is written once every listener is bound.",
		Set: conf.SetStr(func(c *Conf) *conf.Str { return &c.PID })},
	{Name: "lock_file", Context: conf.Main, Args: conf.Take1, Syntax: "lock_file file;",
		Doc: "Accepted for compatibility; unused (no accept mutex between processes).",
		Set: conf.SetStr(func(c *Conf) *conf.Str { return &c.LockFile })},
	{Name: "worker_processes", Context: conf.Main, Args: conf.Take1, Syntax: "worker_processes number | auto;", Default: "worker_processes 1;",
		Doc: "Sets GOMAXPROCS: a number, or auto for every CPU.",
		Set: setWorkerProcesses},
	{Name: "debug_points", Context: conf.Main, Args: conf.Take1, Syntax: "debug_points abort | stop;",
		Doc: "Accepted for compatibility; ignored.",
		Set: conf.SetEnum(conf.Enum[string]{{"stop", "stop"}, {"abort", "abort"}}, func(c *Conf) *conf.Str { return &c.DebugPoints })},
	{Name: "user", Context: conf.Main, Args: conf.Take12, Syntax: "user user [group];",
		Doc: "When started as root, sluice switches to this user (and group) after binding listeners and opening logs.",
		Set: setUser},
	{Name: "worker_priority", Context: conf.Main, Args: conf.Take1, Syntax: "worker_priority number;",
		Doc: "Sets the process's nice value.", Set: setPriority},
	{Name: "worker_cpu_affinity", Context: conf.Main, Args: conf.OneMore, Syntax: "worker_cpu_affinity cpumask ...;",
		Doc: "Accepted for compatibility; ignored (the Go scheduler places goroutines).", Set: func(*conf.Cmd) error { return nil }},
	{Name: "worker_rlimit_nofile", Context: conf.Main, Args: conf.Take1, Syntax: "worker_rlimit_nofile number;",
		Doc: "Raises RLIMIT_NOFILE at start.",
		Set: conf.SetNum(func(c *Conf) *conf.Num { return &c.RlimitNofile })},
	{Name: "worker_rlimit_core", Context: conf.Main, Args: conf.Take1, Syntax: "worker_rlimit_core size;",
		Doc: "Sets RLIMIT_CORE at start.",
		Set: conf.SetOffset(func(c *Conf) *conf.Size { return &c.RlimitCore })},
	{Name: "worker_shutdown_timeout", Context: conf.Main, Args: conf.Take1, Syntax: "worker_shutdown_timeout time;",
		Doc: "Bounds a graceful stop (QUIT) or the retirement of an old configuration after reload.",
		Set: conf.SetMsec(func(c *Conf) *conf.Msec { return &c.ShutdownTimeout })},
	{Name: "working_directory", Context: conf.Main, Args: conf.Take1, Syntax: "working_directory directory;",
		Doc: "Changes the working directory at start.",
		Set: conf.SetStr(func(c *Conf) *conf.Str { return &c.WorkingDir })},
	{Name: "env", Context: conf.Main, Args: conf.Take1, Syntax: "env variable[=value];",
		Doc: "Sets (VAR=value) an environment variable; a bare name is kept (sluice does not clear its environment).",
		Set: func(c *conf.Cmd) error { cf := coreConf(c); cf.Env = append(cf.Env, c.Arg(0)); return nil }},
	{Name: "load_module", Context: conf.Main, Args: conf.Take1, Syntax: "load_module file;",
		Doc: "Not supported: sluice modules are compiled in.",
		Set: func(c *conf.Cmd) error {
			return c.Errorf("dynamic modules are not supported by sluice, \"load_module\" cannot load \"%s\"", c.Arg(0))
		}},
	{Name: "pcre_jit", Context: conf.Main, Args: conf.FlagArg, Syntax: "pcre_jit on | off;", Default: "pcre_jit off;",
		Doc: "Accepted for compatibility; sluice uses Go's RE2 engine.",
		Set: conf.SetFlag(func(c *Conf) *conf.Flag { return &c.PcreJit })},
	{Name: "error_log", Context: conf.Main, Args: conf.OneMore, Syntax: "error_log file [level];", Default: "error_log stderr error;",
		Doc: "Adds an error log destination (a file, stderr, or syslog:server=address[,facility=][,tag=][,nohostname]) recording messages of the level given and more severe; syslog messages carry their level as severity. Several are allowed.",
		Set: func(c *conf.Cmd) error {
			cf := coreConf(c)
			s, err := ParseErrorLog(c, CycleOf(c).Files)
			if err != nil {
				return err
			}
			cf.ErrorLogs = append(cf.ErrorLogs, s)
			return nil
		}},
	{Name: "events", Context: conf.Main, Args: conf.Block | conf.NoArgs, Syntax: "events { ... }",
		Doc: "Connection processing settings.", Set: setEvents},
	{Name: "worker_connections", Context: conf.Events, Args: conf.Take1, Syntax: "worker_connections number;", Default: "worker_connections 512;",
		Doc: "Maximum number of simultaneous client connections; further connections are accepted and closed, logged as nginx does.",
		Set: func(c *conf.Cmd) error {
			cf := coreConf(c)
			if cf.WorkerConns.IsSet() {
				return conf.ErrDuplicate
			}
			n, ok := conf.Atoi(c.Arg(0))
			if !ok || n > 1<<30 {
				return c.Errorf("invalid number \"%s\"", c.Arg(0))
			}
			cf.WorkerConns.Set(int(n))
			return nil
		}},
	{Name: "use", Context: conf.Events, Args: conf.Take1, Syntax: "use method;",
		Doc: "Accepted for compatibility; the Go runtime poller (epoll) is always used.",
		Set: setUse},
	{Name: "multi_accept", Context: conf.Events, Args: conf.FlagArg, Syntax: "multi_accept on | off;", Default: "multi_accept off;",
		Doc: "Accepted for compatibility.", Set: conf.SetFlag(func(c *Conf) *conf.Flag { return &c.MultiAccept })},
	{Name: "accept_mutex", Context: conf.Events, Args: conf.FlagArg, Syntax: "accept_mutex on | off;", Default: "accept_mutex off;",
		Doc: "Accepted for compatibility.", Set: conf.SetFlag(func(c *Conf) *conf.Flag { return &c.AcceptMutex })},
	{Name: "accept_mutex_delay", Context: conf.Events, Args: conf.Take1, Syntax: "accept_mutex_delay time;", Default: "accept_mutex_delay 500ms;",
		Doc: "Accepted for compatibility.", Set: conf.SetMsec(func(c *Conf) *conf.Msec { return &c.AcceptMutexWait })},
	{Name: "debug_connection", Context: conf.Events, Args: conf.Take1, Syntax: "debug_connection address | CIDR | unix:;",
		Doc: "Accepted for compatibility; ignored.", Set: func(*conf.Cmd) error { return nil }},
}

func setWorkerProcesses(c *conf.Cmd) error {
	cf := coreConf(c)
	if cf.WorkerProcesses.IsSet() {
		return conf.ErrDuplicate
	}
	if c.Arg(0) == "auto" {
		cf.WorkerProcesses.Set(runtime.NumCPU())
		return nil
	}
	n, ok := conf.Atoi(c.Arg(0))
	if !ok || n > 1<<20 {
		return conf.ErrInvalidValue
	}
	cf.WorkerProcesses.Set(int(n))
	return nil
}

func setUser(c *conf.Cmd) error {
	cf := coreConf(c)
	if cf.userSet {
		return conf.ErrDuplicate
	}
	cf.userSet = true
	cf.User = c.Arg(0)
	cf.Group = cf.User
	if len(c.Args) == 2 {
		cf.Group = c.Arg(1)
	}
	if _, err := user.Lookup(cf.User); err != nil {
		return c.Errorf("getpwnam(\"%s\") failed", cf.User)
	}
	if _, err := user.LookupGroup(cf.Group); err != nil {
		return c.Errorf("getgrnam(\"%s\") failed", cf.Group)
	}
	return nil
}

func setPriority(c *conf.Cmd) error {
	cf := coreConf(c)
	if cf.WorkerPriority.IsSet() {
		return conf.ErrDuplicate
	}
	s := c.Arg(0)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	n, ok := conf.Atoi(s)
	if !ok || n > 1<<16 {
		return fmt.Errorf("invalid number")
	}
	if neg {
		n = -n
	}
	cf.WorkerPriority.Set(int(n))
	return nil
}

func setUse(c *conf.Cmd) error {
	cf := coreConf(c)
	if cf.Use.IsSet() {
		return conf.ErrDuplicate
	}
	switch c.Arg(0) {
	case "epoll", "poll", "select", "kqueue", "eventport", "devpoll", "/dev/poll":
	default:
		return c.Errorf("invalid event type \"%s\"", c.Arg(0))
	}
	cf.Use.Set(c.Arg(0))
	return nil
}

func setEvents(c *conf.Cmd) error {
	cf := coreConf(c)
	if cf.Events {
		return errDuplicate
	}
	cf.Events = true
	return c.Loader.Walk(&conf.Scope{
		Context: conf.Events,
		Parent:  c.Scope,
		Conf:    func(*conf.Directive) any { return cf },
	}, c.Block)
}

var errDuplicate = conf.ErrDuplicate

// ParseErrorLog reads an error_log directive (main, http, server or
// location level) into a destination, opening its file through files:
// "error_log FILE|stderr|syslog:... [LEVEL]" with nginx's level checks
// (ngx_log_set_log). A syslog destination's socket belongs to the cycle
// being loaded and is closed with it.
func ParseErrorLog(c *conf.Cmd, files *errlog.Files) (errlog.Sink, error) {
	target := c.Arg(0)
	var peer *syslog.Peer
	switch {
	case strings.HasPrefix(target, syslog.Prefix):
		cy := CycleOf(c)
		p, err := syslog.Parse(target, cy.Log)
		if err != nil {
			return errlog.Sink{}, c.Errorf("%s", err)
		}
		peer = p
		cy.OnClose(p.Close)
	case strings.HasPrefix(target, "memory:"):
		return errlog.Sink{}, c.Errorf("memory logging is not supported by sluice")
	}
	lv, err := parseLogLevels(c)
	if err != nil {
		return errlog.Sink{}, err
	}
	if peer != nil {
		return errlog.Sink{Writer: peer, Level: lv}, nil
	}
	path := ""
	if target != "stderr" {
		path = c.Loader.FullName(target, false)
	} else {
		CycleOf(c).LogUseStderr = true
	}
	f, err := files.Open(path)
	if err != nil {
		// nginx opens log files after reading the configuration, so the
		// error carries no position.
		return errlog.Sink{}, &conf.Error{NoPos: true, Msg: fmt.Sprintf("open() \"%s\" failed (%s)", path, errlog.Errno(err))}
	}
	return errlog.Sink{File: f, Level: lv}, nil
}

// parseLogLevels reads error_log's levels (ngx_log_set_levels): error
// when none is given.
func parseLogLevels(c *conf.Cmd) (errlog.Level, error) {
	lv, levelSet := errlog.Error, false
	for _, a := range c.Args[1:] {
		if l, ok := errlog.ParseLevel(a); ok && l != errlog.Stderr {
			if levelSet {
				return 0, c.Errorf("duplicate log level \"%s\"", a)
			}
			lv, levelSet = l, true
			continue
		}
		if strings.HasPrefix(a, "debug_") {
			switch a {
			case "debug_core", "debug_alloc", "debug_mutex", "debug_event", "debug_http", "debug_mail", "debug_stream":
				if levelSet && lv != errlog.Debug {
					return 0, c.Errorf("invalid log level \"%s\"", a)
				}
				lv, levelSet = errlog.Debug, true
				continue
			}
		}
		return 0, c.Errorf("invalid log level \"%s\"", a)
	}
	return lv, nil
}
