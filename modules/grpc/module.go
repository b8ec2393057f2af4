package grpc

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// Module is the grpc HTTP module (ngx_http_grpc_module).
var Module = &httpd.Module{
	Name:              "grpc",
	Handle:            &self,
	Directives:        directives(),
	Preconfiguration:  addVariables,
	CreateMain:        func(*httpd.Config) any { return &upstream.PassBlocks{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Postconfiguration: postconfiguration,
}

// hideDefaults are the response headers grpc never passes unless
// grpc_pass_header says so (ngx_http_grpc_hide_headers).
var hideDefaults = []string{"Date", "Server", "X-Accel-Expires", "X-Accel-Redirect",
	"X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

// LocConf is the grpc module's location configuration
// (ngx_http_grpc_loc_conf_t).
type LocConf struct {
	// U is the shared upstream configuration.
	U upstream.Conf

	pass      *cgiup.Pass
	headerSrc conf.List[headerSrc]
	headers   *headerSet
	ssl       upstream.SSLConf
}

func directives() []conf.Directive {
	acc := func(c *LocConf) *upstream.Conf { return &c.U }
	d := []conf.Directive{
		{Name: "grpc_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "grpc_pass address;",
			Doc:    "Sets the gRPC server address: host:port, grpc://host:port, grpcs://host:port, unix:/path, an upstream group, or a value with variables."},
		{Name: "grpc_set_header", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take2, Set: setHeader,
			Syntax: "grpc_set_header field value;", Default: "grpc_set_header Content-Length $content_length;",
			Doc: "Redefines or appends fields to the request header passed to the gRPC server; an empty value drops the field."},
	}
	ssl := upstream.SSLDirectives("grpc_", "gRPC SSL server", func(c *LocConf) *upstream.SSLConf { return &c.ssl })
	for i := range ssl {
		if ssl[i].Name == "grpc_ssl_name" {
			ssl[i].Default = "grpc_ssl_name host from grpc_pass;"
		}
	}
	d = append(d, ssl...)
	shared := upstream.Directives("grpc_", acc,
		"bind", "socket_keepalive", "connect_timeout", "send_timeout", "intercept_errors",
		"buffer_size", "read_timeout", "next_upstream", "next_upstream_tries",
		"next_upstream_timeout", "pass_header", "hide_header", "ignore_headers")
	return append(d, shared...)
}

// setPass is grpc_pass (ngx_http_grpc_pass).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.pass != nil {
		return conf.ErrDuplicate
	}
	p, err := cgiup.ParsePass(c, handler, "grpc://",
		cgiup.Scheme{Prefix: "grpc://"}, cgiup.Scheme{Prefix: "grpcs://", TLS: true})
	if err != nil {
		return err
	}
	lc.pass = p
	httpd.ConfigOf(c).MainConf(&self).(*upstream.PassBlocks).Add(httpd.CoreLocOf(c))
	return nil
}

// postconfiguration gives limit_except blocks the handler of their
// location when they inherit its grpc_pass.
func postconfiguration(cf *httpd.Config) error {
	if b, _ := cf.MainConf(&self).(*upstream.PassBlocks); b != nil {
		b.LimitExcept(func(l *httpd.Location) bool {
			lc, _ := l.Conf(&self).(*LocConf)
			return lc != nil && lc.pass != nil
		}, handler)
	}
	return nil
}

// mergeLoc is ngx_http_grpc_merge_loc_conf: the shared values with grpc's
// defaults and the fixed ones (no buffering, no temp files, trailers
// passed).
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.pass == nil {
		c.pass = p.pass
	}
	u := &c.U
	// one buffer of grpc_buffer_size, nothing else: nginx's grpc has no
	// grpc_buffers (bufs.num 0), so the pipe's checks must pass whatever
	// the buffer size
	u.BufferSize.Inherit(p.U.BufferSize, 4096)
	u.Bufs.Set(conf.Bufs{Num: 8, Size: u.BufferSize.Get()})
	u.Buffering.Set(false)
	u.RequestBuffering.Set(true)
	u.IgnoreClientAbort.Set(false)
	u.PassRequestHeaders.Set(true)
	u.PassRequestBody.Set(true)
	u.PassTrailers.Set(true)
	u.ForceRanges.Set(false)
	u.MaxTempFileSize.Set(0)
	if err := u.Merge(cf, &p.U, "grpc_", hideDefaults, "grpc_temp"); err != nil {
		return err
	}
	overTLS := c.pass != nil && (c.pass.TLS || c.pass.Dynamic != nil)
	tc, err := upstream.MergeSSL(cf, &p.ssl, &c.ssl, "grpc_", overTLS)
	if err != nil {
		return err
	}
	if tc != nil {
		// nginx asks for h2 with ALPN (ngx_http_grpc_set_ssl)
		tc.Config = tc.Config.Clone()
		tc.Config.NextProtos = []string{"h2"}
		c.U.TLS = tc
	}
	if !c.headerSrc.IsSet() {
		if p.headers == nil {
			// built once at the enclosing level, shared by the blocks
			// without grpc_set_header
			if p.headers, err = compileHeaders(cf, p.headerSrc.Get()); err != nil {
				return err
			}
		}
		c.headers = p.headers
		return nil
	}
	c.headers, err = compileHeaders(cf, c.headerSrc.Get())
	return err
}

// handler is the content handler (ngx_http_grpc_handler): where the
// request goes, the client's body, then the exchange.
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if lc == nil || lc.pass == nil {
		return 500
	}
	w, st := lc.pass.Resolve(r)
	if st != 0 {
		return st
	}
	// the body is streamed to the server as it arrives, as nginx's grpc
	// does (request_body_no_buffering); one that is all here already is
	// sent as a whole
	stream, st := r.StreamBody(int(lc.U.BufferSize.Get()))
	if st != httpd.OK {
		return st
	}
	p := &proto{lc: lc, where: w, length: -1, stream: stream}
	return upstream.Run(r, &lc.U, w.Target, p)
}

// headerSrc is one grpc_set_header line.
type headerSrc struct {
	key   string
	value *httpd.Complex // nil for an empty value
}

// headerLine is a line to send.
type headerLine struct {
	key   string
	value *httpd.Complex
}

// headerSet is the compiled grpc_set_header list of a level with nginx's
// defaults merged in (ngx_http_grpc_init_headers): the lines to send, the
// lowercased names of every listed field (not copied from the client's
// request), and whether Host was set (then no :authority is sent).
type headerSet struct {
	lines   []headerLine
	names   []string
	hostSet bool
}

// defaultHeaders is ngx_http_grpc_headers of nginx 1.22: a field with no
// value is never passed.
var defaultHeaders = []struct{ key, value string }{
	{"Content-Length", "$content_length"},
	{"TE", "$grpc_internal_trailers"},
	{"Host", ""},
	{"Connection", ""},
	{"Transfer-Encoding", ""},
	{"Keep-Alive", ""},
	{"Expect", ""},
	{"Upgrade", ""},
}

// compileHeaders merges a level's grpc_set_header lines with the
// defaults: the configured lines first, then each default not named.
func compileHeaders(cf *httpd.Config, src []headerSrc) (*headerSet, error) {
	hs := &headerSet{}
	for _, h := range src {
		if ascii.EqualFold(h.key, "Host") {
			hs.hostSet = true
		}
		hs.names = append(hs.names, ascii.ToLower(h.key))
		if h.value != nil {
			hs.lines = append(hs.lines, headerLine{key: h.key, value: h.value})
		}
	}
next:
	for _, d := range defaultHeaders {
		for _, h := range src {
			if ascii.EqualFold(h.key, d.key) {
				continue next
			}
		}
		hs.names = append(hs.names, ascii.ToLower(d.key))
		if d.value != "" {
			x, err := cf.Compile(nil, d.value)
			if err != nil {
				return nil, err
			}
			hs.lines = append(hs.lines, headerLine{key: d.key, value: x})
		}
	}
	return hs, nil
}

// listed reports whether the client's field is in the set.
func (hs *headerSet) listed(name string) bool {
	for _, n := range hs.names {
		if len(n) == len(name) && ascii.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// setHeader is grpc_set_header.
func setHeader(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	h := headerSrc{key: c.Arg(0)}
	if c.Arg(1) != "" {
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(1))
		if err != nil {
			return err
		}
		h.value = x
	}
	conf.Append(&lc.headerSrc, h)
	return nil
}

// addVariables defines $grpc_internal_trailers: "trailers" when the
// client's TE header asks for them (ngx_http_grpc_internal_trailers_variable).
func addVariables(cf *httpd.Config) error {
	_, err := cf.AddVariable(&httpd.Variable{Name: "grpc_internal_trailers", Flags: httpd.VarNoCacheable,
		Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			te, ok := r.In.Value("TE")
			if !ok || !ascii.ContainsFold(te, "trailers") {
				return "", false
			}
			return "trailers", true
		}})
	return err
}
