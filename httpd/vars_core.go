package httpd

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// addCore defines the core variables (ngx_http_core_variables).
func (vr *varRegistry) addCore() {
	add := func(name string, get VarGetter, flags VarFlags) {
		vr.defs[name] = &Variable{Name: name, Get: get, Flags: flags}
	}
	header := func(slot func(h *HeadersIn) int) VarGetter {
		return func(r *Request, _ string, _ int) (string, bool) {
			i := slot(&r.In)
			if i < 0 {
				return "", false
			}
			return r.In.List[i].Value, true
		}
	}
	add("http_host", header(func(h *HeadersIn) int { return h.Host }), 0)
	// Since nginx 1.23 every header line of a name is kept, so even the
	// headers that should appear once join their lines with ", ".
	joined := func(name string) VarGetter {
		return func(r *Request, _ string, _ int) (string, bool) { return r.joinHeadersIn(name, ", ") }
	}
	add("http_user_agent", joined("user-agent"), 0)
	add("http_referer", joined("referer"), 0)
	add("http_via", joined("via"), 0)
	add("http_x_forwarded_for", joined("x-forwarded-for"), 0)
	add("http_cookie", func(r *Request, _ string, _ int) (string, bool) {
		return r.joinHeadersIn("cookie", "; ")
	}, 0)
	add("content_length", func(r *Request, _ string, _ int) (string, bool) {
		if r.In.ContentLength >= 0 {
			return r.In.Get(r.In.ContentLength), true
		}
		if r.In.ContentLengthN >= 0 {
			return r.itoa(r.In.ContentLengthN), true
		}
		if r.In.Chunked && r.Body != nil && r.Body.Complete {
			return r.itoa(r.Body.Size), true
		}
		return "", false
	}, VarNoCacheable)
	add("content_type", joined("content-type"), 0)
	add("host", func(r *Request, _ string, _ int) (string, bool) {
		if r.In.Server != "" {
			return r.In.Server, true
		}
		return r.CoreSrv().ServerName, true
	}, 0)
	// $request_port and $is_request_port (nginx 1.29.3): the port given
	// with the host the server was chosen by
	add("request_port", func(r *Request, _ string, _ int) (string, bool) {
		if r.In.Port > 0 && r.In.Port < 65536 {
			return r.itoa(int64(r.In.Port)), true
		}
		return "", true
	}, 0)
	add("is_request_port", func(r *Request, _ string, _ int) (string, bool) {
		if r.In.Port == 0 {
			return "", true
		}
		return ":", true
	}, 0)
	add("binary_remote_addr", func(r *Request, _ string, _ int) (string, bool) {
		return r.conn.binaryRemoteAddr(), true
	}, 0)
	add("remote_addr", func(r *Request, _ string, _ int) (string, bool) { return r.conn.remoteAddr, true }, 0)
	add("remote_port", func(r *Request, _ string, _ int) (string, bool) { return r.conn.remotePort, true }, 0)
	proxyProtocolVars(add)
	add("server_addr", func(r *Request, _ string, _ int) (string, bool) {
		if ip := r.conn.serverAddr(); ip != "" {
			return ip, true
		}
		return "unix:", true
	}, 0)
	add("server_port", func(r *Request, _ string, _ int) (string, bool) {
		if r.conn.localPort == 0 {
			return "", false
		}
		return strconv.Itoa(r.conn.localPort), true
	}, 0)
	add("server_protocol", func(r *Request, _ string, _ int) (string, bool) { return r.Protocol, true }, 0)
	add("scheme", func(r *Request, _ string, _ int) (string, bool) {
		if r.conn.tlsc() != nil {
			return "https", true
		}
		return "http", true
	}, 0)
	add("https", func(r *Request, _ string, _ int) (string, bool) {
		if r.conn.tlsc() != nil {
			return "on", true
		}
		return "", true
	}, 0)
	add("request_uri", func(r *Request, _ string, _ int) (string, bool) { return r.UnparsedURI, true }, 0)
	// not found when the request line could not be parsed; found (maybe
	// empty) once it was, even when its URI was then rejected
	add("uri", func(r *Request, _ string, _ int) (string, bool) { return r.URI, r.Main.RequestLine != "" }, VarNoCacheable)
	add("document_uri", func(r *Request, _ string, _ int) (string, bool) { return r.URI, r.Main.RequestLine != "" }, VarNoCacheable)
	// $request is what was received of the request line when it is
	// incomplete or invalid (ngx_http_variable_request_line)
	add("request", func(r *Request, _ string, _ int) (string, bool) {
		l := r.Main.logRequestLine()
		return l, l != ""
	}, 0)
	add("document_root", func(r *Request, _ string, _ int) (string, bool) { return r.DocumentRoot(), true }, VarNoCacheable)
	add("realpath_root", func(r *Request, _ string, _ int) (string, bool) {
		p, err := filepath.EvalSymlinks(r.DocumentRoot())
		if err != nil {
			return "", false
		}
		return p, true
	}, VarNoCacheable)
	// empty arguments ("/x" and "/x?") are not found: "-" in access logs
	add("query_string", func(r *Request, _ string, _ int) (string, bool) { return r.Args, r.Args != "" }, VarNoCacheable)
	vr.defs["args"] = &Variable{Name: "args", Flags: VarChangeable | VarNoCacheable,
		Get: func(r *Request, _ string, _ int) (string, bool) { return r.Args, r.Args != "" },
		// a request whose arguments were set is no longer passed on as
		// it came (ngx_http_variable_set_args)
		Set: func(r *Request, _ string, _ int, v string) { r.Args, r.ValidUnparsedURI = v, false }}
	add("is_args", func(r *Request, _ string, _ int) (string, bool) {
		if r.Args != "" {
			return "?", true
		}
		return "", true
	}, VarNoCacheable)
	add("request_filename", func(r *Request, _ string, _ int) (string, bool) {
		p, ok := r.MapURIToPath("")
		return p, ok
	}, VarNoCacheable)
	add("server_name", func(r *Request, _ string, _ int) (string, bool) { return r.CoreSrv().ServerName, true }, 0)
	add("request_method", func(r *Request, _ string, _ int) (string, bool) { return r.Main.Method, true }, 0)
	add("remote_user", func(r *Request, _ string, _ int) (string, bool) { return r.remoteUser() }, 0)
	add("bytes_sent", func(r *Request, _ string, _ int) (string, bool) { return r.itoa(r.BytesSent), true }, 0)
	add("body_bytes_sent", func(r *Request, _ string, _ int) (string, bool) {
		n := r.BytesSent - r.HeaderSize
		if n < 0 {
			n = 0
		}
		return r.itoa(n), true
	}, 0)
	add("pipe", func(r *Request, _ string, _ int) (string, bool) {
		if r.Pipeline {
			return "p", true
		}
		return ".", true
	}, 0)
	add("request_completion", func(r *Request, _ string, _ int) (string, bool) {
		if r.done && !r.conn.failed {
			return "OK", true
		}
		return "", true
	}, 0)
	add("request_body", func(r *Request, _ string, _ int) (string, bool) { return r.bodyString() }, 0)
	add("request_body_file", func(r *Request, _ string, _ int) (string, bool) {
		if r.Body == nil || r.Body.File == nil {
			return "", false
		}
		return r.Body.File.Name(), true
	}, 0)
	add("request_length", func(r *Request, _ string, _ int) (string, bool) { return r.itoa(r.RequestLength), true }, VarNoCacheable)
	add("request_time", func(r *Request, _ string, _ int) (string, bool) {
		ms := time.Since(r.Start).Milliseconds()
		if ms < 0 {
			ms = 0
		}
		return r.appendScratch(func(b []byte) []byte {
			b = strconv.AppendInt(b, ms/1000, 10)
			b = append(b, '.')
			return appendPad3(b, ms%1000)
		}), true
	}, VarNoCacheable)
	add("request_id", func(r *Request, _ string, _ int) (string, bool) {
		var id [16]byte
		rand.Read(id[:])
		return r.appendScratch(func(b []byte) []byte { return hex.AppendEncode(b, id[:]) }), true
	}, 0)
	add("status", func(r *Request, _ string, _ int) (string, bool) {
		s := r.ErrStatus
		switch {
		case s != 0:
		case r.Out.Status != 0:
			s = r.Out.Status
		case r.HTTPVersion == 9:
			s = 9
		}
		return r.appendScratch(func(b []byte) []byte { return appendPad3(b, int64(s)) }), true
	}, VarNoCacheable)
	sent := func(get func(r *Request) (string, bool)) VarGetter {
		return func(r *Request, _ string, _ int) (string, bool) { return get(r) }
	}
	add("sent_http_content_type", sent(func(r *Request) (string, bool) {
		if r.Out.ContentType == "" {
			return "", false
		}
		return r.Out.ContentType, true
	}), 0)
	add("sent_http_content_length", sent(func(r *Request) (string, bool) {
		if r.Out.ContentLength < 0 && r.Out.ContentLengthN >= 0 {
			return r.itoa(r.Out.ContentLengthN), true
		}
		v := r.Out.Get(r.Out.ContentLength)
		return v, v != ""
	}), 0)
	add("sent_http_location", sent(func(r *Request) (string, bool) {
		if r.sentLocation != "" {
			return r.sentLocation, true
		}
		if v := r.Out.Get(r.Out.Location); v != "" {
			return v, true
		}
		return r.Out.Value("location")
	}), 0)
	add("sent_http_last_modified", sent(func(r *Request) (string, bool) {
		if r.Out.LastModified < 0 && r.Out.LastModifiedTime >= 0 {
			return FormatHTTPTime(r.Out.LastModifiedTime), true
		}
		v := r.Out.Get(r.Out.LastModified)
		return v, v != ""
	}), 0)
	add("sent_http_connection", sent(func(r *Request) (string, bool) {
		switch {
		case r.Out.Status == 101:
			return "upgrade", true
		case r.Keepalive:
			return "keep-alive", true
		}
		return "close", true
	}), 0)
	add("sent_http_keep_alive", sent(func(r *Request) (string, bool) {
		if r.Keepalive {
			if kh := r.Loc.core.KeepaliveHeader.Get(); kh != 0 {
				return "timeout=" + strconv.FormatInt(kh, 10), true
			}
		}
		return "", false
	}), 0)
	add("sent_http_transfer_encoding", sent(func(r *Request) (string, bool) {
		if r.Chunked {
			return "chunked", true
		}
		return "", false
	}), 0)
	vr.defs["limit_rate"] = &Variable{Name: "limit_rate", Flags: VarChangeable | VarNoCacheable,
		Get: func(r *Request, _ string, _ int) (string, bool) { return r.itoa(r.LimitRate), true },
		Set: func(r *Request, _ string, _ int, v string) {
			if n, ok := parseSize(v); ok {
				r.LimitRate, r.limitRateSet = n, true
			}
		}}
	add("connection", func(r *Request, _ string, _ int) (string, bool) { return r.utoa(r.conn.number), true }, 0)
	add("connection_requests", func(r *Request, _ string, _ int) (string, bool) { return r.itoa(int64(r.conn.requests)), true }, 0)
	add("connection_time", func(r *Request, _ string, _ int) (string, bool) {
		ms := time.Since(r.conn.start).Milliseconds()
		return r.appendScratch(func(b []byte) []byte {
			b = strconv.AppendInt(b, ms/1000, 10)
			b = append(b, '.')
			return appendPad3(b, ms%1000)
		}), true
	}, VarNoCacheable)
	add("nginx_version", func(r *Request, _ string, _ int) (string, bool) { return core.NginxVersion, true }, 0)
	add("sluice_version", func(r *Request, _ string, _ int) (string, bool) { return core.Version, true }, 0)
	add("hostname", func(r *Request, _ string, _ int) (string, bool) { return hostname(), true }, 0)
	add("pid", func(r *Request, _ string, _ int) (string, bool) { return strconv.Itoa(os.Getpid()), true }, 0)
	add("msec", func(r *Request, _ string, _ int) (string, bool) {
		now := time.Now()
		return r.appendScratch(func(b []byte) []byte {
			b = strconv.AppendInt(b, now.Unix(), 10)
			b = append(b, '.')
			return appendPad3(b, int64(now.Nanosecond()/1e6))
		}), true
	}, VarNoCacheable)
	add("time_iso8601", func(r *Request, _ string, _ int) (string, bool) {
		return r.appendScratch(func(b []byte) []byte { return time.Now().AppendFormat(b, "2006-01-02T15:04:05-07:00") }), true
	}, VarNoCacheable)
	add("time_local", func(r *Request, _ string, _ int) (string, bool) {
		return r.appendScratch(func(b []byte) []byte { return time.Now().AppendFormat(b, "02/Jan/2006:15:04:05 -0700") }), true
	}, VarNoCacheable)
	vr.prefixes = append(vr.prefixes,
		&Variable{Name: "http_", Flags: VarPrefix, Get: func(r *Request, name string, _ int) (string, bool) {
			return r.unknownHeaderIn(name[len("http_"):])
		}},
		&Variable{Name: "sent_http_", Flags: VarPrefix, Get: func(r *Request, name string, _ int) (string, bool) {
			return r.unknownHeaderOut(r.Out.List, name[len("sent_http_"):])
		}},
		&Variable{Name: "sent_trailer_", Flags: VarPrefix, Get: func(r *Request, name string, _ int) (string, bool) {
			return r.unknownHeaderOut(r.Out.Trailers, name[len("sent_trailer_"):])
		}},
		&Variable{Name: "proxy_protocol_tlv_", Flags: VarPrefix, Get: proxyProtocolTLV},
		&Variable{Name: "cookie_", Flags: VarPrefix, Get: func(r *Request, name string, _ int) (string, bool) {
			return r.Cookie(name[len("cookie_"):])
		}},
		&Variable{Name: "arg_", Flags: VarPrefix | VarNoCacheable, Get: func(r *Request, name string, _ int) (string, bool) {
			v, ok := http1.Arg(bytesconv.Bytes(r.Args), bytesconv.Bytes(name[len("arg_"):]))
			return bytesconv.String(v), ok
		}},
	)
}

// hostname is the machine's host name ($hostname), resolved once.
var hostname = func() func() string {
	h, err := os.Hostname()
	if err != nil {
		h = "localhost"
	}
	h = ascii.ToLower(h)
	return func() string { return h }
}()

// Cookie returns the value of cookie name from the Cookie headers.
func (r *Request) Cookie(name string) (string, bool) {
	v, _, ok := r.CookieLine(name)
	return v, ok
}

// CookieLine is Cookie that also returns the whole Cookie header line the
// value was found in (nginx's ngx_http_parse_cookie_lines, whose callers
// log the line).
func (r *Request) CookieLine(name string) (value, line string, ok bool) {
	for i := range r.In.List {
		h := &r.In.List[i]
		if h.Deleted || !ascii.EqualFold(h.Key, "cookie") {
			continue
		}
		if v, ok := http1.Cookie(bytesconv.Bytes(h.Value), bytesconv.Bytes(name)); ok {
			return bytesconv.String(v), h.Value, true
		}
	}
	return "", "", false
}

// joinHeadersIn joins every header named name with sep.
func (r *Request) joinHeadersIn(name, sep string) (string, bool) {
	first, n := -1, 0
	for i := range r.In.List {
		if !r.In.List[i].Deleted && ascii.EqualFold(r.In.List[i].Key, name) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	switch n {
	case 0:
		return "", false
	case 1:
		return r.In.List[first].Value, true
	}
	return r.appendScratch(func(b []byte) []byte {
		k := 0
		for i := range r.In.List {
			if !r.In.List[i].Deleted && ascii.EqualFold(r.In.List[i].Key, name) {
				if k > 0 {
					b = append(b, sep...)
				}
				b = append(b, r.In.List[i].Value...)
				k++
			}
		}
		return b
	}), true
}

// unknownHeaderIn is $http_NAME (ngx_http_variable_unknown_header with the
// request headers): several headers join with ", " (cookies with "; ").
func (r *Request) unknownHeaderIn(v string) (string, bool) {
	sep := ", "
	if v == "cookie" {
		sep = "; "
	}
	return r.joinMatching(r.In.List, v, sep)
}

func (r *Request) unknownHeaderOut(list []Header, v string) (string, bool) {
	return r.joinMatching(list, v, ", ")
}

func (r *Request) joinMatching(list []Header, v, sep string) (string, bool) {
	first, n := -1, 0
	for i := range list {
		if !list[i].Deleted && ascii.VarNameMatches(list[i].Key, v) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	switch n {
	case 0:
		return "", false
	case 1:
		return list[first].Value, true
	}
	return r.appendScratch(func(b []byte) []byte {
		k := 0
		for i := range list {
			if !list[i].Deleted && ascii.VarNameMatches(list[i].Key, v) {
				if k > 0 {
					b = append(b, sep...)
				}
				b = append(b, list[i].Value...)
				k++
			}
		}
		return b
	}), true
}

// appendScratch builds a value in the request's scratch memory.
func (r *Request) appendScratch(f func([]byte) []byte) string {
	start := len(r.scratch)
	r.scratch = f(r.scratch)
	return bytesconv.String(r.scratch[start:])
}

func (r *Request) itoa(n int64) string {
	return r.appendScratch(func(b []byte) []byte { return strconv.AppendInt(b, n, 10) })
}

func (r *Request) utoa(n uint64) string {
	return r.appendScratch(func(b []byte) []byte { return strconv.AppendUint(b, n, 10) })
}

func appendPad3(b []byte, n int64) []byte {
	if n < 100 {
		b = append(b, '0')
	}
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

func parseSize(s string) (int64, bool) {
	scale := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			scale, s = 1024, s[:len(s)-1]
		case 'm', 'M':
			scale, s = 1024*1024, s[:len(s)-1]
		}
	}
	n, ok := parseOffset(s)
	if !ok || n > (1<<63-1)/scale {
		return 0, false
	}
	return n * scale, true
}
