// Package redis is an example upstream module written from docs/modules.md:
// a location answers GET and HEAD requests with the string Redis holds for
// a key.
//
//	location /cache/ {
//	    redis_pass 127.0.0.1:6379;
//	    redis_key  $uri;
//	}
//
// It sends "GET key" in RESP (Redis's wire protocol) and maps the answer:
// a bulk string "$5\r\nhello\r\n" is a 200 with the string as the body, a
// nil bulk string "$-1\r\n" a 404, an error reply ("-WRONGTYPE ...") or
// anything else a 502. It is not compiled into sluice: a program adds it to
// the module list (see the test).
//
// Directives
//
//	Syntax:  redis_pass address;
//	Context: location, if in location
//
// The address is host[:port] (default port 6379), unix:/path, or the name
// of an upstream{} group (with "keepalive N" for connection reuse).
//
//	Syntax:  redis_key string;
//	Default: redis_key $uri;
//	Context: http, server, location
//
// and redis_connect_timeout, redis_send_timeout, redis_read_timeout,
// redis_buffer_size, redis_next_upstream, redis_next_upstream_tries,
// redis_next_upstream_timeout from the upstream framework.
package redis

import (
	"strconv"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// self is the module's identity for conf lookups from the handler.
var self httpd.Handle

// Module is the redis HTTP module.
var Module = &httpd.Module{
	Name:   "redis",
	Handle: &self,
	Directives: append([]conf.Directive{
		{Name: "redis_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "redis_pass address;", Doc: "Sets the Redis server (host[:port], unix:/path) or upstream group."},
		{Name: "redis_key", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1, Set: setKey,
			Syntax: "redis_key string;", Default: "redis_key $uri;", Doc: "Sets the key, with variables."},
	}, upstream.Directives("redis_", func(lc *LocConf) *upstream.Conf { return &lc.Upstream },
		"connect_timeout", "send_timeout", "read_timeout", "buffer_size",
		"next_upstream", "next_upstream_tries", "next_upstream_timeout")...),
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  mergeLoc,
}

// LocConf is the module's location configuration.
type LocConf struct {
	// Upstream is the framework's configuration (timeouts, retries...).
	Upstream upstream.Conf
	// Key is redis_key, nil when not set at this level.
	Key *httpd.Complex

	target upstream.Target
}

func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.target != nil {
		return conf.ErrDuplicate
	}
	// an upstream{} group of that name, else host[:port] (default 6379);
	// groups bring balancing and the keepalive pool
	g, _, err := balancer.Add(c, c.Arg(0), balancer.URLOptions{DefaultPort: 6379})
	if err != nil {
		return err
	}
	lc.target = g
	httpd.CoreLocOf(c).Handler = handler // like clcf->handler = ...
	return nil
}

func setKey(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.Key != nil {
		return conf.ErrDuplicate
	}
	x, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	lc.Key = x
	return nil
}

// mergeLoc inherits what a location does not set, fixes the upstream
// settings the module does not let users change, and lets the framework
// merge the rest with nginx's defaults.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.target == nil {
		c.target = p.target
	}
	if c.Key == nil {
		c.Key = p.Key
	}
	c.Upstream.Buffering.Set(false) // values are relayed as they arrive
	c.Upstream.PassRequestHeaders.Set(false)
	c.Upstream.PassRequestBody.Set(false)
	return c.Upstream.Merge(cf, &p.Upstream, "redis_", nil, "redis_temp")
}

// handler is the content handler: it builds the per-request protocol and
// hands the request to the framework.
func handler(r *httpd.Request) httpd.Status {
	if r.MethodBit&(httpd.MethodGET|httpd.MethodHEAD) == 0 {
		return 405
	}
	if st := r.DiscardRequestBody(); st != httpd.OK {
		return st
	}
	lc := httpd.LocConf[LocConf](r, &self)
	key := r.URI // redis_key's default, $uri
	if lc.Key != nil {
		key = lc.Key.Eval(r)
	}
	r.Out.ContentType, r.Out.ContentTypeLen = "application/octet-stream", len("application/octet-stream")
	return upstream.Run(r, &lc.Upstream, lc.target, &protocol{key: key})
}

// protocol is one request's exchange with Redis.
type protocol struct {
	key string
}

var (
	_ upstream.Protocol   = (*protocol)(nil)
	_ upstream.BodyFilter = (*protocol)(nil)
)

// CreateRequest writes "GET key" as a RESP array of two bulk strings; RESP
// is binary-safe, so the key needs no escaping.
func (p *protocol) CreateRequest(u *upstream.Upstream) error {
	b := make([]byte, 0, 32+len(p.key))
	b = append(b, "*2\r\n$3\r\nGET\r\n$"...)
	b = strconv.AppendInt(b, int64(len(p.key)), 10)
	b = append(b, "\r\n"...)
	b = append(b, p.key...)
	b = append(b, "\r\n"...)
	u.Request.Append(b)
	u.Schema = "redis://"
	return nil
}
