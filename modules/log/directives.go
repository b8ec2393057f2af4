package log

import (
	"strings"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog/syslog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// setFormat is "log_format name [escape=...] string ..."
// (ngx_http_log_set_format).
func setFormat(c *conf.Cmd) error {
	mc := c.Conf.(*mainConf)
	name := c.Arg(0)
	for _, f := range mc.formats {
		if f.name == name {
			return c.Errorf("duplicate \"log_format\" name \"%s\"", name)
		}
	}
	toks, esc, err := parseFormat(c.Args[1:])
	if err != nil {
		return c.Errorf("%s", err)
	}
	mc.formats = append(mc.formats, &format{name: name, ops: compile(httpd.ConfigOf(c), toks, esc)})
	return nil
}

// setAccessLog is "access_log" (ngx_http_log_set_log).
func setAccessLog(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	cf := httpd.ConfigOf(c)
	mc := cf.MainConf(&self).(*mainConf)
	path := c.Arg(0)
	if path == "off" {
		lc.off = true
		if len(c.Args) == 1 {
			return nil
		}
		return c.Errorf("invalid parameter \"%s\"", c.Arg(1))
	}
	l := &accessLog{}
	full := c.Loader.FullName(path, false)
	if strings.HasPrefix(path, syslog.Prefix) {
		cy := core.CycleOf(c)
		p, err := syslog.Parse(path, cy.Log)
		if err != nil {
			return c.Errorf("%s", err)
		}
		cy.OnClose(p.Close)
		l.syslog = p
	} else if strings.IndexByte(path, '$') < 0 {
		f, err := fileSetOf(core.CycleOf(c), mc).get(full, false)
		if err != nil {
			return err
		}
		l.file = f
	} else {
		x, err := cf.Compile(c, full)
		if err != nil {
			return err
		}
		l.script = x
	}

	name := "combined"
	if len(c.Args) >= 2 {
		name = c.Arg(1)
	}
	for _, f := range mc.formats {
		if ascii.EqualFold(f.name, name) {
			l.format = f
			break
		}
	}
	if l.format == nil {
		return c.Errorf("unknown log format \"%s\"", name)
	}
	if l.format == mc.formats[0] {
		mc.combinedFormat(cf)
	}

	var (
		size  int64
		flush time.Duration
		level int
	)
	for _, a := range c.Args[min(2, len(c.Args)):] {
		switch {
		case strings.HasPrefix(a, "buffer="):
			s := a[len("buffer="):]
			n, ok := conf.ParseSize(s)
			if !ok || n == 0 {
				return c.Errorf("invalid buffer size \"%s\"", s)
			}
			size = n
		case strings.HasPrefix(a, "flush="):
			s := a[len("flush="):]
			ms, ok := conf.ParseTime(s, false)
			if !ok || ms == 0 {
				return c.Errorf("invalid flush time \"%s\"", s)
			}
			flush = time.Duration(ms) * time.Millisecond
		case a == "gzip" || strings.HasPrefix(a, "gzip="):
			if size == 0 {
				size = 64 * 1024
			}
			if a == "gzip" {
				level = 1
				continue
			}
			s := a[len("gzip="):]
			n, ok := conf.Atoi(s)
			if !ok || n < 1 || n > 9 {
				return c.Errorf("invalid compression level \"%s\"", s)
			}
			level = int(n)
		case strings.HasPrefix(a, "if="):
			text := a[len("if="):]
			x, err := cf.Compile(c, text)
			if err != nil {
				return err
			}
			l.filter = x
		default:
			return c.Errorf("invalid parameter \"%s\"", a)
		}
	}
	if flush > 0 && size == 0 {
		return c.Errorf("no buffer is defined for access_log \"%s\"", path)
	}
	lc.logs = append(lc.logs, l)
	if size == 0 {
		return nil
	}
	if l.script != nil {
		return c.Errorf("buffered logs cannot have variables in name")
	}
	if l.syslog != nil {
		return c.Errorf("logs to syslog cannot be buffered")
	}
	if b := l.file.buf; b != nil {
		if int64(b.size) != size || b.flush != flush || b.gzip != level {
			return c.Errorf("access_log \"%s\" already defined with conflicting parameters", path)
		}
		return nil
	}
	l.file.buf = &logBuffer{file: l.file, size: int(size), data: make([]byte, 0, size),
		flush: flush, gzip: level, log: core.CycleOf(c).Log}
	return nil
}

// setOpenFileCache is "open_log_file_cache" (ngx_http_log_open_file_cache).
func setOpenFileCache(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.cacheSet {
		return conf.ErrDuplicate
	}
	var (
		max      int64
		inactive int64 = 10
		valid    int64 = 60
		minUses  int64 = 1
		off      bool
	)
	for _, a := range c.Args {
		ok := true
		switch {
		case strings.HasPrefix(a, "max="):
			max, ok = conf.Atoi(a[len("max="):])
		case strings.HasPrefix(a, "inactive="):
			inactive, ok = conf.ParseTime(a[len("inactive="):], true)
		case strings.HasPrefix(a, "min_uses="):
			minUses, ok = conf.Atoi(a[len("min_uses="):])
		case strings.HasPrefix(a, "valid="):
			valid, ok = conf.ParseTime(a[len("valid="):], true)
		case a == "off":
			off = true
		default:
			ok = false
		}
		if !ok {
			return c.Errorf("invalid \"open_log_file_cache\" parameter \"%s\"", a)
		}
	}
	lc.cacheSet = true
	if off {
		return nil
	}
	if max == 0 {
		return c.Errorf("\"open_log_file_cache\" must have \"max\" parameter")
	}
	fc := newFileCache(int(min(max, 1<<30)), int(min(minUses, 1<<30)), conf.Seconds(inactive), conf.Seconds(valid))
	lc.cache = fc
	fileSetOf(core.CycleOf(c), httpd.ConfigOf(c).MainConf(&self).(*mainConf)).addCache(fc)
	return nil
}
