package httpd

import (
	"github.com/sluicehq/sluice/conf"
)

// V2 is the HTTP/2 module (ngx_http_v2_module): "listen ... http2" and
// "http2 on" serve HTTP/2 over TLS (ALPN "h2") and, on a plain address,
// to clients that open with the HTTP/2 preface. Its directive reference
// is in doc.go; the connection loop in h2conn.go.
var V2 = &Module{
	Name:       "http2",
	Handle:     &v2Handle,
	Directives: v2Directives,
	CreateMain: func(*Config) any { return &V2MainConf{} },
	InitMain: func(_ *Config, m any) error {
		c := m.(*V2MainConf)
		c.RecvBufferSize.Inherit(conf.Size{}, 256*1024)
		return nil
	},
	CreateSrv: func(*Config) any { return &V2SrvConf{} },
	MergeSrv: func(_ *Config, parent, child any) error {
		p, c := parent.(*V2SrvConf), child.(*V2SrvConf)
		c.Enable.Inherit(p.Enable, false)
		c.MaxConcurrentStreams.Inherit(p.MaxConcurrentStreams, 128)
		c.BodyPrereadSize.Inherit(p.BodyPrereadSize, 65536)
		c.PoolSize.Inherit(p.PoolSize, 4096)
		c.StreamsIndexSize.Inherit(p.StreamsIndexSize, 32)
		return nil
	},
	Preconfiguration: func(cf *Config) error {
		// $http2: "h2" over TLS, "h2c" in the clear, "" for HTTP/1
		_, err := cf.AddVariable(&Variable{Name: "http2", Get: func(r *Request, _ string, _ int) (string, bool) {
			switch {
			case r.conn.act.h2 == nil:
				return "", true
			case r.conn.tlsc() != nil:
				return "h2", true
			}
			return "h2c", true
		}})
		return err
	},
	CreateLoc: func(*Config) any { return &V2LocConf{} },
	MergeLoc: func(_ *Config, parent, child any) error {
		p, c := parent.(*V2LocConf), child.(*V2LocConf)
		c.ChunkSize.Inherit(p.ChunkSize, 8*1024)
		return nil
	},
}

var v2Handle Handle

// V2MainConf is the http-level HTTP/2 settings.
type V2MainConf struct {
	// RecvBufferSize is http2_recv_buffer_size.
	RecvBufferSize conf.Size
}

// V2SrvConf is a server's HTTP/2 settings (ngx_http_v2_srv_conf_t).
type V2SrvConf struct {
	// Enable is "http2 on".
	Enable conf.Flag
	// MaxConcurrentStreams is http2_max_concurrent_streams.
	MaxConcurrentStreams conf.Num
	// BodyPrereadSize is http2_body_preread_size: the initial window of
	// every stream.
	BodyPrereadSize conf.Size
	// PoolSize and StreamsIndexSize are accepted for compatibility.
	PoolSize         conf.Size
	StreamsIndexSize conf.Num
}

// V2LocConf is a location's HTTP/2 settings.
type V2LocConf struct {
	// ChunkSize is http2_chunk_size: the largest DATA frame of a
	// response.
	ChunkSize conf.Size
}

func v2srv[F any](f func(*V2SrvConf) *F) func(*V2SrvConf) *F { return f }

const httpMSLv2 = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// v2Obsolete accepts a directive nginx keeps only to warn about it
// (ngx_http_v2_obsolete).
func v2Obsolete(instead string) func(c *conf.Cmd) error {
	return func(c *conf.Cmd) error {
		if instead != "" {
			c.Warnf("the \"%s\" directive is obsolete, use the \"%s\" directive instead", c.Name, instead)
		} else {
			c.Warnf("the \"%s\" directive is obsolete, ignored", c.Name)
		}
		return nil
	}
}

var v2Directives = []conf.Directive{
	{Name: "http2", Context: httpMS, Args: conf.FlagArg, Level: SrvLevel,
		Syntax: "http2 on | off;", Default: "http2 off;",
		Doc: "Enables HTTP/2 for the server (nginx 1.25.1+); \"listen ... http2\" (nginx 1.22) is accepted too.",
		Set: conf.SetFlag(v2srv(func(c *V2SrvConf) *conf.Flag { return &c.Enable }))},
	{Name: "http2_recv_buffer_size", Context: conf.HTTPMain, Args: conf.Take1, Level: MainLevel,
		Syntax: "http2_recv_buffer_size size;", Default: "http2_recv_buffer_size 256k;",
		Doc: "Accepted; each connection reads into a buffer of two 16 KiB frames (a larger frame into one of its own).",
		Set: conf.SetSize(func(c *V2MainConf) *conf.Size { return &c.RecvBufferSize })},
	{Name: "http2_pool_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel,
		Syntax: "http2_pool_size size;", Default: "http2_pool_size 4k;",
		Doc: "Accepted and ignored (Go has no memory pools).",
		Set: conf.SetSize(v2srv(func(c *V2SrvConf) *conf.Size { return &c.PoolSize }))},
	{Name: "http2_max_concurrent_streams", Context: httpMS, Args: conf.Take1, Level: SrvLevel,
		Syntax: "http2_max_concurrent_streams number;", Default: "http2_max_concurrent_streams 128;",
		Doc: "Streams open at once on a connection; more are refused (REFUSED_STREAM).",
		Set: conf.SetNum(v2srv(func(c *V2SrvConf) *conf.Num { return &c.MaxConcurrentStreams }))},
	{Name: "http2_body_preread_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel,
		Syntax: "http2_body_preread_size size;", Default: "http2_body_preread_size 64k;",
		Doc: "Initial flow-control window of each stream (request body read before it is asked for).",
		Set: conf.SetSize(v2srv(func(c *V2SrvConf) *conf.Size { return &c.BodyPrereadSize }))},
	{Name: "http2_streams_index_size", Context: httpMS, Args: conf.Take1, Level: SrvLevel,
		Syntax: "http2_streams_index_size number;", Default: "http2_streams_index_size 32;",
		Doc: "Accepted and ignored (streams are kept in a Go map).",
		Set: conf.SetNum(v2srv(func(c *V2SrvConf) *conf.Num { return &c.StreamsIndexSize }))},
	{Name: "http2_chunk_size", Context: httpMSLv2, Args: conf.Take1, Level: LocLevel,
		Syntax: "http2_chunk_size size;", Default: "http2_chunk_size 8k;",
		Doc: "Largest DATA frame of a response.",
		Set: conf.SetSize(func(c *V2LocConf) *conf.Size { return &c.ChunkSize })},
	{Name: "http2_recv_timeout", Context: httpMS, Args: conf.Take1, Set: v2Obsolete("client_header_timeout"),
		Syntax: "http2_recv_timeout time;", Doc: "Obsolete: warns, use client_header_timeout."},
	{Name: "http2_idle_timeout", Context: httpMS, Args: conf.Take1, Set: v2Obsolete("keepalive_timeout"),
		Syntax: "http2_idle_timeout time;", Doc: "Obsolete: warns, use keepalive_timeout."},
	{Name: "http2_max_requests", Context: httpMS, Args: conf.Take1, Set: v2Obsolete("keepalive_requests"),
		Syntax: "http2_max_requests number;", Doc: "Obsolete: warns, use keepalive_requests."},
	{Name: "http2_max_field_size", Context: httpMS, Args: conf.Take1, Set: v2Obsolete("large_client_header_buffers"),
		Syntax: "http2_max_field_size size;", Doc: "Obsolete: warns, use large_client_header_buffers."},
	{Name: "http2_max_header_size", Context: httpMS, Args: conf.Take1, Set: v2Obsolete("large_client_header_buffers"),
		Syntax: "http2_max_header_size size;", Doc: "Obsolete: warns, use large_client_header_buffers."},
	{Name: "http2_max_concurrent_pushes", Context: httpMS, Args: conf.Take1, Set: v2Obsolete(""),
		Syntax: "http2_max_concurrent_pushes number;", Doc: "Obsolete: warns and is ignored (no server push)."},
	{Name: "http2_push", Context: httpMSLv2, Args: conf.Take1, Set: v2Obsolete(""),
		Syntax: "http2_push uri | off;", Doc: "Obsolete: warns and is ignored (no server push)."},
	{Name: "http2_push_preload", Context: httpMSLv2, Args: conf.FlagArg, Set: v2Obsolete(""),
		Syntax: "http2_push_preload on | off;", Doc: "Obsolete: warns and is ignored (no server push)."},
}
