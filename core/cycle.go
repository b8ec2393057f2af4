package core

import (
	"context"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/syntax"
)

// Module is a top-level module: it owns main-context directives (including
// block directives such as "events" or "http") and, optionally, one conf
// object for the whole configuration.
type Module struct {
	// Name identifies the module in messages.
	Name string
	// Directives is the module's directive table.
	Directives []conf.Directive
	// Nested are the directive tables of the modules living inside this
	// module's blocks (the HTTP modules inside "http"). They are known from
	// the start, so that one misplaced at main level is reported as "not
	// allowed here" rather than "unknown"; the block's owner applies them.
	Nested [][]conf.Directive
	// Create returns the module's conf object before the configuration is
	// read; nil means the module has none.
	Create func(cy *Cycle) any
	// Init completes the conf object after the whole configuration was
	// read (defaults, cross-checks). It may be nil.
	Init func(cy *Cycle, c any) error
}

// Service is implemented by a module conf object that serves connections
// (the http block): core binds its sockets and hands it their connections.
type Service interface {
	// Sockets lists the listening sockets this configuration needs.
	Sockets() []*Socket
	// Drain retires the configuration: no new requests on its connections,
	// in-flight requests finish, idle keep-alive connections close. It
	// returns when every connection is gone or ctx ends (then it closes
	// what is left).
	Drain(ctx context.Context)
}

// Socket is a listening socket a Service wants, with its options (the
// parameters of nginx's "listen").
type Socket struct {
	// Network is "tcp" or "unix"; Address is host:port or a path.
	Network, Address string
	Backlog          int
	ReusePort        bool
	RcvBuf, SndBuf   int
	IPv6Only         bool
	DeferredAccept   bool
	// KeepAlive is TCP keepalive on accepted connections (listen's
	// so_keepalive); nil leaves it off, as nginx does.
	KeepAlive *KeepAlive
	// Handle serves one accepted connection and from then on owns it. It
	// returns false, leaving the connection alone, when its configuration
	// already retires: a reload switched the listener to the next
	// configuration just as the connection was accepted, and the listener
	// hands it to the handler it has now (an nginx worker that is shutting
	// down has closed its listening sockets, and the new workers accept
	// what is in the backlog). The handler that takes the connection
	// releases its slot when it closes it.
	Handle func(net.Conn, *Slot) bool
	// Addr is filled in once the socket is bound with its actual address
	// (useful for port 0).
	Addr net.Addr
}

// KeepAlive is the TCP keepalive of accepted connections. A zero Idle,
// Interval or Count leaves the system's value of that option.
type KeepAlive struct {
	Enable         bool
	Idle, Interval time.Duration
	Count          int
}

// Key identifies a socket across configurations.
func (s *Socket) Key() string {
	k := s.Network + "|" + s.Address
	if s.ReusePort {
		k += "|reuseport"
	}
	return k
}

// Cycle is one loaded configuration (nginx's ngx_cycle_t): immutable once
// loaded; a reload builds a new one.
type Cycle struct {
	// Options is the command line the cycle was loaded with.
	Options *Options
	// Prefix and ConfPrefix end with "/"; ConfFile is absolute, or
	// EmbeddedName for the built-in default configuration.
	Prefix, ConfPrefix, ConfFile string
	// Core is the main-context configuration.
	Core *Conf
	// Files are the log files, shared with earlier cycles.
	Files *errlog.Files
	// Log is the main error log. It exists from the start of loading (so
	// that blocks can refer to it) and gets its destinations once the main
	// level is read.
	Log *errlog.Log
	// Dump is every configuration file read, for -T.
	Dump []conf.DumpFile
	// LogUseStderr is set when an error_log at any level writes to
	// stderr (nginx's cycle->log_use_stderr): fd 2 then stays where it
	// is rather than going to the main error log file.
	LogUseStderr bool

	modules []*Module
	confs   map[*Module]any

	closeMu  sync.Mutex
	cleanups []func()
	closed   bool
}

// OnClose registers f to run when the cycle is closed (nginx's cleanups
// of the cycle's pool): it releases what the configuration holds that
// outlives no cycle, such as its syslog sockets. Log files are not among
// them (they are shared by path with later cycles, see Files).
func (cy *Cycle) OnClose(f func()) {
	cy.closeMu.Lock()
	defer cy.closeMu.Unlock()
	if cy.closed {
		f()
		return
	}
	cy.cleanups = append(cy.cleanups, f)
}

// Close runs the cleanups, once: when the cycle has retired (its services
// drained after a reload or at exit) or failed to load.
func (cy *Cycle) Close() {
	cy.closeMu.Lock()
	fs := cy.cleanups
	cy.cleanups, cy.closed = nil, true
	cy.closeMu.Unlock()
	for _, f := range fs {
		f()
	}
}

// EmbeddedName is the ConfFile of the built-in default configuration.
const EmbeddedName = "<embedded default>"

// Conf returns module m's conf object.
func (cy *Cycle) Conf(m *Module) any { return cy.confs[m] }

// Services returns the module conf objects that serve connections.
func (cy *Cycle) Services() []Service {
	var out []Service
	for _, m := range cy.modules {
		if s, ok := cy.confs[m].(Service); ok {
			out = append(out, s)
		}
	}
	return out
}

// CycleOf returns the cycle being loaded, from inside a directive setter.
func CycleOf(c *conf.Cmd) *Cycle { return c.Loader.Owner.(*Cycle) }

// CoreModule is the module of the main-context and events directives.
var CoreModule = &Module{
	Name:       "core",
	Directives: Directives,
	Create:     func(*Cycle) any { return &Conf{} },
	Init:       initCore,
}

func initCore(cy *Cycle, c any) error {
	cf := c.(*Conf)
	var unset conf.Flag
	cf.Daemon.Inherit(unset, true)
	cf.MasterProcess.Inherit(unset, true)
	cf.WorkerProcesses.Inherit(conf.Num{}, 1)
	cf.PID.Inherit(conf.Str{}, "logs/nginx.pid")
	cf.PID.Set(conf.FullName(cy.Prefix, cf.PID.Get()))
	cf.WorkerConns.Inherit(conf.Num{}, 512)
	cf.ShutdownTimeout.Inherit(conf.Msec{}, 0)
	return nil
}

// paths computes prefix, conf prefix and conf file as ngx_process_options.
func paths(o *Options, embedded bool) (prefix, confPrefix, confFile string, err error) {
	if o.prefixSet {
		prefix = o.Prefix
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return "", "", "", err
		}
		prefix = wd + "/"
	}
	confPrefix = prefix
	switch {
	case o.ConfFile != "":
		confFile = conf.FullName(prefix, o.ConfFile)
	case embedded:
		return prefix, confPrefix, EmbeddedName, nil
	default:
		confFile = conf.FullName(prefix, "conf/nginx.conf")
	}
	if i := strings.LastIndexByte(confFile, '/'); i > 0 {
		confPrefix = confFile[:i+1]
	}
	return prefix, confPrefix, confFile, nil
}

// UseEmbedded reports whether the command line names no configuration
// file and the default path does not exist, so the embedded default is used.
func UseEmbedded(o *Options) bool {
	if o.ConfFile != "" {
		return false
	}
	_, _, confFile, err := paths(o, false)
	if err != nil {
		return false
	}
	_, err = os.Stat(confFile)
	return os.IsNotExist(err)
}

// Load reads the configuration named by o (or embedded, the built-in default,
// when UseEmbedded(o)) into a new Cycle. files is shared with the previous
// cycle on reload (nil at start). parsed, when not nil, is called once the
// text is read and applied, before modules complete their confs (where nginx
// -t prints "syntax is ok"). Errors are nginx-worded; the caller prints them
// as "[emerg]".
func Load(o *Options, modules []*Module, files *errlog.Files, embedded []byte, parsed func(*Cycle)) (cycle *Cycle, err error) {
	useEmbedded := UseEmbedded(o)
	prefix, confPrefix, confFile, err := paths(o, useEmbedded)
	if err != nil {
		return nil, &conf.Error{NoPos: true, Msg: "getcwd() failed (" + errlog.Errno(err) + ")"}
	}
	if files == nil {
		files = errlog.NewFiles()
	}
	cy := &Cycle{Options: o, Prefix: prefix, ConfPrefix: confPrefix, ConfFile: confFile,
		Files: files, modules: append([]*Module{CoreModule}, modules...), confs: map[*Module]any{},
		Log: errlog.New()}
	defer func() {
		if err != nil {
			cy.Close()
		}
	}()

	owner := map[*conf.Directive]*Module{}
	var tables [][]conf.Directive
	for _, m := range cy.modules {
		if m.Create != nil {
			cy.confs[m] = m.Create(cy)
		}
		tables = append(tables, m.Directives)
		tables = append(tables, m.Nested...)
		for i := range m.Directives {
			owner[&m.Directives[i]] = m
		}
	}
	cy.Core = cy.confs[CoreModule].(*Conf)

	slog, closeLog := startupLog(o, prefix)
	// the startup log serves the loading only: its file is closed after
	defer closeLog()
	l := conf.NewLoader(prefix, confPrefix, slog, tables...)
	l.Owner = cy
	scope := &conf.Scope{Context: conf.Main, Conf: func(d *conf.Directive) any { return cy.confs[owner[d]] }}

	if o.paramsSet {
		tree, _ := syntax.ParseParam(o.Params)
		if err := l.Walk(scope, tree); err != nil {
			return nil, err
		}
	}
	if useEmbedded {
		tree, _ := syntax.Parse(EmbeddedName, embedded)
		err = l.Walk(scope, tree)
	} else {
		err = l.LoadFile(scope, confFile)
	}
	if err != nil {
		return nil, err
	}
	cy.Dump = l.Dump()
	if useEmbedded {
		cy.Dump = append([]conf.DumpFile{{Path: EmbeddedName, Text: embedded}}, cy.Dump...)
	}
	if parsed != nil {
		parsed(cy)
	}
	for _, m := range cy.modules {
		if m.Init != nil {
			if err := m.Init(cy, cy.confs[m]); err != nil {
				return nil, err
			}
		}
	}
	sinks, err := cy.mainSinks()
	if err != nil {
		return nil, err
	}
	cy.Log.SetSinks(sinks...)
	return cy, nil
}

// mainSinks are the error_log destinations of the main level, or the
// default one (-e, else stderr) at level error (ngx_log_open_default).
func (cy *Cycle) mainSinks() ([]errlog.Sink, error) {
	sinks := cy.Core.ErrorLogs
	hasFile := false
	for _, s := range sinks {
		hasFile = hasFile || s.File != nil
	}
	if !hasFile {
		f, err := cy.Files.Open(defaultLogPath(cy.Options, cy.Prefix))
		if err != nil {
			return nil, &conf.Error{NoPos: true, Msg: "open() \"" + defaultLogPath(cy.Options, cy.Prefix) + "\" failed (" + errlog.Errno(err) + ")"}
		}
		sinks = append(sinks, errlog.Sink{File: f, Level: errlog.Error})
	}
	return sinks, nil
}

// defaultLogPath is -e (relative to the prefix), or "" for stderr: sluice
// is built as nginx with --error-log-path=stderr.
func defaultLogPath(o *Options, prefix string) string {
	if !o.errorLogSet || o.ErrorLog == "stderr" || o.ErrorLog == "" {
		return ""
	}
	return conf.FullName(prefix, o.ErrorLog)
}

// startupLog is nginx's ngx_log_init: the -e file (or stderr) at level
// notice, used until a configuration is loaded. closeLog closes its file
// (each load opens its own, so that none outlives it).
func startupLog(o *Options, prefix string) (log *errlog.Log, closeLog func()) {
	path := defaultLogPath(o, prefix)
	if path == "" {
		return errlog.Default(), func() {}
	}
	files := errlog.NewFiles()
	f, err := files.Open(path)
	if err != nil {
		errlog.Console("[alert] could not open error log file: open() \"%s\" failed (%s)", path, errlog.Errno(err))
		return errlog.Default(), func() {}
	}
	return errlog.New(errlog.Sink{File: f, Level: errlog.Notice}), files.CloseAll
}

// applyRuntime sets what the core conf asks of the Go runtime.
func (cy *Cycle) applyRuntime() {
	if n := cy.Core.WorkerProcesses.Get(); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}
