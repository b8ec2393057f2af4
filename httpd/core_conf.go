package httpd

import (
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
)

// CoreMainConf is the core module's http-level conf.
type CoreMainConf struct {
	ServerNamesHashMaxSize, ServerNamesHashBucketSize conf.Num
	VariablesHashMaxSize, VariablesHashBucketSize     conf.Num
}

// CoreSrvConf is the core module's server conf (ngx_http_core_srv_conf_t).
type CoreSrvConf struct {
	ClientHeaderTimeout      conf.Msec
	ClientHeaderBufferSize   conf.Size
	LargeClientHeaderBuffers conf.Val[conf.Bufs]
	MaxHeaders               conf.Num
	IgnoreInvalidHeaders     conf.Flag
	MergeSlashes             conf.Flag
	UnderscoresInHeaders     conf.Flag
	ConnectionPoolSize       conf.Size
	RequestPoolSize          conf.Size
	// ServerName is the primary name ($server_name, redirects, log lines).
	ServerName string
	srv        *Server
}

// Server returns the server block this conf belongs to.
func (c *CoreSrvConf) Server() *Server { return c.srv }

// Method bits for limit_except and Request.MethodBit.
const (
	MethodUnknown uint32 = 1 << iota
	MethodGET
	MethodHEAD
	MethodPOST
	MethodPUT
	MethodDELETE
	MethodMKCOL
	MethodCOPY
	MethodMOVE
	MethodOPTIONS
	MethodPROPFIND
	MethodPROPPATCH
	MethodLOCK
	MethodUNLOCK
	MethodPATCH
	MethodTRACE
	MethodCONNECT
)

// Lingering close modes.
const (
	LingeringOff = iota
	LingeringOn
	LingeringAlways
)

// server_tokens values.
const (
	TokensOff = iota
	TokensOn
	TokensBuild
)

// if_modified_since values.
const (
	IMSOff = iota
	IMSExact
	IMSBefore
)

// client_body_in_file_only values.
const (
	BodyFileOff = iota
	BodyFileOn
	BodyFileClean
)

// ContentHandler answers a request in the content phase; it returns a
// status like a phase handler (see Status).
type ContentHandler func(r *Request) Status

// CoreLocConf is the core module's location conf (ngx_http_core_loc_conf_t).
type CoreLocConf struct {
	// Root and Alias: Root holds the path (a complex value) and Alias
	// tells which directive set it.
	Root     *Complex
	Alias    bool
	rootSet  bool
	aliasLen int

	Types       map[string]string
	typesSet    bool
	DefaultType conf.Str

	ClientMaxBodySize        conf.Size
	ClientBodyBufferSize     conf.Size
	ClientBodyTimeout        conf.Msec
	ClientBodyTempPath       conf.Str
	ClientBodyInFileOnly     conf.Val[int]
	ClientBodyInSingleBuffer conf.Flag

	Internal          conf.Flag
	Sendfile          conf.Flag
	SendfileMaxChunk  conf.Size
	OutputBuffers     conf.Val[conf.Bufs] // accepted, no effect (docs/compat.md)
	TCPNopush         conf.Flag
	TCPNodelay        conf.Flag
	SendTimeout       conf.Msec
	SendLowat         conf.Size
	PostponeOutput    conf.Size
	LimitRate         conf.Val[*Complex]
	LimitRateAfter    conf.Val[*Complex]
	KeepaliveTime     conf.Msec
	KeepaliveTimeout  conf.Msec
	KeepaliveHeader   conf.Sec
	KeepaliveMin      conf.Msec
	KeepaliveRequests conf.Num
	KeepaliveDisable  conf.Val[uint]
	Satisfy           conf.Val[int]
	AuthDelay         conf.Msec
	LingeringClose    conf.Val[int]
	LingeringTime     conf.Msec
	LingeringTimeout  conf.Msec
	ResetTimedout     conf.Flag
	AbsoluteRedirect  conf.Flag
	ServerNameInRedir conf.Flag
	PortInRedirect    conf.Flag
	MsiePadding       conf.Flag
	MsieRefresh       conf.Flag
	LogNotFound       conf.Flag
	DisableSymlinks   conf.Val[Symlinks]
	LogSubrequest     conf.Flag
	RecursiveErrPages conf.Flag
	ServerTokens      conf.Val[int]
	IfModifiedSince   conf.Val[int]
	MaxRanges         conf.Num
	ChunkedEncoding   conf.Flag
	Etag              conf.Flag
	ResolverTimeout   conf.Msec
	Resolver          conf.Val[*Resolver]

	// SubrequestOutputBufferSize bounds an in-memory subrequest's body.
	SubrequestOutputBufferSize conf.Size

	// ErrorPages are the error_page rules; a block without any inherits
	// the enclosing block's.
	ErrorPages conf.List[*ErrorPage]
	PostAction conf.Str
	// ErrorLog is this level's error log (error_log at http, server or
	// location level), else the enclosing one's, else the main log.
	ErrorLog   *errlog.Log
	errorSinks []errlog.Sink

	// Handler answers requests in the content phase (nginx's
	// clcf->handler), set by directives such as proxy_pass. Not inherited.
	Handler ContentHandler

	// LimitExcept is the set of methods NOT listed in limit_except, whose
	// requests use LimitExceptLoc.
	LimitExcept    uint32
	LimitExceptLoc *Location

	// TryFiles are the try_files arguments (nil when none).
	TryFiles []*tryFile

	// Accepted for compatibility, no effect.
	Other map[string]bool

	loc *Location
}

// Loc returns the location this conf belongs to.
func (c *CoreLocConf) Loc() *Location { return c.loc }

// KeepaliveTimeoutOrZero is keepalive_timeout as a duration.
func (c *CoreLocConf) keepaliveTimeout() time.Duration { return c.KeepaliveTimeout.Get() }

func createCoreMain(*Config) any { return &CoreMainConf{} }

func createCoreSrv(*Config) any { return &CoreSrvConf{} }

func createCoreLoc(*Config) any { return &CoreLocConf{} }

func mergeCoreSrv(cf *Config, parent, child any) error {
	p, c := parent.(*CoreSrvConf), child.(*CoreSrvConf)
	c.ClientHeaderTimeout.Inherit(p.ClientHeaderTimeout, 60*time.Second)
	c.ClientHeaderBufferSize.Inherit(p.ClientHeaderBufferSize, 1024)
	c.LargeClientHeaderBuffers.Inherit(p.LargeClientHeaderBuffers, conf.Bufs{Num: 4, Size: 8192})
	c.ConnectionPoolSize.Inherit(p.ConnectionPoolSize, 512)
	c.RequestPoolSize.Inherit(p.RequestPoolSize, 4096)
	if c.LargeClientHeaderBuffers.Get().Size < c.ConnectionPoolSize.Get() {
		return &conf.Error{NoPos: false, File: c.srv.file, Line: c.srv.line,
			Msg: "the \"large_client_header_buffers\" size must be equal to or greater than \"connection_pool_size\""}
	}
	c.MaxHeaders.Inherit(p.MaxHeaders, 1000)
	c.IgnoreInvalidHeaders.Inherit(p.IgnoreInvalidHeaders, true)
	c.MergeSlashes.Inherit(p.MergeSlashes, true)
	c.UnderscoresInHeaders.Inherit(p.UnderscoresInHeaders, false)
	if len(c.srv.Names) == 0 {
		c.srv.Names = []*serverName{{name: ""}}
	}
	n := c.srv.Names[0]
	switch {
	case n.regex != nil:
		c.ServerName = "~" + n.name
	default:
		c.ServerName = n.name
		if len(c.ServerName) > 0 && c.ServerName[0] == '.' {
			c.ServerName = c.ServerName[1:]
		}
	}
	return nil
}

func mergeCoreLoc(cf *Config, parent, child any) error {
	p, c := parent.(*CoreLocConf), child.(*CoreLocConf)
	if !c.rootSet {
		c.Root, c.Alias, c.aliasLen, c.rootSet = p.Root, p.Alias, p.aliasLen, p.rootSet
		if !c.rootSet {
			c.Root = literalComplex(cf.Cycle.Prefix + "html")
			c.rootSet = true
		}
	}
	c.PostAction.InheritOnly(p.PostAction)
	if !c.typesSet {
		c.Types, c.typesSet = p.Types, p.typesSet
		if !c.typesSet {
			c.Types = defaultTypes
			p.Types, p.typesSet = defaultTypes, true
		}
	}
	if c.ErrorLog == nil {
		c.ErrorLog = p.ErrorLog
		if c.ErrorLog == nil {
			c.ErrorLog = cf.Cycle.Log
		}
	}
	c.ErrorPages.InheritOnly(p.ErrorPages)
	c.DefaultType.Inherit(p.DefaultType, "text/plain")
	c.ClientMaxBodySize.Inherit(p.ClientMaxBodySize, 1<<20)
	c.ClientBodyBufferSize.Inherit(p.ClientBodyBufferSize, 2*4096)
	c.ClientBodyTimeout.Inherit(p.ClientBodyTimeout, 60*time.Second)
	c.ClientBodyTempPath.Inherit(p.ClientBodyTempPath, cf.Cycle.Prefix+"client_body_temp")
	c.ClientBodyInFileOnly.Inherit(p.ClientBodyInFileOnly, BodyFileOff)
	c.ClientBodyInSingleBuffer.Inherit(p.ClientBodyInSingleBuffer, false)
	c.KeepaliveDisable.Inherit(p.KeepaliveDisable, keepaliveDisableMSIE6)
	c.Satisfy.Inherit(p.Satisfy, SatisfyAll)
	c.AuthDelay.Inherit(p.AuthDelay, 0)
	c.IfModifiedSince.Inherit(p.IfModifiedSince, IMSExact)
	c.MaxRanges.Inherit(p.MaxRanges, 1<<31-1)
	c.Internal.Inherit(p.Internal, false)
	c.Sendfile.Inherit(p.Sendfile, false)
	c.SendfileMaxChunk.Inherit(p.SendfileMaxChunk, 2<<20)
	c.OutputBuffers.Inherit(p.OutputBuffers, conf.Bufs{Num: 2, Size: 32768})
	c.TCPNopush.Inherit(p.TCPNopush, false)
	c.TCPNodelay.Inherit(p.TCPNodelay, true)
	c.SendTimeout.Inherit(p.SendTimeout, 60*time.Second)
	c.SendLowat.Inherit(p.SendLowat, 0)
	c.PostponeOutput.Inherit(p.PostponeOutput, 1460)
	c.LimitRate.Inherit(p.LimitRate, nil)
	c.DisableSymlinks.Inherit(p.DisableSymlinks, Symlinks{})
	c.LimitRateAfter.Inherit(p.LimitRateAfter, nil)
	c.KeepaliveTime.Inherit(p.KeepaliveTime, time.Hour)
	c.KeepaliveTimeout.Inherit(p.KeepaliveTimeout, 75*time.Second)
	c.KeepaliveHeader.Inherit(p.KeepaliveHeader, 0)
	c.KeepaliveMin.Inherit(p.KeepaliveMin, 0)
	c.KeepaliveRequests.Inherit(p.KeepaliveRequests, 1000)
	c.LingeringClose.Inherit(p.LingeringClose, LingeringOn)
	c.LingeringTime.Inherit(p.LingeringTime, 30*time.Second)
	c.LingeringTimeout.Inherit(p.LingeringTimeout, 5*time.Second)
	c.ResolverTimeout.Inherit(p.ResolverTimeout, 30*time.Second)
	c.Resolver.Inherit(p.Resolver, nil)
	c.ResetTimedout.Inherit(p.ResetTimedout, false)
	c.AbsoluteRedirect.Inherit(p.AbsoluteRedirect, true)
	c.ServerNameInRedir.Inherit(p.ServerNameInRedir, false)
	c.PortInRedirect.Inherit(p.PortInRedirect, true)
	c.MsiePadding.Inherit(p.MsiePadding, true)
	c.MsieRefresh.Inherit(p.MsieRefresh, false)
	c.LogNotFound.Inherit(p.LogNotFound, true)
	c.LogSubrequest.Inherit(p.LogSubrequest, false)
	c.SubrequestOutputBufferSize.Inherit(p.SubrequestOutputBufferSize, 4096)
	c.RecursiveErrPages.Inherit(p.RecursiveErrPages, false)
	c.ChunkedEncoding.Inherit(p.ChunkedEncoding, true)
	c.Etag.Inherit(p.Etag, true)
	c.ServerTokens.Inherit(p.ServerTokens, TokensOn)
	return nil
}

// Satisfy values.
const (
	SatisfyAll = iota
	SatisfyAny
)

// keepalive_disable bits.
const (
	keepaliveDisableNone uint = 1 << iota
	keepaliveDisableMSIE6
	keepaliveDisableSafari
)
