// Package errlog writes nginx's error log: lines of the form
//
//	2026/11/22 10:00:00 [error] 4242#4242: *7 message, client: ..., server: ...
//
// with nginx's levels, several destinations per log (each with its own
// level), files shared between configurations so that reopening (USR1) and
// reloading keep one descriptor per path.
package errlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Level is an error_log severity, ordered like nginx's: a log at level L
// records messages of level L and every level before it.
type Level int8

// The levels, in nginx's order.
const (
	Stderr Level = iota
	Emerg
	Alert
	Crit
	Error
	Warn
	Notice
	Info
	Debug
)

var levelNames = [...]string{"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// String returns the level's name as it appears between brackets in a line.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// ParseLevel returns the level named s ("error", "warn", ...).
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Context adds request or connection details to a line: the connection
// number printed as "*N" and the trailing ", client: ..., server: ..."
// part nginx's log handlers append.
type Context interface {
	// LogConn returns the connection number, or 0 for none.
	LogConn() uint64
	// AppendLogContext appends the trailing context (starting with ", ").
	AppendLogContext(b []byte) []byte
}

// File is a log destination shared by every Log that names the same path.
type File struct {
	path string
	f    atomic.Pointer[os.File]
	std  bool
}

// Path returns the file's path ("" for stderr).
func (f *File) Path() string { return f.path }

func (f *File) Write(p []byte) (int, error) { return f.f.Load().Write(p) }

// Reopen opens the path again and swaps the descriptor, as nginx does on
// USR1. The old descriptor is closed.
func (f *File) Reopen() error {
	if f.std {
		return nil
	}
	nf, err := openAppend(f.path)
	if err != nil {
		return err
	}
	if old := f.f.Swap(nf); old != nil {
		old.Close()
	}
	return nil
}

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
}

// Files keeps one File per path, like nginx's cycle->open_files; configurations
// loaded by reload reuse the same Files so descriptors survive.
type Files struct {
	mu    sync.Mutex
	files map[string]*File
}

// NewFiles returns an empty set.
func NewFiles() *Files { return &Files{files: map[string]*File{}} }

var stderrFile = func() *File {
	f := &File{std: true}
	f.f.Store(os.Stderr)
	return f
}()

// StderrFile returns the shared destination for standard error.
func StderrFile() *File { return stderrFile }

// Open returns the File for path, opening it on first use. The path "" or
// "stderr" names standard error.
func (fs *Files) Open(path string) (*File, error) {
	if path == "" || path == "stderr" {
		return stderrFile, nil
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.files[path]; ok {
		return f, nil
	}
	of, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path}
	f.f.Store(of)
	fs.files[path] = f
	return f, nil
}

// ReopenAll reopens every file, returning the first error.
func (fs *Files) ReopenAll() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var first error
	for _, f := range fs.files {
		if err := f.Reopen(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Retain closes and forgets every file not in keep, after a reload
// replaced the configuration that used them.
func (fs *Files) Retain(keep map[*File]bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for p, f := range fs.files {
		if !keep[f] {
			if of := f.f.Load(); of != nil {
				of.Close()
			}
			delete(fs.files, p)
		}
	}
}

// CloseAll closes every file (the process is stopping, or a test server
// is done with its configuration).
func (fs *Files) CloseAll() { fs.Retain(nil) }

// Sink is one destination of a Log with the most verbose level it records:
// a file, or a Writer (syslog) when File is nil.
type Sink struct {
	File   *File
	Writer Writer
	Level  Level
}

// Writer is a destination that is not a file (nginx's log->writer, which
// only syslog sets). WriteLog receives each line of level lv (time, level,
// pid and message, with its line feed) and the time the line carries.
//
// chain lists the writers already writing the line that led to this one:
// a writer that fails logs its failure through LogfChain with itself added,
// and the log skips the writers on the chain, so a syslog destination never
// logs its own failures into itself (nginx's peer->busy).
type Writer interface {
	WriteLog(now time.Time, lv Level, line []byte, chain *Chain)
}

// Chain is a list of writers (see Writer).
type Chain struct {
	W    Writer
	Next *Chain
}

// Has reports whether w is on the chain.
func (c *Chain) Has(w Writer) bool {
	for ; c != nil; c = c.Next {
		if c.W == w {
			return true
		}
	}
	return false
}

// Log is an error log: a set of destinations. A nil *Log discards
// everything; Default writes to stderr.
type Log struct {
	sinks []Sink
	max   Level
}

// New returns a log writing to the given destinations.
func New(sinks ...Sink) *Log {
	l := &Log{}
	l.SetSinks(sinks...)
	return l
}

// SetSinks replaces the destinations. It is for completing a log that
// configuration objects already point to (nginx's cycle->new_log), before
// any request uses it; it is not safe while the log is in use.
func (l *Log) SetSinks(sinks ...Sink) {
	l.sinks, l.max = sinks, -1
	for _, s := range sinks {
		if s.Level > l.max {
			l.max = s.Level
		}
	}
}

// Default is the log used before any configuration names one: stderr at
// level notice, like nginx's built-in log.
func Default() *Log { return New(Sink{File: stderrFile, Level: Notice}) }

// Sinks returns the destinations.
func (l *Log) Sinks() []Sink {
	if l == nil {
		return nil
	}
	return l.sinks
}

// Enabled reports whether a message of level lv would be written anywhere.
func (l *Log) Enabled(lv Level) bool { return l != nil && lv <= l.max }

var pid = os.Getpid()

// SetPID changes the pid printed in lines (after a daemon re-exec).
func SetPID(p int) { pid = p }

// Program is the name printed before console messages ("sluice: [emerg] ...").
const Program = "sluice"

var useStderr atomic.Bool

// SetConsole turns nginx's ngx_use_stderr on or off: while on (during start-up
// and configuration testing), lines of level warn and more severe are written
// to stderr as "sluice: [level] message" (the form nginx shows on a terminal),
// in addition to the log files.
func SetConsole(on bool) { useStderr.Store(on) }

// Logf writes one line at level lv. err, when non-nil, is appended as
// nginx appends errno: " (2: No such file or directory)".
func (l *Log) Logf(lv Level, ctx Context, err error, format string, args ...any) {
	l.LogfChain(nil, lv, ctx, err, format, args...)
}

// LogfChain is Logf for a Writer reporting its own failure: the writers on
// chain do not get the line.
func (l *Log) LogfChain(chain *Chain, lv Level, ctx Context, err error, format string, args ...any) {
	console := useStderr.Load() && lv <= Warn
	if !l.Enabled(lv) && !console {
		return
	}
	bp := bufPool.Get().(*[]byte)
	now := time.Now()
	b, msg := appendLine((*bp)[:0], now, lv, ctx, err, format, args...)
	if l != nil {
		for _, s := range l.sinks {
			switch {
			case lv > s.Level:
			case s.Writer != nil:
				if !chain.Has(s.Writer) {
					s.Writer.WriteLog(now, lv, b, chain)
				}
			// While the console is on, stderr gets the console form below.
			case !(console && s.File == stderrFile):
				s.File.Write(b)
			}
		}
	}
	if console {
		c := make([]byte, 0, len(b)-msg+len(Program)+16)
		c = append(c, Program...)
		c = append(c, ": ["...)
		c = append(c, lv.String()...)
		c = append(c, "] "...)
		c = append(c, b[msg:]...)
		os.Stderr.Write(c)
	}
	*bp = b
	bufPool.Put(bp)
}

// Console writes "sluice: MESSAGE" to stderr, as nginx's ngx_log_stderr.
func Console(format string, args ...any) {
	os.Stderr.Write(fmt.Appendf([]byte(Program+": "), format+"\n", args...))
}

// Errorf is Logf at level Error without context.
func (l *Log) Errorf(format string, args ...any) { l.Logf(Error, nil, nil, format, args...) }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// AppendLine formats a complete line (with its newline) as nginx does.
func AppendLine(b []byte, now time.Time, lv Level, ctx Context, err error, format string, args ...any) []byte {
	b, _ = appendLine(b, now, lv, ctx, err, format, args...)
	return b
}

// appendLine also returns where the message starts (after "PID#TID: *N ").
func appendLine(b []byte, now time.Time, lv Level, ctx Context, err error, format string, args ...any) ([]byte, int) {
	start := len(b)
	b = now.AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, lv.String()...)
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ": "...)
	if ctx != nil {
		if c := ctx.LogConn(); c != 0 {
			b = append(b, '*')
			b = strconv.AppendUint(b, c, 10)
			b = append(b, ' ')
		}
	}
	msg := len(b)
	if len(args) == 0 {
		b = append(b, format...)
	} else {
		b = fmt.Appendf(b, format, args...)
	}
	if err != nil {
		if len(b)-start > MaxLine-50 {
			// nginx keeps room for the error code
			b = append(b[:start+MaxLine-50], "..."...)
		}
		b = append(b, " ("...)
		b = AppendErrno(b, err)
		b = append(b, ')')
	}
	if ctx != nil && lv != Debug {
		b = ctx.AppendLogContext(b)
	}
	if len(b)-start > MaxLine-1 {
		b = b[:start+MaxLine-1]
	}
	return append(b, '\n'), msg
}

// MaxLine is the longest error log line, newline included; longer lines
// are cut, as nginx's NGX_MAX_ERROR_STR cuts them.
const MaxLine = 2048

// AppendErrno appends "N: Text" for an error carrying a system errno, the
// way nginx prints errno (glibc's capitalised strerror text), or the error's
// own text when it has no errno.
func AppendErrno(b []byte, err error) []byte {
	var en syscall.Errno
	if errors.As(err, &en) {
		b = strconv.AppendInt(b, int64(en), 10)
		b = append(b, ": "...)
		return append(b, Strerror(en)...)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return AppendErrno(b, syscall.ETIMEDOUT)
	}
	if errors.Is(err, io.EOF) {
		return append(b, "EOF"...)
	}
	return append(b, err.Error()...)
}

// Errno renders err as nginx does inside parentheses, e.g.
// "2: No such file or directory".
func Errno(err error) string { return string(AppendErrno(nil, err)) }

// Strerror returns glibc's text for e: Go's table lowercases the first
// letter, glibc capitalises it.
func Strerror(e syscall.Errno) string {
	s := e.Error()
	if len(s) > 0 && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
