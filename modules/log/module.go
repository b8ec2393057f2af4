package log

import (
	"sync/atomic"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog/syslog"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const logContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc | conf.HTTPLif | conf.HTTPLmt

// Module is the log HTTP module (ngx_http_log_module).
var Module = &httpd.Module{
	Name:   "log",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "log_format", Context: conf.HTTPMain, Args: conf.TwoMore, Level: httpd.MainLevel,
			Syntax:  "log_format name [escape=default|json|none] string ...;",
			Default: "log_format combined \"...\";", Set: setFormat,
			Doc: "Defines a log format: text and variables; values are escaped as \\xHH (default), for JSON strings, or not at all."},
		{Name: "access_log", Context: logContexts, Args: conf.OneMore,
			Syntax:  "access_log path [format [buffer=size] [gzip[=level]] [flush=time] [if=condition]];\naccess_log off;",
			Default: "access_log logs/access.log combined;", Set: setAccessLog,
			Doc: "Writes a line per request to the log, or sends it to syslog (syslog:server=address[,facility=][,severity=][,tag=][,nohostname], not buffered); several per level; a level without any inherits its parent's."},
		{Name: "open_log_file_cache", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1234,
			Syntax:  "open_log_file_cache max=N [inactive=time] [min_uses=N] [valid=time];\nopen_log_file_cache off;",
			Default: "open_log_file_cache off;", Set: setOpenFileCache,
			Doc: "Keeps descriptors of logs whose names contain variables open between requests."},
	},
	CreateMain: createMain,
	CreateLoc:  func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:   mergeLoc,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.LogPhase, logHandler)
		return nil
	},
}

// mainConf holds the http block's log formats, "combined" first.
type mainConf struct {
	formats  []*format
	combined bool // the combined format was compiled
	// files is the file set when the program does not list Files.
	files *fileSet
}

func createMain(*httpd.Config) any {
	return &mainConf{formats: []*format{{name: "combined"}}}
}

// combinedFormat returns the predefined format, compiling it on first
// use (nginx compiles it only when some log uses it).
func (mc *mainConf) combinedFormat(cf *httpd.Config) *format {
	f := mc.formats[0]
	if !mc.combined {
		mc.combined = true
		toks, esc, _ := parseFormat([]string{combinedFormat})
		f.ops = compile(cf, toks, esc)
	}
	return f
}

// LocConf is the log module's configuration of one level: its access logs
// and open file cache.
type LocConf struct {
	logs []*accessLog
	off  bool

	cache    *fileCache
	cacheSet bool
}

// accessLog is one access_log destination.
type accessLog struct {
	// file is the destination of a name without variables; script the
	// name otherwise (made absolute against the prefix); syslog the
	// destination of "syslog:".
	file   *logFile
	script *httpd.Complex
	syslog *syslog.Peer
	format *format
	filter *httpd.Complex

	// errorTime is when a write error was last logged (at most once a
	// minute); diskFull the second a write met a full file system.
	errorTime atomic.Int64
	diskFull  atomic.Int64
}

func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if !c.cacheSet {
		c.cache, c.cacheSet = p.cache, true
	}
	if c.logs != nil || c.off {
		return nil
	}
	c.logs, c.off = p.logs, p.off
	if c.logs != nil || c.off {
		return nil
	}
	mc := cf.MainConf(&self).(*mainConf)
	f, err := fileSetOf(cf.Cycle, mc).get(cf.Cycle.Prefix+defaultPath, true)
	if err != nil {
		return err
	}
	c.logs = []*accessLog{{file: f, format: mc.combinedFormat(cf)}}
	return nil
}

// defaultPath is nginx's NGX_HTTP_LOG_PATH, relative to the prefix.
const defaultPath = "logs/access.log"
