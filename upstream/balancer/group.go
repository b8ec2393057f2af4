package balancer

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// Flags say which server parameters a group accepts (nginx's
// NGX_HTTP_UPSTREAM_* flags); the balancing method narrows them.
type Flags uint16

// The flags.
const (
	// FlagCreate marks a group declared by an upstream{} block.
	FlagCreate Flags = 1 << iota
	FlagWeight
	FlagMaxFails
	FlagFailTimeout
	FlagDown
	FlagBackup
	FlagMaxConns
	// FlagModify: the method supports servers resolved at run time.
	FlagModify

	// blockFlags is what an upstream{} block accepts before a method
	// directive narrows it.
	blockFlags = FlagCreate | FlagModify | FlagWeight | FlagMaxConns | FlagMaxFails |
		FlagFailTimeout | FlagDown | FlagBackup
	// methodFlags is what hash, ip_hash and random accept (no backup).
	methodFlags = FlagCreate | FlagModify | FlagWeight | FlagMaxConns | FlagMaxFails |
		FlagFailTimeout | FlagDown
)

// Method is a balancing method.
type Method uint8

// The methods.
const (
	RoundRobin Method = iota
	Hash
	ConsistentHash
	IPHash
	LeastConn
	Random
	RandomTwo
)

var methodNames = [...]string{"round robin", "hash", "hash consistent", "ip_hash", "least_conn", "random", "random two"}

// String returns the method as the configuration names it.
func (m Method) String() string { return methodNames[m] }

// Server is one server line of an upstream block.
type Server struct {
	// Name is the address as written.
	Name string
	// Addrs are the addresses it resolved to at configuration time.
	Addrs []Addr
	// Weight, MaxFails, MaxConns and FailTimeout are the parameters with
	// nginx's defaults (1, 1, 0, 10s).
	Weight, MaxFails, MaxConns int
	FailTimeout                time.Duration
	Backup, Down               bool
	// Resolve is set for "resolve": Host is then resolved at run time (on
	// Service's SRV records when Service is set), Port is the port to use.
	Resolve bool
	Host    string
	Service string
	Port    int
}

// Group is an upstream group: an upstream{} block, or the implicit group of
// a pass directive's host and port (ngx_http_upstream_srv_conf_t with its
// peers). It implements upstream.Target.
type Group struct {
	host   string
	port   int
	noPort bool
	file   string
	line   int
	flags  Flags

	servers []*Server
	method  Method
	// methodSet records that a method directive was seen ("load balancing
	// method redefined").
	methodSet bool
	hashKey   *httpd.Complex
	zone      string

	keepalive        conf.Num
	keepaliveLocal   bool
	keepaliveReqs    conf.Num
	keepaliveTime    conf.Msec
	keepaliveTimeout conf.Msec

	resolver        *httpd.Resolver
	resolverTimeout conf.Msec
	// httpLoc is the http-level core location conf, whose resolver
	// serves groups without their own.
	httpLoc *httpd.CoreLocConf

	// ready is set once init built the peers.
	ready bool
	// mu guards the peers' run-time state.
	mu      sync.Mutex
	primary *peerSet
	points  []chashPoint
	pool    *upstream.Pool
	res     *resolveState
	// inFlight counts the exchanges that picked a peer and are not done
	// (the sum of the peers' conns), for the keepalive pool (Pool.Busy).
	inFlight atomic.Int64

	// now returns the time in seconds (nginx's ngx_time); random returns
	// a number in [0, n). Tests replace them.
	now    func() int64
	random func(n int) int
}

var _ upstream.Target = (*Group)(nil)

func newGroup() *Group {
	return &Group{now: unixNow, random: rand.IntN}
}

func unixNow() int64 { return time.Now().Unix() }

// Name implements upstream.Target: the group's name (the host for an
// implicit group), as $upstream_addr shows it when no peer was live.
func (g *Group) Name() string { return g.host }

// Keepalive implements upstream.Target.
func (g *Group) Keepalive() *upstream.Pool { return g.pool }

// Method returns the group's balancing method.
func (g *Group) Method() Method { return g.method }

// Explicit reports whether the group is an upstream{} block.
func (g *Group) Explicit() bool { return g.flags&FlagCreate != 0 }

// Servers returns the server lines of an upstream block (nil for an
// implicit group).
func (g *Group) Servers() []*Server { return g.servers }

// Zone returns the zone name given by the "zone" directive, if any.
func (g *Group) Zone() string { return g.zone }

// Position returns where the group was first named: the upstream block,
// or the first pass directive that referred to it.
func (g *Group) Position() (file string, line int) { return g.file, g.line }

// Peers returns the group's peers, primary ones first, then backup ones.
func (g *Group) Peers() []*upstream.Peer {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*upstream.Peer
	for s := g.primary; s != nil; s = s.next {
		for _, p := range s.peers {
			out = append(out, &p.up)
		}
	}
	return out
}

// Picker implements upstream.Target: peer selection for one request with
// the group's method.
func (g *Group) Picker(r *httpd.Request) upstream.Picker {
	if g.res != nil {
		g.ensureResolved(r)
	}
	p := newPicker(g, r)
	p.start()
	switch g.method {
	case Hash, ConsistentHash:
		p.initHash(g.hashKey.Eval(r))
	case IPHash:
		p.initIPHash(r.RemoteAddr())
	case Random, RandomTwo:
		p.initRandom()
	}
	return p
}
