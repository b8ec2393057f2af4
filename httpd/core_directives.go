package httpd

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
)

// Core is the HTTP core module (ngx_http_core_module): server and location
// blocks, listen and server_name, the request limits and timeouts, files,
// error pages, keepalive.
var Core = &Module{
	Name:       "core",
	Directives: coreDirectives,
	CreateMain: createCoreMain,
	CreateSrv:  createCoreSrv,
	MergeSrv:   mergeCoreSrv,
	CreateLoc:  createCoreLoc,
	MergeLoc:   mergeCoreLoc,
	Preconfiguration: func(cf *Config) error {
		cf.vars.addCore()
		return nil
	},
	Postconfiguration: func(cf *Config) error {
		cf.AddHandler(Precontent, tryFilesPhase)
		return nil
	},
}

const (
	httpMSL  = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc
	httpMS   = conf.HTTPMain | conf.HTTPSrv
	httpMSLI = httpMSL | conf.HTTPLif
)

func clcf(c *conf.Cmd) *CoreLocConf { return c.Conf.(*CoreLocConf) }

func loc[F any](f func(*CoreLocConf) *F) func(*CoreLocConf) *F { return f }

func srv[F any](f func(*CoreSrvConf) *F) func(*CoreSrvConf) *F { return f }

var coreDirectives = []conf.Directive{
	{Name: "server", Context: conf.HTTPMain, Args: conf.Block | conf.NoArgs, Syntax: "server { ... }",
		Doc: "A virtual server.", Set: readServer},
	{Name: "location", Context: conf.HTTPSrv | conf.HTTPLoc, Args: conf.Block | conf.Take12,
		Syntax: "location [ = | ~ | ~* | ^~ ] uri { ... }\nlocation @name { ... }",
		Doc:    "Configuration by request URI: exact, longest prefix, regular expressions in order (RE2 syntax).", Set: readLocation},
	{Name: "listen", Context: conf.HTTPSrv, Args: conf.OneMore, Level: SrvLevel,
		Syntax:  "listen address[:port] [default_server] [backlog=number] [rcvbuf=size] [sndbuf=size] [deferred] [bind] [ipv6only=on|off] [reuseport] [so_keepalive=...] [proxy_protocol];\nlisten port [...];\nlisten unix:path [...];",
		Default: "listen *:80 | *:8000;", Doc: "Address and port of the server's listening socket. With proxy_protocol, every connection opens with a PROXY protocol header (version 1 or 2) from a load balancer: $proxy_protocol_addr, $proxy_protocol_port, $proxy_protocol_server_addr, $proxy_protocol_server_port, $proxy_protocol_tlv_*, and realip's \"real_ip_header proxy_protocol\"; a broken header is logged and the connection closed.", Set: setListen},
	{Name: "server_name", Context: conf.HTTPSrv, Args: conf.OneMore, Level: SrvLevel,
		Syntax: "server_name name ...;", Default: "server_name \"\";", Doc: "Names of the virtual server: exact, *.wildcard, wildcard.*, .suffix, ~regex.", Set: setServerName},
	{Name: "types", Context: httpMSL, Args: conf.Block | conf.NoArgs, Syntax: "types { ... }",
		Doc: "Maps file name extensions to MIME types.", Set: setTypes},
	{Name: "default_type", Context: httpMSL, Args: conf.Take1, Syntax: "default_type mime-type;", Default: "default_type text/plain;",
		Set: conf.SetStr(loc(func(c *CoreLocConf) *conf.Str { return &c.DefaultType }))},
	{Name: "root", Context: httpMSL | conf.HTTPLif, Args: conf.Take1, Syntax: "root path;", Default: "root html;",
		Doc: "Root directory for requests.", Set: setRoot},
	{Name: "alias", Context: conf.HTTPLoc, Args: conf.Take1, Syntax: "alias path;",
		Doc: "Replacement for the location's prefix.", Set: setRoot},
	{Name: "limit_except", Context: conf.HTTPLoc, Args: conf.Block | conf.OneMore, Syntax: "limit_except method ... { ... }",
		Doc: "Limits allowed methods inside a location.", Set: setLimitExcept},
	{Name: "client_max_body_size", Context: httpMSL, Args: conf.Take1, Syntax: "client_max_body_size size;", Default: "client_max_body_size 1m;",
		Set: conf.SetOffset(loc(func(c *CoreLocConf) *conf.Size { return &c.ClientMaxBodySize }))},
	{Name: "client_body_buffer_size", Context: httpMSL, Args: conf.Take1, Syntax: "client_body_buffer_size size;", Default: "client_body_buffer_size 8k;",
		Set: conf.SetSize(loc(func(c *CoreLocConf) *conf.Size { return &c.ClientBodyBufferSize }))},
	{Name: "client_body_timeout", Context: httpMSL, Args: conf.Take1, Syntax: "client_body_timeout time;", Default: "client_body_timeout 60s;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.ClientBodyTimeout }))},
	{Name: "client_body_temp_path", Context: httpMSL, Args: conf.Take1234, Syntax: "client_body_temp_path path [level1 [level2 [level3]]];", Default: "client_body_temp_path client_body_temp;",
		Set: setTempPath(loc(func(c *CoreLocConf) *conf.Str { return &c.ClientBodyTempPath }))},
	{Name: "client_body_in_file_only", Context: httpMSL, Args: conf.Take1, Syntax: "client_body_in_file_only on | clean | off;", Default: "client_body_in_file_only off;",
		Set: conf.SetEnum(conf.Enum[int]{{"off", BodyFileOff}, {"on", BodyFileOn}, {"clean", BodyFileClean}}, loc(func(c *CoreLocConf) *conf.Val[int] { return &c.ClientBodyInFileOnly }))},
	{Name: "client_body_in_single_buffer", Context: httpMSL, Args: conf.FlagArg, Syntax: "client_body_in_single_buffer on | off;", Default: "client_body_in_single_buffer off;",
		Doc: "Accepted, without effect: a request body kept in memory is always one piece for $request_body.",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.ClientBodyInSingleBuffer }))},
	{Name: "client_header_timeout", Context: httpMS, Args: conf.Take1, Level: SrvLevel, Syntax: "client_header_timeout time;", Default: "client_header_timeout 60s;",
		Set: conf.SetMsec(srv(func(c *CoreSrvConf) *conf.Msec { return &c.ClientHeaderTimeout }))},
	{Name: "client_header_buffer_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel, Syntax: "client_header_buffer_size size;", Default: "client_header_buffer_size 1k;",
		Set: conf.SetSize(srv(func(c *CoreSrvConf) *conf.Size { return &c.ClientHeaderBufferSize }))},
	{Name: "large_client_header_buffers", Context: httpMS, Args: conf.Take2, Level: SrvLevel, Syntax: "large_client_header_buffers number size;", Default: "large_client_header_buffers 4 8k;",
		Set: conf.SetBufs(srv(func(c *CoreSrvConf) *conf.Val[conf.Bufs] { return &c.LargeClientHeaderBuffers }))},
	{Name: "max_headers", Context: httpMS, Args: conf.Take1, Level: SrvLevel, Syntax: "max_headers number;", Default: "max_headers 1000;",
		Set: conf.SetNum(srv(func(c *CoreSrvConf) *conf.Num { return &c.MaxHeaders }))},
	{Name: "ignore_invalid_headers", Context: httpMS, Args: conf.FlagArg, Level: SrvLevel, Syntax: "ignore_invalid_headers on | off;", Default: "ignore_invalid_headers on;",
		Set: conf.SetFlag(srv(func(c *CoreSrvConf) *conf.Flag { return &c.IgnoreInvalidHeaders }))},
	{Name: "merge_slashes", Context: httpMS, Args: conf.FlagArg, Level: SrvLevel, Syntax: "merge_slashes on | off;", Default: "merge_slashes on;",
		Set: conf.SetFlag(srv(func(c *CoreSrvConf) *conf.Flag { return &c.MergeSlashes }))},
	{Name: "underscores_in_headers", Context: httpMS, Args: conf.FlagArg, Level: SrvLevel, Syntax: "underscores_in_headers on | off;", Default: "underscores_in_headers off;",
		Set: conf.SetFlag(srv(func(c *CoreSrvConf) *conf.Flag { return &c.UnderscoresInHeaders }))},
	{Name: "connection_pool_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel, Syntax: "connection_pool_size size;",
		Doc: "Accepted for compatibility (Go manages memory).", Set: conf.SetSize(srv(func(c *CoreSrvConf) *conf.Size { return &c.ConnectionPoolSize }))},
	{Name: "request_pool_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel, Syntax: "request_pool_size size;",
		Doc: "Accepted for compatibility (Go manages memory).", Set: conf.SetSize(srv(func(c *CoreSrvConf) *conf.Size { return &c.RequestPoolSize }))},
	{Name: "internal", Context: conf.HTTPLoc, Args: conf.NoArgs, Syntax: "internal;", Doc: "Only internal requests may use the location.",
		Set: func(c *conf.Cmd) error {
			l := clcf(c)
			if l.Internal.IsSet() {
				return conf.ErrDuplicate
			}
			l.Internal.Set(true)
			return nil
		}},
	{Name: "sendfile", Context: httpMSLI, Args: conf.FlagArg, Syntax: "sendfile on | off;", Default: "sendfile off;",
		Doc: "Accepted, without effect: file regions always go out through Go's io.Copy, which uses sendfile(2) (docs/compat.md).",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.Sendfile }))},
	{Name: "sendfile_max_chunk", Context: httpMSL, Args: conf.Take1, Syntax: "sendfile_max_chunk size;", Default: "sendfile_max_chunk 2m;",
		Doc: "Accepted, without effect: a file region goes out in one io.Copy (a goroutine per connection: no other connection waits for it).",
		Set: conf.SetSize(loc(func(c *CoreLocConf) *conf.Size { return &c.SendfileMaxChunk }))},
	{Name: "output_buffers", Context: httpMSL, Args: conf.Take2, Syntax: "output_buffers number size;", Default: "output_buffers 2 32k;",
		Doc: "Buffers for reading a response from a disk; accepted, without effect (files go out with sendfile).",
		Set: conf.SetBufs(loc(func(c *CoreLocConf) *conf.Val[conf.Bufs] { return &c.OutputBuffers }))},
	{Name: "tcp_nopush", Context: httpMSL, Args: conf.FlagArg, Syntax: "tcp_nopush on | off;", Default: "tcp_nopush off;",
		Doc: "Accepted, without effect: sluice does not set TCP_CORK; a response head and its first body bytes go out in one writev already.",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.TCPNopush }))},
	{Name: "tcp_nodelay", Context: httpMSL, Args: conf.FlagArg, Syntax: "tcp_nodelay on | off;", Default: "tcp_nodelay on;",
		Doc: "Accepted; client connections always have TCP_NODELAY (Go sets it on every TCP connection), as with nginx's default on; off is not applied.",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.TCPNodelay }))},
	{Name: "send_timeout", Context: httpMSL, Args: conf.Take1, Syntax: "send_timeout time;", Default: "send_timeout 60s;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.SendTimeout }))},
	{Name: "send_lowat", Context: httpMSL, Args: conf.Take1, Syntax: "send_lowat size;", Default: "send_lowat 0;",
		Set: conf.SetSize(loc(func(c *CoreLocConf) *conf.Size { return &c.SendLowat }))},
	{Name: "postpone_output", Context: httpMSL, Args: conf.Take1, Syntax: "postpone_output size;", Default: "postpone_output 1460;",
		Doc: "Accepted, without effect: output is written as filters pass it on (a head waits for the first body bytes, as in nginx).",
		Set: conf.SetSize(loc(func(c *CoreLocConf) *conf.Size { return &c.PostponeOutput }))},
	{Name: "limit_rate", Context: httpMSLI, Args: conf.Take1, Syntax: "limit_rate rate;", Default: "limit_rate 0;",
		Set: setComplexSize(loc(func(c *CoreLocConf) *conf.Val[*Complex] { return &c.LimitRate }))},
	{Name: "limit_rate_after", Context: httpMSLI, Args: conf.Take1, Syntax: "limit_rate_after size;", Default: "limit_rate_after 0;",
		Set: setComplexSize(loc(func(c *CoreLocConf) *conf.Val[*Complex] { return &c.LimitRateAfter }))},
	{Name: "keepalive_time", Context: httpMSL, Args: conf.Take1, Syntax: "keepalive_time time;", Default: "keepalive_time 1h;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.KeepaliveTime }))},
	{Name: "keepalive_timeout", Context: httpMSL, Args: conf.Take12, Syntax: "keepalive_timeout timeout [header_timeout];", Default: "keepalive_timeout 75s;",
		Set: setKeepaliveTimeout},
	{Name: "keepalive_min_timeout", Context: httpMSL, Args: conf.Take1, Syntax: "keepalive_min_timeout timeout;", Default: "keepalive_min_timeout 0;",
		Doc: "Accepted, without effect: idle keepalive connections are closed when a reload or shutdown drains them, whatever their idle time.",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.KeepaliveMin }))},
	{Name: "keepalive_requests", Context: httpMSL, Args: conf.Take1, Syntax: "keepalive_requests number;", Default: "keepalive_requests 1000;",
		Set: conf.SetNum(loc(func(c *CoreLocConf) *conf.Num { return &c.KeepaliveRequests }))},
	{Name: "keepalive_disable", Context: httpMSL, Args: conf.Take12, Syntax: "keepalive_disable none | browser ...;", Default: "keepalive_disable msie6;",
		Set: conf.SetBitmask(conf.Enum[uint]{{"none", keepaliveDisableNone}, {"msie6", keepaliveDisableMSIE6}, {"safari", keepaliveDisableSafari}}, loc(func(c *CoreLocConf) *conf.Val[uint] { return &c.KeepaliveDisable }))},
	{Name: "satisfy", Context: httpMSL, Args: conf.Take1, Syntax: "satisfy all | any;", Default: "satisfy all;",
		Set: conf.SetEnum(conf.Enum[int]{{"all", SatisfyAll}, {"any", SatisfyAny}}, loc(func(c *CoreLocConf) *conf.Val[int] { return &c.Satisfy }))},
	{Name: "auth_delay", Context: httpMSL, Args: conf.Take1, Syntax: "auth_delay time;", Default: "auth_delay 0s;",
		Doc: "Delays the 401 (and 407) answers of the access phase (auth_basic) by the time, logging \"delaying unauthorized request\" at info, so that the time of the answer does not tell a wrong password from a right one; a client that closes meanwhile ends the request with 499.",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.AuthDelay }))},
	{Name: "lingering_close", Context: httpMSL, Args: conf.Take1, Syntax: "lingering_close off | on | always;", Default: "lingering_close on;",
		Set: conf.SetEnum(conf.Enum[int]{{"off", LingeringOff}, {"on", LingeringOn}, {"always", LingeringAlways}}, loc(func(c *CoreLocConf) *conf.Val[int] { return &c.LingeringClose }))},
	{Name: "lingering_time", Context: httpMSL, Args: conf.Take1, Syntax: "lingering_time time;", Default: "lingering_time 30s;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.LingeringTime }))},
	{Name: "lingering_timeout", Context: httpMSL, Args: conf.Take1, Syntax: "lingering_timeout time;", Default: "lingering_timeout 5s;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.LingeringTimeout }))},
	{Name: "reset_timedout_connection", Context: httpMSL, Args: conf.FlagArg, Syntax: "reset_timedout_connection on | off;", Default: "reset_timedout_connection off;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.ResetTimedout }))},
	{Name: "absolute_redirect", Context: httpMSL, Args: conf.FlagArg, Syntax: "absolute_redirect on | off;", Default: "absolute_redirect on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.AbsoluteRedirect }))},
	{Name: "server_name_in_redirect", Context: httpMSL, Args: conf.FlagArg, Syntax: "server_name_in_redirect on | off;", Default: "server_name_in_redirect off;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.ServerNameInRedir }))},
	{Name: "port_in_redirect", Context: httpMSL, Args: conf.FlagArg, Syntax: "port_in_redirect on | off;", Default: "port_in_redirect on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.PortInRedirect }))},
	{Name: "msie_padding", Context: httpMSL, Args: conf.FlagArg, Syntax: "msie_padding on | off;", Default: "msie_padding on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.MsiePadding }))},
	{Name: "msie_refresh", Context: httpMSL, Args: conf.FlagArg, Syntax: "msie_refresh on | off;", Default: "msie_refresh off;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.MsieRefresh }))},
	{Name: "log_not_found", Context: httpMSL, Args: conf.FlagArg, Syntax: "log_not_found on | off;", Default: "log_not_found on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.LogNotFound }))},
	{Name: "log_subrequest", Context: httpMSL, Args: conf.FlagArg, Syntax: "log_subrequest on | off;", Default: "log_subrequest off;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.LogSubrequest }))},
	{Name: "recursive_error_pages", Context: httpMSL, Args: conf.FlagArg, Syntax: "recursive_error_pages on | off;", Default: "recursive_error_pages off;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.RecursiveErrPages }))},
	{Name: "server_tokens", Context: httpMSL, Args: conf.Take1, Syntax: "server_tokens on | off | build;", Default: "server_tokens on;",
		Set: conf.SetEnum(conf.Enum[int]{{"off", TokensOff}, {"on", TokensOn}, {"build", TokensBuild}}, loc(func(c *CoreLocConf) *conf.Val[int] { return &c.ServerTokens }))},
	{Name: "if_modified_since", Context: httpMSL, Args: conf.Take1, Syntax: "if_modified_since off | exact | before;", Default: "if_modified_since exact;",
		Set: conf.SetEnum(conf.Enum[int]{{"off", IMSOff}, {"exact", IMSExact}, {"before", IMSBefore}}, loc(func(c *CoreLocConf) *conf.Val[int] { return &c.IfModifiedSince }))},
	{Name: "max_ranges", Context: httpMSL, Args: conf.Take1, Syntax: "max_ranges number;",
		Set: conf.SetNum(loc(func(c *CoreLocConf) *conf.Num { return &c.MaxRanges }))},
	{Name: "chunked_transfer_encoding", Context: httpMSL, Args: conf.FlagArg, Syntax: "chunked_transfer_encoding on | off;", Default: "chunked_transfer_encoding on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.ChunkedEncoding }))},
	{Name: "etag", Context: httpMSL, Args: conf.FlagArg, Syntax: "etag on | off;", Default: "etag on;",
		Set: conf.SetFlag(loc(func(c *CoreLocConf) *conf.Flag { return &c.Etag }))},
	{Name: "error_page", Context: httpMSLI, Args: conf.TwoMore, Syntax: "error_page code ... [=[response]] uri;",
		Doc: "URI (or named location, or redirect URL) shown for the given errors.", Set: setErrorPage},
	{Name: "post_action", Context: httpMSLI, Args: conf.Take1, Syntax: "post_action uri | off;",
		Set: conf.SetStr(loc(func(c *CoreLocConf) *conf.Str { return &c.PostAction }))},
	{Name: "error_log", Context: httpMSL, Args: conf.OneMore, Syntax: "error_log file [level];",
		Doc: "Error log of the http block, server or location: files, stderr or syslog: destinations, as at main level.", Set: setErrorLog},
	{Name: "try_files", Context: conf.HTTPSrv | conf.HTTPLoc, Args: conf.TwoMore, Syntax: "try_files file ... uri;\ntry_files file ... =code;",
		Doc: "Checks files in order, using the first found; else redirects internally to the last argument.", Set: setTryFiles},
	{Name: "resolver", Context: httpMSL, Args: conf.OneMore, Syntax: "resolver address ... [valid=time] [ipv4=on|off] [ipv6=on|off] [status_zone=zone];",
		Doc: "DNS servers for names resolved at run time; answers are cached for their TTL, or for valid=.", Set: setResolver},
	{Name: "resolver_timeout", Context: httpMSL, Args: conf.Take1, Syntax: "resolver_timeout time;", Default: "resolver_timeout 30s;",
		Set: conf.SetMsec(loc(func(c *CoreLocConf) *conf.Msec { return &c.ResolverTimeout }))},
	{Name: "variables_hash_max_size", Context: conf.HTTPMain, Args: conf.Take1, Level: MainLevel, Syntax: "variables_hash_max_size size;",
		Doc: "Accepted for compatibility (Go maps need no sizing).", Set: conf.SetNum(func(c *CoreMainConf) *conf.Num { return &c.VariablesHashMaxSize })},
	{Name: "variables_hash_bucket_size", Context: conf.HTTPMain, Args: conf.Take1, Level: MainLevel, Syntax: "variables_hash_bucket_size size;",
		Doc: "Accepted for compatibility.", Set: conf.SetNum(func(c *CoreMainConf) *conf.Num { return &c.VariablesHashBucketSize })},
	{Name: "server_names_hash_max_size", Context: conf.HTTPMain, Args: conf.Take1, Level: MainLevel, Syntax: "server_names_hash_max_size size;",
		Doc: "Accepted for compatibility.", Set: conf.SetNum(func(c *CoreMainConf) *conf.Num { return &c.ServerNamesHashMaxSize })},
	{Name: "server_names_hash_bucket_size", Context: conf.HTTPMain, Args: conf.Take1, Level: MainLevel, Syntax: "server_names_hash_bucket_size size;",
		Doc: "Accepted for compatibility.", Set: conf.SetNum(func(c *CoreMainConf) *conf.Num { return &c.ServerNamesHashBucketSize })},
	accepted("types_hash_max_size", httpMSL, conf.Take1),
	accepted("types_hash_bucket_size", httpMSL, conf.Take1),
	{Name: "subrequest_output_buffer_size", Context: httpMSL, Args: conf.Take1, Syntax: "subrequest_output_buffer_size size;",
		Default: "subrequest_output_buffer_size 4k|8k;", Doc: "The default is 4k (the memory page size nginx uses).",
		Set: conf.SetSize(loc(func(c *CoreLocConf) *conf.Size { return &c.SubrequestOutputBufferSize }))},
	accepted("aio", httpMSL, conf.Take1),
	accepted("aio_write", httpMSL, conf.FlagArg),
	accepted("read_ahead", httpMSL, conf.Take1),
	accepted("directio", httpMSL, conf.Take1),
	accepted("directio_alignment", httpMSL, conf.Take1),
	accepted("open_file_cache", httpMSL, conf.Take12),
	accepted("open_file_cache_valid", httpMSL, conf.Take1),
	accepted("open_file_cache_min_uses", httpMSL, conf.Take1),
	accepted("open_file_cache_errors", httpMSL, conf.FlagArg),
	accepted("open_file_cache_events", httpMSL, conf.FlagArg),
	{Name: "disable_symlinks", Context: httpMSL, Args: conf.Take12, Syntax: "disable_symlinks off;\ndisable_symlinks on | if_not_owner [from=part];",
		Default: "disable_symlinks off;", Doc: "Refuses files reached through symbolic links (on), or through links whose owner does not own their target (if_not_owner), when files are served, tested by try_files and if, or looked for as indexes; from= names a leading part of the path left unchecked.",
		Set: setDisableSymlinks},
}

// accepted is a directive sluice reads and ignores because it tunes
// something Go or the kernel does for it; each is listed in docs/compat.md.
func accepted(name string, ctx conf.Context, args conf.Arity) conf.Directive {
	return conf.Directive{Name: name, Context: ctx, Args: args, Syntax: name + " ...;",
		Doc: "Accepted for compatibility; no effect in sluice.",
		Set: func(c *conf.Cmd) error {
			l, ok := c.Conf.(*CoreLocConf)
			if !ok {
				return nil
			}
			if l.Other == nil {
				l.Other = map[string]bool{}
			}
			if l.Other[c.Name] {
				return conf.ErrDuplicate
			}
			l.Other[c.Name] = true
			return nil
		}}
}

// readServer is the "server" block (ngx_http_core_server).
func readServer(c *conf.Cmd) error {
	cf := ConfigOf(c)
	s := &Server{cfg: cf, confs: cf.newSrvConfs(), Named: map[string]*Location{}, file: c.File, line: c.Line}
	s.CoreSrv().srv = s
	s.Loc = &Location{cfg: cf, srv: s, confs: cf.newLocConfs(), Kind: LocServer, file: c.File, line: c.Line}
	s.Loc.bindCore()
	s.Loc.core.loc = s.Loc
	cf.Servers = append(cf.Servers, s)
	if err := c.Loader.Walk(cf.scope(conf.HTTPSrv, &block{cf: cf, srv: s, loc: s.Loc}, c.Scope), c.Block); err != nil {
		return err
	}
	if len(s.Listens) == 0 {
		s.Listens = append(s.Listens, defaultListen())
	}
	return nil
}

func setKeepaliveTimeout(c *conf.Cmd) error {
	l := clcf(c)
	if l.KeepaliveTimeout.IsSet() {
		return conf.ErrDuplicate
	}
	d, ok := conf.ParseMsec(c.Arg(0))
	if !ok {
		return conf.ErrInvalidValue
	}
	l.KeepaliveTimeout.Set(d)
	if len(c.Args) == 2 {
		s, ok := conf.ParseTime(c.Arg(1), true)
		if !ok {
			return conf.ErrInvalidValue
		}
		l.KeepaliveHeader.Set(s)
	}
	return nil
}

// setRoot is "root" and "alias" (ngx_http_core_root).
func setRoot(c *conf.Cmd) error {
	l := clcf(c)
	alias := c.Name == "alias"
	if l.rootSet {
		if l.Alias == alias {
			return conf.ErrDuplicate
		}
		prev := "root"
		if l.Alias {
			prev = "alias"
		}
		return c.Errorf("\"%s\" directive is duplicate, \"%s\" directive was specified earlier", c.Name, prev)
	}
	if l.loc != nil && l.loc.Kind == LocNamed && alias {
		return c.Errorf("the \"alias\" directive cannot be used inside the named location")
	}
	v := c.Arg(0)
	for _, bad := range []string{"document_root", "realpath_root"} {
		if strings.Contains(v, "$"+bad) || strings.Contains(v, "${"+bad+"}") {
			return c.Errorf("the $%s variable cannot be used in the \"%s\" directive", bad, c.Name)
		}
	}
	if !alias && len(v) > 0 && v[len(v)-1] == '/' {
		v = v[:len(v)-1]
	}
	if !strings.HasPrefix(v, "$") {
		v = c.Loader.FullName(v, false)
	}
	cx, err := ConfigOf(c).Compile(c, v)
	if err != nil {
		return err
	}
	l.Root, l.Alias, l.rootSet = cx, alias, true
	if alias && l.loc != nil {
		l.aliasLen = len(l.loc.Name)
		if l.loc.Kind == LocRegex {
			l.aliasLen = -1 // the whole URI is replaced
		}
	}
	return nil
}

// setTypes is the "types" block: every statement "type ext ...;".
func setTypes(c *conf.Cmd) error {
	l := clcf(c)
	if !l.typesSet {
		l.Types, l.typesSet = map[string]string{}, true
	}
	return c.Loader.Walk(&conf.Scope{Context: c.Scope.Context, Parent: c.Scope, Data: c.Scope.Data,
		Handler: func(t *conf.Cmd) error {
			for _, ext := range t.Args {
				ext = ascii.ToLower(ext)
				if old, ok := l.Types[ext]; ok {
					t.Warnf("duplicate extension \"%s\", content type: \"%s\", previous content type: \"%s\"", ext, t.Name, old)
				}
				l.Types[ext] = t.Name
			}
			return nil
		}}, c.Block)
}

// setLimitExcept is the "limit_except" block.
func setLimitExcept(c *conf.Cmd) error {
	l := clcf(c)
	if l.LimitExcept != 0 {
		return conf.ErrDuplicate
	}
	allowed := uint32(0)
	for _, a := range c.Args {
		bit := methodBitByName(strings.ToUpper(a))
		if bit == 0 {
			return c.Errorf("invalid method \"%s\"", a)
		}
		allowed |= bit
	}
	if allowed&MethodGET != 0 {
		allowed |= MethodHEAD
	}
	l.LimitExcept = ^allowed
	n, err := ReadBlock(c, LocLimitExcept)
	if err != nil {
		return err
	}
	l.LimitExceptLoc = n
	return nil
}

// setErrorLog is error_log at http, server or location level.
func setErrorLog(c *conf.Cmd) error {
	l := clcf(c)
	s, err := core.ParseErrorLog(c, core.CycleOf(c).Files)
	if err != nil {
		return err
	}
	l.errorSinks = append(l.errorSinks, s)
	l.ErrorLog = errlog.New(l.errorSinks...)
	return nil
}

// setTempPath is a temp path directive "path [level1 [level2 [level3]]]";
// sluice keeps temp files flat, so levels are checked and ignored.
func setTempPath[C any](get func(*C) *conf.Str) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*C))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		for _, lv := range c.Args[1:] {
			n, ok := conf.Atoi(lv)
			if !ok || n == 0 || n > 2 {
				return conf.ErrInvalidValue
			}
		}
		f.Set(c.Loader.FullName(c.Arg(0), false))
		return nil
	}
}

// setComplexSize is a size that may contain variables (limit_rate).
func setComplexSize[C any](get func(*C) *conf.Val[*Complex]) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		f := get(c.Conf.(*C))
		if f.IsSet() {
			return conf.ErrDuplicate
		}
		cx, err := ConfigOf(c).Compile(c, c.Arg(0))
		if err != nil {
			return err
		}
		if s, ok := cx.Literal(); ok {
			if _, ok := conf.ParseSize(s); !ok {
				return conf.ErrInvalidValue
			}
		}
		cx.size = true
		f.Set(cx)
		return nil
	}
}
