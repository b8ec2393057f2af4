package upstream

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Failure classes of next_upstream (nginx's NGX_HTTP_UPSTREAM_FT_*).
const (
	FtError         uint32 = 0x00000002
	FtTimeout       uint32 = 0x00000004
	FtInvalidHeader uint32 = 0x00000008
	FtHTTP500       uint32 = 0x00000010
	FtHTTP502       uint32 = 0x00000020
	FtHTTP503       uint32 = 0x00000040
	FtHTTP504       uint32 = 0x00000080
	FtHTTP403       uint32 = 0x00000100
	FtHTTP404       uint32 = 0x00000200
	FtHTTP429       uint32 = 0x00000400
	FtUpdating      uint32 = 0x00000800
	FtNonIdempotent uint32 = 0x00004000
	FtNoLive        uint32 = 0x40000000
	FtOff           uint32 = 0x80000000
)

// NextUpstreamMasks are the names of next_upstream's values.
var NextUpstreamMasks = conf.Enum[uint32]{
	{"error", FtError}, {"timeout", FtTimeout}, {"invalid_header", FtInvalidHeader},
	{"non_idempotent", FtNonIdempotent}, {"http_500", FtHTTP500}, {"http_502", FtHTTP502},
	{"http_503", FtHTTP503}, {"http_504", FtHTTP504}, {"http_403", FtHTTP403},
	{"http_404", FtHTTP404}, {"http_429", FtHTTP429}, {"updating", FtUpdating}, {"off", FtOff},
}

// Headers the framework can be told to ignore (ignore_headers).
const (
	IgnXAccelRedirect  uint32 = 0x00000002
	IgnXAccelExpires   uint32 = 0x00000004
	IgnExpires         uint32 = 0x00000008
	IgnCacheControl    uint32 = 0x00000010
	IgnSetCookie       uint32 = 0x00000020
	IgnXAccelLimitRate uint32 = 0x00000040
	IgnXAccelBuffering uint32 = 0x00000080
	IgnXAccelCharset   uint32 = 0x00000100
	IgnVary            uint32 = 0x00000200
)

// IgnoreHeaderMasks are the names of ignore_headers' values.
var IgnoreHeaderMasks = conf.Enum[uint32]{
	{"X-Accel-Redirect", IgnXAccelRedirect}, {"X-Accel-Expires", IgnXAccelExpires},
	{"X-Accel-Limit-Rate", IgnXAccelLimitRate}, {"X-Accel-Buffering", IgnXAccelBuffering},
	{"X-Accel-Charset", IgnXAccelCharset}, {"Expires", IgnExpires},
	{"Cache-Control", IgnCacheControl}, {"Set-Cookie", IgnSetCookie}, {"Vary", IgnVary},
}

// Conf is a location's upstream configuration (ngx_http_upstream_conf_t):
// what every module on the framework shares. Modules embed it in their
// location conf and get the directives with Directives(prefix, ...).
type Conf struct {
	ConnectTimeout      conf.Msec
	SendTimeout         conf.Msec
	ReadTimeout         conf.Msec
	NextUpstreamTimeout conf.Msec
	SendLowat           conf.Size
	BufferSize          conf.Size
	LimitRate           conf.Val[*httpd.Complex]
	Bufs                conf.Val[conf.Bufs]
	BusyBuffersSize     conf.Size
	MaxTempFileSize     conf.Size
	TempFileWriteSize   conf.Size
	IgnoreHeaders       conf.Val[uint32]
	NextUpstream        conf.Val[uint32]
	NextUpstreamTries   conf.Num
	StoreAccess         conf.Val[uint32]
	Buffering           conf.Flag
	RequestBuffering    conf.Flag
	PassRequestHeaders  conf.Flag
	PassRequestBody     conf.Flag
	PassTrailers        conf.Flag
	IgnoreClientAbort   conf.Flag
	InterceptErrors     conf.Flag
	// Intercept404 is set by protocols whose 404 carries no page of its
	// own (memcached): the upstream's 404 becomes the server's 404 page,
	// error_page aware, whatever intercept_errors says.
	Intercept404 bool
	// ChangeBuffering is set by protocols whose responses may turn
	// buffering on or off with X-Accel-Buffering (proxy, fastcgi, scgi,
	// uwsgi: nginx's change_buffering).
	ChangeBuffering bool
	// HeadExtra is room the protocol needs in the head buffer beyond
	// buffer_size, at its start (FastCGI frames the head it gathers with
	// a record header there): the reads are still held to buffer_size.
	HeadExtra       int
	ForceRanges     conf.Flag
	SocketKeepalive conf.Flag
	TempPath        conf.Str
	// HideHeaders and PassHeaders are the configured lists; Hidden is the
	// effective set of lowercased names to hide, built at merge.
	HideHeaders conf.List[string]
	PassHeaders conf.List[string]
	Hidden      map[string]bool
	// Bind is the local address to connect from (proxy_bind), nil when
	// none; BindTransparent is the "transparent" flag.
	Bind            conf.Val[*httpd.Complex]
	BindTransparent bool
	// Store is proxy_store: nil off, the literal "on" (ok, value nil), or a
	// path with variables.
	Store conf.Val[*httpd.Complex]

	// Module is the module name for messages ("proxy").
	Module string
	// Cache is the response cache configuration (CacheDirectives).
	Cache CacheConf
	// TLS configures connections over TLS (the module's ssl_*
	// directives), nil when the module has none.
	TLS *TLSConf

	bindSet                  bool
	busy, tempWrite, maxTemp int64
}

// Merge merges parent into c with nginx's defaults (as the proxy module
// does), building the hidden header set from the module's defaults. prefix
// is the directive prefix ("proxy_"), used in error messages; tempPath the
// default temp directory (relative to the prefix).
func (c *Conf) Merge(cf *httpd.Config, p *Conf, prefix string, defaultHide []string, tempPath string) error {
	c.ConnectTimeout.Inherit(p.ConnectTimeout, 60*time.Second)
	c.SendTimeout.Inherit(p.SendTimeout, 60*time.Second)
	c.ReadTimeout.Inherit(p.ReadTimeout, 60*time.Second)
	c.NextUpstreamTimeout.Inherit(p.NextUpstreamTimeout, 0)
	c.SendLowat.Inherit(p.SendLowat, 0)
	c.BufferSize.Inherit(p.BufferSize, 4096)
	c.LimitRate.Inherit(p.LimitRate, nil)
	c.Bufs.Inherit(p.Bufs, conf.Bufs{Num: 8, Size: 4096})
	c.StoreAccess.Inherit(p.StoreAccess, 0600)
	c.NextUpstreamTries.Inherit(p.NextUpstreamTries, 0)
	c.Buffering.Inherit(p.Buffering, true)
	c.RequestBuffering.Inherit(p.RequestBuffering, true)
	c.IgnoreClientAbort.Inherit(p.IgnoreClientAbort, false)
	c.ForceRanges.Inherit(p.ForceRanges, false)
	c.SocketKeepalive.Inherit(p.SocketKeepalive, false)
	c.PassRequestHeaders.Inherit(p.PassRequestHeaders, true)
	c.PassRequestBody.Inherit(p.PassRequestBody, true)
	c.PassTrailers.Inherit(p.PassTrailers, false)
	c.InterceptErrors.Inherit(p.InterceptErrors, false)
	if !c.bindSet {
		c.BindTransparent = p.BindTransparent
	}
	c.Bind.Inherit(p.Bind, nil)
	c.Store.Inherit(p.Store, nil)
	c.TempPath.Inherit(p.TempPath, cf.Cycle.Prefix+tempPath)

	if c.Bufs.Get().Num < 2 {
		return fmt.Errorf("there must be at least 2 \"%sbuffers\"", prefix)
	}
	size := c.BufferSize.Get()
	if bs := c.Bufs.Get().Size; size < bs {
		size = bs
	}
	c.BusyBuffersSize.InheritOnly(p.BusyBuffersSize)
	if !c.BusyBuffersSize.IsSet() {
		c.busy = 2 * size
	} else {
		c.busy = c.BusyBuffersSize.Get()
	}
	if c.busy < size {
		return fmt.Errorf("\"%sbusy_buffers_size\" must be equal to or greater than the maximum of the value of \"%sbuffer_size\" and one of the \"%sbuffers\"", prefix, prefix, prefix)
	}
	if b := c.Bufs.Get(); c.busy > int64(b.Num-1)*b.Size {
		return fmt.Errorf("\"%sbusy_buffers_size\" must be less than the size of all \"%sbuffers\" minus one buffer", prefix, prefix)
	}
	c.TempFileWriteSize.InheritOnly(p.TempFileWriteSize)
	if !c.TempFileWriteSize.IsSet() {
		c.tempWrite = 2 * size
	} else {
		c.tempWrite = c.TempFileWriteSize.Get()
	}
	if c.tempWrite < size {
		return fmt.Errorf("\"%stemp_file_write_size\" must be equal to or greater than the maximum of the value of \"%sbuffer_size\" and one of the \"%sbuffers\"", prefix, prefix, prefix)
	}
	c.MaxTempFileSize.InheritOnly(p.MaxTempFileSize)
	if !c.MaxTempFileSize.IsSet() {
		c.maxTemp = 1 << 30
	} else {
		c.maxTemp = c.MaxTempFileSize.Get()
	}
	if c.maxTemp != 0 && c.maxTemp < size {
		return fmt.Errorf("\"%smax_temp_file_size\" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of \"%sbuffer_size\" and one of the \"%sbuffers\"", prefix, prefix, prefix)
	}
	c.IgnoreHeaders.Inherit(p.IgnoreHeaders, 0)
	c.NextUpstream.Inherit(p.NextUpstream, FtError|FtTimeout)
	if c.NextUpstream.Get()&FtOff != 0 {
		c.NextUpstream.Set(FtOff)
	}

	if err := c.Cache.merge(cf, &p.Cache, prefix); err != nil {
		return err
	}

	if !c.HideHeaders.IsSet() && !c.PassHeaders.IsSet() && p.Hidden != nil {
		c.HideHeaders, c.PassHeaders, c.Hidden = p.HideHeaders, p.PassHeaders, p.Hidden
		return nil
	}
	c.HideHeaders.InheritOnly(p.HideHeaders)
	c.PassHeaders.InheritOnly(p.PassHeaders)
	c.Hidden = map[string]bool{}
	for _, h := range defaultHide {
		c.Hidden[ascii.ToLower(h)] = true
	}
	for _, h := range c.HideHeaders.Get() {
		c.Hidden[ascii.ToLower(h)] = true
	}
	for _, h := range c.PassHeaders.Get() {
		delete(c.Hidden, ascii.ToLower(h))
	}
	return nil
}

// BusyBuffers is the effective busy_buffers_size computed at merge.
func (c *Conf) BusyBuffers() int64 { return c.busy }

// TempWriteSize is the effective temp_file_write_size computed at merge.
func (c *Conf) TempWriteSize() int64 { return c.tempWrite }

// MaxTempSize is the effective max_temp_file_size computed at merge (0
// disables temp files).
func (c *Conf) MaxTempSize() int64 { return c.maxTemp }

// Directives returns the shared directive family for a module: prefix
// "proxy_" gives proxy_connect_timeout, proxy_buffering, proxy_buffers,
// proxy_hide_header, ... acc returns the module's *Conf from its location
// conf (the Cmd.Conf of a location-level directive). only, when not nil,
// restricts the family to the named suffixes (memcached has no buffering).
func Directives[C any](prefix string, acc func(*C) *Conf, only ...string) []conf.Directive {
	msl := conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	type spec struct {
		name   string
		args   conf.Arity
		ctx    conf.Context
		syntax string
		def    string
		set    func(*conf.Cmd) error
	}
	fl := func(f func(*Conf) *conf.Flag) func(*conf.Cmd) error {
		return conf.SetFlag(func(c *C) *conf.Flag { return f(acc(c)) })
	}
	ms := func(f func(*Conf) *conf.Msec) func(*conf.Cmd) error {
		return conf.SetMsec(func(c *C) *conf.Msec { return f(acc(c)) })
	}
	sz := func(f func(*Conf) *conf.Size) func(*conf.Cmd) error {
		return conf.SetSize(func(c *C) *conf.Size { return f(acc(c)) })
	}
	specs := []spec{
		{"connect_timeout", conf.Take1, msl, "time", "60s", ms(func(u *Conf) *conf.Msec { return &u.ConnectTimeout })},
		{"send_timeout", conf.Take1, msl, "time", "60s", ms(func(u *Conf) *conf.Msec { return &u.SendTimeout })},
		{"read_timeout", conf.Take1, msl, "time", "60s", ms(func(u *Conf) *conf.Msec { return &u.ReadTimeout })},
		{"next_upstream_timeout", conf.Take1, msl, "time", "0", ms(func(u *Conf) *conf.Msec { return &u.NextUpstreamTimeout })},
		{"next_upstream_tries", conf.Take1, msl, "number", "0", conf.SetNum(func(c *C) *conf.Num { return &acc(c).NextUpstreamTries })},
		{"next_upstream", conf.OneMore, msl, "error | timeout | invalid_header | http_500 | http_502 | http_503 | http_504 | http_403 | http_404 | http_429 | non_idempotent | off ...", "error timeout",
			conf.SetBitmask(NextUpstreamMasks, func(c *C) *conf.Val[uint32] { return &acc(c).NextUpstream })},
		{"send_lowat", conf.Take1, msl, "size", "0", sz(func(u *Conf) *conf.Size { return &u.SendLowat })},
		{"buffer_size", conf.Take1, msl, "size", "4k|8k", sz(func(u *Conf) *conf.Size { return &u.BufferSize })},
		{"buffers", conf.Take2, msl, "number size", "8 4k|8k", conf.SetBufs(func(c *C) *conf.Val[conf.Bufs] { return &acc(c).Bufs })},
		{"busy_buffers_size", conf.Take1, msl, "size", "8k|16k", sz(func(u *Conf) *conf.Size { return &u.BusyBuffersSize })},
		{"temp_file_write_size", conf.Take1, msl, "size", "8k|16k", sz(func(u *Conf) *conf.Size { return &u.TempFileWriteSize })},
		{"max_temp_file_size", conf.Take1, msl, "size", "1024m", sz(func(u *Conf) *conf.Size { return &u.MaxTempFileSize })},
		{"temp_path", conf.Take1234, msl, "path [level1 [level2 [level3]]]", prefixName(prefix) + "_temp", setTempPath(acc)},
		{"buffering", conf.FlagArg, msl, "on | off", "on", fl(func(u *Conf) *conf.Flag { return &u.Buffering })},
		{"request_buffering", conf.FlagArg, msl, "on | off", "on", fl(func(u *Conf) *conf.Flag { return &u.RequestBuffering })},
		{"pass_request_headers", conf.FlagArg, msl, "on | off", "on", fl(func(u *Conf) *conf.Flag { return &u.PassRequestHeaders })},
		{"pass_request_body", conf.FlagArg, msl, "on | off", "on", fl(func(u *Conf) *conf.Flag { return &u.PassRequestBody })},
		{"pass_trailers", conf.FlagArg, msl, "on | off", "off", fl(func(u *Conf) *conf.Flag { return &u.PassTrailers })},
		{"ignore_client_abort", conf.FlagArg, msl, "on | off", "off", fl(func(u *Conf) *conf.Flag { return &u.IgnoreClientAbort })},
		{"intercept_errors", conf.FlagArg, msl, "on | off", "off", fl(func(u *Conf) *conf.Flag { return &u.InterceptErrors })},
		{"force_ranges", conf.FlagArg, msl, "on | off", "off", fl(func(u *Conf) *conf.Flag { return &u.ForceRanges })},
		{"socket_keepalive", conf.FlagArg, msl, "on | off", "off", fl(func(u *Conf) *conf.Flag { return &u.SocketKeepalive })},
		{"hide_header", conf.Take1, msl, "field", "", conf.SetStrList(func(c *C) *conf.List[string] { return &acc(c).HideHeaders })},
		{"pass_header", conf.Take1, msl, "field", "", conf.SetStrList(func(c *C) *conf.List[string] { return &acc(c).PassHeaders })},
		{"ignore_headers", conf.OneMore, msl, "field ...", "", conf.SetBitmask(IgnoreHeaderMasks, func(c *C) *conf.Val[uint32] { return &acc(c).IgnoreHeaders })},
		{"limit_rate", conf.Take1, msl, "rate", "0", setLimitRate(acc)},
		{"bind", conf.Take12, msl, "address [transparent] | off", "", setBind(acc)},
		{"store", conf.Take1, msl, "on | off | string", "off", setStore(acc)},
		{"store_access", conf.Take123, msl, "users:permissions ...", "user:rw", setStoreAccess(acc)},
	}
	// docs notes what differs from nginx
	docs := map[string]string{
		"busy_buffers_size":    "Accepted, without effect: buffers are written to the client as they fill, none waits busy.",
		"temp_file_write_size": "Accepted, without effect: a buffer goes to the temporary file in one write.",
	}
	keep := map[string]bool{}
	for _, o := range only {
		keep[o] = true
	}
	var out []conf.Directive
	for _, s := range specs {
		if len(only) > 0 && !keep[s.name] {
			continue
		}
		out = append(out, conf.Directive{Name: prefix + s.name, Context: s.ctx, Args: s.args, Set: s.set,
			Syntax: prefix + s.name + " " + s.syntax + ";", Default: defaultText(prefix+s.name, s.def), Doc: docs[s.name]})
	}
	return out
}

func prefixName(prefix string) string { return strings.TrimSuffix(prefix, "_") }

func defaultText(name, def string) string {
	if def == "" {
		return ""
	}
	return name + " " + def + ";"
}

func setTempPath[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := acc(c.Conf.(*C))
		if u.TempPath.IsSet() {
			return conf.ErrDuplicate
		}
		for _, lv := range c.Args[1:] {
			n, ok := conf.Atoi(lv)
			if !ok || n == 0 || n > 2 {
				return conf.ErrInvalidValue
			}
		}
		u.TempPath.Set(c.Loader.FullName(c.Arg(0), false))
		return nil
	}
}

func setLimitRate[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := acc(c.Conf.(*C))
		if u.LimitRate.IsSet() {
			return conf.ErrDuplicate
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		if s, ok := x.Literal(); ok {
			if _, ok := conf.ParseSize(s); !ok {
				return conf.ErrInvalidValue
			}
		}
		u.LimitRate.Set(x)
		return nil
	}
}

func setBind[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := acc(c.Conf.(*C))
		if u.bindSet {
			return conf.ErrDuplicate
		}
		u.bindSet = true
		if c.Arg(0) == "off" {
			u.Bind.Set(nil)
			return nil
		}
		x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		if s, ok := x.Literal(); ok {
			if net.ParseIP(s) == nil {
				return c.Errorf("invalid address \"%s\"", s)
			}
		}
		if len(c.Args) == 2 {
			if c.Arg(1) != "transparent" {
				return c.Errorf("invalid parameter \"%s\"", c.Arg(1))
			}
			u.BindTransparent = true
		}
		u.Bind.Set(x)
		return nil
	}
}

func setStore[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		u := acc(c.Conf.(*C))
		if u.Store.IsSet() {
			return conf.ErrDuplicate
		}
		if c.Arg(0) != "off" && u.Cache.cacheSet && !u.Cache.off {
			return fmt.Errorf("is incompatible with \"%scache\"", strings.TrimSuffix(c.Name, "store"))
		}
		switch c.Arg(0) {
		case "off":
			u.Store.Set(nil)
		case "on":
			u.Store.Set(storeOn)
		default:
			x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
			if err != nil {
				return err
			}
			u.Store.Set(x)
		}
		return nil
	}
}

// storeOn marks "store on": the file name is the request's path under root.
var storeOn = &httpd.Complex{}

func setStoreAccess[C any](acc func(*C) *Conf) func(*conf.Cmd) error {
	return conf.SetAccess(func(c *C) *conf.Val[uint32] { return &acc(c).StoreAccess })
}
