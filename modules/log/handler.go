package log

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/errlog/syslog"
	"github.com/sluicehq/sluice/httpd"
)

// linePool recycles line buffers: a logged request allocates nothing in
// the steady state.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// logHandler is the log phase handler (ngx_http_log_handler): one line per
// access log of the location the request ended in.
func logHandler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.off {
		return httpd.OK
	}
	for _, l := range lc.logs {
		if l.filter != nil {
			if v := l.filter.Eval(r); v == "" || v == "0" {
				continue
			}
		}
		if l.diskFull.Load() == time.Now().Unix() {
			continue
		}
		bp := linePool.Get().(*[]byte)
		var line []byte
		if p := l.syslog; p != nil {
			line = l.format.appendLine(p.AppendHeader((*bp)[:0], time.Now(), p.Severity), r)
			l.sendSyslog(r, p, line)
		} else {
			line = append(l.format.appendLine((*bp)[:0], r), '\n')
			l.emit(r, lc, line)
		}
		*bp = line[:0]
		linePool.Put(bp)
	}
	return httpd.OK
}

// sendSyslog sends one message, header and line without a line feed, to
// a syslog destination; a failure is logged as the log module logs it
// (the peer has logged the cause to the main error log).
func (l *accessLog) sendSyslog(r *httpd.Request, p *syslog.Peer, msg []byte) {
	n, err := p.Send(msg)
	switch {
	case err == syslog.ErrClosed:
		// the configuration retired: nginx's cleanup stops the peer too
	case err != nil:
		r.Log().Logf(errlog.Warn, r, nil, "send() to syslog failed")
	case n != len(msg):
		r.Log().Logf(errlog.Warn, r, nil, "send() to syslog has written only %d of %d", n, len(msg))
	}
}

// emit writes one line to the log's file.
func (l *accessLog) emit(r *httpd.Request, lc *LocConf, line []byte) {
	if f := l.file; f != nil {
		level := 0
		if b := f.buf; b != nil {
			if b.add(line, r.Config.Log()) {
				return
			}
			level = b.gzip
		}
		n, err := writeOut(f.out, line, level)
		l.report(r, f.path, n, len(line), err)
		return
	}
	name, ok := l.scriptName(r)
	if !ok {
		return
	}
	var (
		n            int
		openErr, err error
	)
	if lc.cache != nil {
		n, openErr, err = lc.cache.write(name, line, time.Now())
	} else {
		n, openErr, err = writeUncached(name, line)
	}
	if openErr != nil {
		r.Log().Logf(errlog.Crit, r, unwrapPath(openErr), "open() \"%s\" failed", name)
		return
	}
	l.report(r, name, n, len(line), err)
}

// scriptName evaluates the name of a log with variables, after checking
// that the request's root directory exists (nginx will not create log
// files for requests whose root is missing); false skips the line.
func (l *accessLog) scriptName(r *httpd.Request) (string, bool) {
	if _, ok := r.MapURIToPath(""); !ok {
		return "", false
	}
	root := r.DocumentRoot()
	fi, err := os.Stat(root)
	switch {
	case err != nil:
		r.Log().Logf(errlog.Error, r, unwrapPath(err), "testing \"%s\" existence failed", root)
		return "", false
	case !fi.IsDir():
		r.Log().Logf(errlog.Error, r, syscall.ENOTDIR, "testing \"%s\" existence failed", root)
		return "", false
	}
	return l.script.Eval(r), true
}

// report logs a failed or short write, at most once a minute per log
// (ngx_http_log_write); a full file system pauses the log for a second.
func (l *accessLog) report(r *httpd.Request, name string, n, want int, err error) {
	if err == nil && n == want {
		return
	}
	now := time.Now().Unix()
	if err != nil && isNoSpace(err) {
		l.diskFull.Store(now)
	}
	if now-l.errorTime.Load() <= 59 {
		return
	}
	l.errorTime.Store(now)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		r.Log().Logf(errlog.Alert, r, err, "write() to \"%s\" failed", name)
		return
	}
	r.Log().Logf(errlog.Alert, r, nil, "write() to \"%s\" was incomplete: %d of %d", name, n, want)
}
