package log

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
)

// Files is the top-level module that owns the access log files of a
// configuration: it opens them once the configuration is read and, as a
// core.Service without sockets, flushes the buffered logs when the
// configuration is drained (stop, reload). List it after the http module.
var Files = &core.Module{
	Name:   "access_log files",
	Create: func(cy *core.Cycle) any { return newFileSet(cy, false) },
	Init:   func(cy *core.Cycle, c any) error { return c.(*fileSet).openAll() },
}

// fileSet is the access log files of one configuration, one per path
// (nginx's cycle->open_files for the log module), with their buffers.
type fileSet struct {
	cy        *core.Cycle
	immediate bool
	mu        sync.Mutex
	byPath    map[string]*logFile
	order     []*logFile
	caches    []*fileCache
	opened    bool
}

func newFileSet(cy *core.Cycle, immediate bool) *fileSet {
	return &fileSet{cy: cy, immediate: immediate, byPath: map[string]*logFile{}}
}

// fileSetOf returns the file set of the cycle being loaded: the Files
// module's conf when the program lists it, else a set that opens files at
// once (kept in the http block's main conf).
func fileSetOf(cy *core.Cycle, mc *mainConf) *fileSet {
	if fs, ok := cy.Conf(Files).(*fileSet); ok {
		return fs
	}
	if mc.files == nil {
		mc.files = newFileSet(cy, true)
	}
	return mc.files
}

// get returns the file for an absolute path, registering it on first use.
// implicit marks the default log of a server without access_log.
func (fs *fileSet) get(path string, implicit bool) (*logFile, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.byPath[path]; f != nil {
		f.implicit = f.implicit && implicit
		return f, nil
	}
	f := &logFile{path: path, implicit: implicit}
	if fs.immediate || fs.opened {
		if err := f.open(fs.cy); err != nil {
			return nil, err
		}
	}
	fs.byPath[path] = f
	fs.order = append(fs.order, f)
	return f, nil
}

// openAll opens every registered file, in the order they were named
// (ngx_init_cycle's loop over open_files). A signaller (-s) opens none, as
// nginx does not.
func (fs *fileSet) openAll() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.opened = true
	if fs.cy.Options != nil && fs.cy.Options.Signal != "" {
		return nil
	}
	for _, f := range fs.order {
		if f.out == nil {
			if err := f.open(fs.cy); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sockets implements core.Service: the file set listens on nothing.
func (fs *fileSet) Sockets() []*core.Socket { return nil }

// Drain implements core.Service: the configuration retires, so buffered
// lines are written now and open file caches are closed.
func (fs *fileSet) Drain(context.Context) {
	fs.mu.Lock()
	files := append([]*logFile(nil), fs.order...)
	caches := append([]*fileCache(nil), fs.caches...)
	fs.mu.Unlock()
	for _, f := range files {
		if f.buf != nil {
			f.buf.flushNow(fs.cy.Log)
		}
	}
	for _, c := range caches {
		c.closeAll()
	}
}

// addCache records an open file cache to close when the set drains.
func (fs *fileSet) addCache(c *fileCache) {
	fs.mu.Lock()
	fs.caches = append(fs.caches, c)
	fs.mu.Unlock()
}

// logFile is one access log file, shared by every access_log naming the
// same path; buf is set when one of them asked for a buffer.
//
// The implicit default log (no access_log anywhere) is the one place sluice
// departs from nginx: when it cannot be opened (typically, no logs/
// directory under the prefix) nginx refuses to start, sluice warns and runs
// without it, so that a configuration without access_log runs anywhere, as
// it does without error_log.
type logFile struct {
	path     string
	implicit bool
	out      *errlog.File
	buf      *logBuffer
}

func (f *logFile) open(cy *core.Cycle) error {
	out, err := cy.Files.Open(f.path)
	if err != nil {
		msg := "open() \"" + f.path + "\" failed (" + errlog.Errno(unwrapPath(err)) + ")"
		if f.implicit {
			cy.Log.Logf(errlog.Warn, nil, nil, "%s, the default access log is not written", msg)
			return nil
		}
		return &conf.Error{NoPos: true, Msg: msg}
	}
	f.out = out
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// logBuffer collects lines of a buffered log (nginx's ngx_http_log_buf_t).
type logBuffer struct {
	mu    sync.Mutex
	file  *logFile
	data  []byte
	size  int
	flush time.Duration
	gzip  int
	timer *time.Timer
	log   *errlog.Log
}

// add puts a line (with its line feed) into the buffer, writing the buffer
// first when the line does not fit. It reports false when the line is
// larger than the whole buffer: the caller writes it directly.
func (lb *logBuffer) add(line []byte, log *errlog.Log) bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if len(line) > lb.size-len(lb.data) {
		lb.writeLocked(log)
	}
	if len(line) > lb.size-len(lb.data) {
		if lb.timer != nil {
			lb.timer.Stop()
		}
		return false
	}
	if lb.flush > 0 && len(lb.data) == 0 {
		lb.arm()
	}
	lb.data = append(lb.data, line...)
	return true
}

// arm starts the flush timer (called with the lock held).
func (lb *logBuffer) arm() {
	if lb.timer == nil {
		lb.timer = time.AfterFunc(lb.flush, func() { lb.flushNow(lb.log) })
		return
	}
	lb.timer.Reset(lb.flush)
}

// flushNow writes what the buffer holds (ngx_http_log_flush).
func (lb *logBuffer) flushNow(log *errlog.Log) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.writeLocked(log)
	if lb.timer != nil {
		lb.timer.Stop()
	}
}

func (lb *logBuffer) writeLocked(log *errlog.Log) {
	if len(lb.data) == 0 {
		return
	}
	n, err := writeOut(lb.file.out, lb.data, lb.gzip)
	if err != nil {
		log.Logf(errlog.Alert, nil, err, "write() to \"%s\" failed", lb.file.path)
	} else if n != len(lb.data) {
		log.Logf(errlog.Alert, nil, nil, "write() to \"%s\" was incomplete: %d of %d", lb.file.path, n, len(lb.data))
	}
	lb.data = lb.data[:0]
}

// writeOut writes p to w in one write, as one gzip member when level is
// set; it reports len(p) for a complete compressed write, as nginx does.
func writeOut(w *errlog.File, p []byte, level int) (int, error) {
	if w == nil {
		return len(p), nil
	}
	if level == 0 {
		return w.Write(p)
	}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, level)
	if err != nil {
		return len(p), nil
	}
	zw.Write(p)
	zw.Close()
	n, err := w.Write(z.Bytes())
	if err != nil {
		return n, err
	}
	if n != z.Len() {
		return n, nil
	}
	return len(p), nil
}

// isNoSpace reports a full file system (ENOSPC), after which nginx skips a
// log for the rest of the second.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
