package cgiup

import (
	"sync"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/upstream"
)

// Base is what an scgi or uwsgi location conf has in common; the module's
// LocConf embeds it.
type Base struct {
	// U is the shared upstream configuration (X_connect_timeout,
	// X_buffering, X_hide_header...).
	U upstream.Conf
	// Params are the X_param lines and their compiled sets.
	Params cgi.Params
	// Pass is X_pass, inherited by nested blocks; nil when none.
	Pass *Pass
}

// NewBase is the configuration a location starts from: SCGI and uwsgi
// answers may turn buffering on or off (X-Accel-Buffering).
func NewBase() Base {
	return Base{U: upstream.Conf{ChangeBuffering: true}}
}

// Encoder appends the request head of one exchange (the netstring, the
// packet) to dst: the params of set, the client's headers when the
// location passes them; bodyLength is the length of the body that follows
// (Exchange.BodyLength). An error ends the request with 500 (the encoder
// logs why).
type Encoder[L any] func(dst []byte, u *upstream.Upstream, lc *L, set *cgi.Set, bodyLength int64) ([]byte, error)

// Module is the glue between a module's location conf type L and cgiup:
// its content handler, X_pass, and the limit_except rule.
type Module[L any] struct {
	self   *httpd.Handle
	base   func(*L) *Base
	encode Encoder[L]
	def    string
	scheme []Scheme
	pool   sync.Pool
}

// NewModule returns the glue for the module whose handle is self: base
// gives the Base of a location conf, encode builds the request head, def
// and schemes are X_pass's schema and accepted URL prefixes.
func NewModule[L any](self *httpd.Handle, base func(*L) *Base, encode Encoder[L], def string, schemes ...Scheme) *Module[L] {
	m := &Module[L]{self: self, base: base, encode: encode, def: def, scheme: schemes}
	m.pool.New = func() any { return &proto[L]{m: m, head: make([]byte, 0, 2048)} }
	return m
}

// Handler is the content handler X_pass installs (ngx_http_scgi_handler).
func (m *Module[L]) Handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[L](r, m.self)
	if lc == nil || m.base(lc).Pass == nil {
		return 500
	}
	b := m.base(lc)
	p := m.pool.Get().(*proto[L])
	p.lc = lc
	r.ReleaseAtEnd(p)
	return Serve(r, &b.U, b.Pass, &p.Exchange, p)
}

// SetPass is the X_pass directive (ngx_http_scgi_pass).
func (m *Module[L]) SetPass(c *conf.Cmd) error {
	b := m.base(c.Conf.(*L))
	if b.Pass != nil {
		return conf.ErrDuplicate
	}
	p, err := ParsePass(c, m.Handler, m.def, m.scheme...)
	if err != nil {
		return err
	}
	b.Pass = p
	httpd.ConfigOf(c).MainConf(m.self).(*upstream.PassBlocks).Add(httpd.CoreLocOf(c))
	return nil
}

// CreateMain is the module's main conf: the blocks with their own X_pass.
func (m *Module[L]) CreateMain(*httpd.Config) any { return &upstream.PassBlocks{} }

// Postconfiguration gives limit_except blocks the handler of their
// location when they inherit its X_pass.
func (m *Module[L]) Postconfiguration(cf *httpd.Config) error {
	if b, _ := cf.MainConf(m.self).(*upstream.PassBlocks); b != nil {
		b.LimitExcept(func(l *httpd.Location) bool {
			lc, _ := l.Conf(m.self).(*L)
			return lc != nil && m.base(lc).Pass != nil
		}, m.Handler)
	}
	return nil
}

// proto is one request's exchange: the upstream.Protocol.
type proto[L any] struct {
	Exchange
	m    *Module[L]
	lc   *L
	head []byte
}

// Release returns the protocol value to the pool when the request ends.
func (p *proto[L]) Release() {
	head := p.head[:0]
	if cap(head) > 64<<10 {
		head = make([]byte, 0, 2048)
	}
	m := p.m
	*p = proto[L]{m: m, head: head}
	m.pool.Put(p)
}

// CreateRequest builds the request head and queues it with the body
// (create_request).
func (p *proto[L]) CreateRequest(u *upstream.Upstream) error {
	b := p.m.base(p.lc)
	set := b.Params.Set
	if u.Cacheable() {
		set = b.Params.CacheSet
	}
	head, err := p.m.encode(p.head[:0], u, p.lc, set, p.BodyLength(u.R))
	p.head = head
	if err != nil {
		return err
	}
	p.Send(u, head)
	return nil
}
