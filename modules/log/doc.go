// Package log is nginx's ngx_http_log_module: "log_format", "access_log"
// and "open_log_file_cache", with nginx's formats, escaping, buffering and
// inheritance.
//
// Each request is logged once, when it ends (the log phase), to every
// access log of the location it ended in: one line per log, built from the
// log's format and written with a single write, so a reader sees the line
// as soon as the request is over. A log with "buffer=" collects lines in
// memory instead and writes them when the buffer is full, "flush=" after
// the first line entered it, when the configuration retires (stop, reload)
// and whenever a line does not fit. "gzip" compresses every such write into
// its own gzip member, as nginx does.
//
// Files named without variables are opened through the cycle's shared
// log files (errlog.Files) once the whole configuration is read, so "-s
// reopen" (USR1) reopens them; a name with variables is evaluated per
// request, relative to the prefix, and opened for each line unless
// "open_log_file_cache" keeps descriptors open.
//
// A level without access_log inherits its parent's logs; "access_log off"
// stops logging at that level; a server with none anywhere logs to
// logs/access.log under the prefix in the "combined" format, as nginx.
// One difference: when that implicit default file cannot be opened
// (typically, the prefix has no logs/ directory), nginx refuses to start;
// sluice warns and runs without it, as it runs without logs/ for its error
// log. Files named by access_log must open, as in nginx.
//
// Directives
//
//	Syntax:  log_format name [escape=default|json|none] string ...;
//	Default: log_format combined "...";
//	Context: http
//
//	Syntax:  access_log path [format [buffer=size] [gzip[=level]] [flush=time] [if=condition]];
//	         access_log off;
//	Default: access_log logs/access.log combined;
//	Context: http, server, location, if in location, limit_except
//
//	Syntax:  open_log_file_cache max=N [inactive=time] [min_uses=N] [valid=time];
//	         open_log_file_cache off;
//	Default: open_log_file_cache off;
//	Context: http, server, location
//
// A path starting with "syslog:" sends each line as one datagram to a
// syslog server instead (errlog/syslog: server=, facility=, severity=,
// tag=, nohostname, with nginx's defaults, UDP port 514, facility local7,
// severity info, tag nginx), in nginx's format: "<PRI>Mmm dd hh:mm:ss HOST
// TAG: " and the line, without a line feed and never cut. Such a log takes
// formats and if= as a file does, cannot be buffered (buffer=, gzip: "logs
// to syslog cannot be buffered"), and its socket belongs to the
// configuration: made at the first line, closed when a reload retires the
// configuration. A line that cannot be sent logs "send() to syslog failed"
// (warn) on the request's error log, after the cause on the main one.
//
// Two modules make up the package: Module, the HTTP module with the
// directives and the log phase handler, and Files, a top-level module that
// opens the log files after the configuration is read (where nginx opens
// them, so configuration errors are reported first) and flushes buffered
// logs when its configuration is drained. Without Files in the program's
// module list the files are opened while the configuration is read and
// buffers are flushed only by size and flush=.
package log
