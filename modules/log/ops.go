package log

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// format is a compiled log format.
type format struct {
	name string
	ops  []op
}

// op is one compiled piece of a format: literal text, a variable (by
// index, escaped as the format says), or one of the values the log module
// computes itself (nginx's ngx_http_log_vars).
type op struct {
	lit    string
	varIdx int
	esc    escapeMode
	fn     func(b []byte, r *httpd.Request) []byte
}

// compile turns tokens into ops, indexing the variables.
func compile(cf *httpd.Config, toks []token, esc escapeMode) []op {
	ops := make([]op, 0, len(toks))
	for _, t := range toks {
		switch {
		case !t.isVar:
			ops = append(ops, op{lit: t.text, varIdx: -1})
		case builtins[t.text] != nil:
			ops = append(ops, op{varIdx: -1, fn: builtins[t.text]})
		default:
			ops = append(ops, op{varIdx: cf.VariableIndex(t.text), esc: esc})
		}
	}
	return ops
}

// appendLine appends the line for r (without the line feed).
func (f *format) appendLine(b []byte, r *httpd.Request) []byte {
	for i := range f.ops {
		o := &f.ops[i]
		switch {
		case o.fn != nil:
			b = o.fn(b, r)
		case o.varIdx < 0:
			b = append(b, o.lit...)
		default:
			v, ok := r.Var(o.varIdx)
			switch o.esc {
			case escapeDefault:
				if !ok {
					b = append(b, '-')
				} else {
					b = appendEscaped(b, v)
				}
			case escapeJSON:
				if ok {
					b = appendJSON(b, v)
				}
			default:
				if ok {
					b = append(b, v...)
				}
			}
		}
	}
	return b
}

// builtins are the values the log module computes without variables
// (ngx_http_log_vars); they match the core variables of the same names.
var builtins = map[string]func(b []byte, r *httpd.Request) []byte{
	"pipe": func(b []byte, r *httpd.Request) []byte {
		if r.Pipeline {
			return append(b, 'p')
		}
		return append(b, '.')
	},
	"time_local":   func(b []byte, _ *httpd.Request) []byte { return append(b, cachedTime().local...) },
	"time_iso8601": func(b []byte, _ *httpd.Request) []byte { return append(b, cachedTime().iso...) },
	"msec": func(b []byte, _ *httpd.Request) []byte {
		now := time.Now()
		return appendMsec(b, now.Unix(), int64(now.Nanosecond()/1e6))
	},
	"request_time": func(b []byte, r *httpd.Request) []byte {
		ms := time.Since(r.Start).Milliseconds()
		if ms < 0 {
			ms = 0
		}
		return appendMsec(b, ms/1000, ms%1000)
	},
	"status": func(b []byte, r *httpd.Request) []byte {
		s := 0
		switch {
		case r.ErrStatus != 0:
			s = r.ErrStatus
		case r.Out.Status != 0:
			s = r.Out.Status
		case r.HTTPVersion == 9:
			s = 9
		}
		if s < 100 {
			b = append(b, '0')
			if s < 10 {
				b = append(b, '0')
			}
		}
		return strconv.AppendInt(b, int64(s), 10)
	},
	"bytes_sent": func(b []byte, r *httpd.Request) []byte { return strconv.AppendInt(b, r.BytesSent, 10) },
	"body_bytes_sent": func(b []byte, r *httpd.Request) []byte {
		if n := r.BytesSent - r.HeaderSize; n > 0 {
			return strconv.AppendInt(b, n, 10)
		}
		return append(b, '0')
	},
	"request_length": func(b []byte, r *httpd.Request) []byte { return strconv.AppendInt(b, r.RequestLength, 10) },
}

func appendMsec(b []byte, sec, ms int64) []byte {
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	if ms < 100 {
		b = append(b, '0')
	}
	if ms < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, ms, 10)
}

// logTimes are the current second in the two log time formats, refreshed
// once a second (nginx's ngx_cached_http_log_time and _iso8601).
type logTimes struct {
	sec        int64
	local, iso string
}

var timeCache atomic.Pointer[logTimes]

func cachedTime() *logTimes {
	now := time.Now()
	if t := timeCache.Load(); t != nil && t.sec == now.Unix() {
		return t
	}
	t := &logTimes{sec: now.Unix(),
		local: now.Format("02/Jan/2006:15:04:05 -0700"),
		iso:   now.Format("2006-01-02T15:04:05-07:00")}
	timeCache.Store(t)
	return t
}
