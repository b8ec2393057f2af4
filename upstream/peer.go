package upstream

import (
	"errors"
	"net"
	"time"

	"github.com/sluicehq/sluice/httpd"
)

// Peer is one address of an upstream server.
type Peer struct {
	// Name is the address as printed in logs and $upstream_addr
	// ("127.0.0.1:8081", "unix:/tmp/s").
	Name string
	// Network and Address are what to dial ("tcp", "127.0.0.1:8081").
	Network, Address string
	// Server is the server as configured ("backend.local:8081"), for
	// $upstream_addr-like needs and group members.
	Server string
	// Data is free for the balancer owning the peer.
	Data any
}

// PeerState is how an attempt on a peer ended (free_peer's state).
type PeerState uint8

// The attempt outcomes.
const (
	// PeerOK: the peer answered.
	PeerOK PeerState = iota
	// PeerFailed: the attempt failed in a way that counts against the peer
	// (max_fails / fail_timeout).
	PeerFailed
	// PeerNext: the peer answered with an error status worth trying
	// elsewhere (403/404) without counting as a failure.
	PeerNext
)

// ErrNoLive is returned by Pick when every peer is down or failed
// ("no live upstreams").
var ErrNoLive = errors.New("no live upstreams")

// ErrBusy is returned by Pick when every live peer reached max_conns.
var ErrBusy = errors.New("no live upstreams (max_conns)")

// Picker chooses peers for one request (nginx's per-request peer data with
// get_peer and free_peer).
type Picker interface {
	// Pick returns the next peer to try, never one already tried by this
	// request unless the balancer allows it.
	Pick() (*Peer, error)
	// Done reports how the attempt on p ended.
	Done(p *Peer, state PeerState)
	// Tries is how many peers this request may try in all (nginx's
	// peer.tries before next_upstream_tries caps it).
	Tries() int
}

// Target is where a location sends its requests: a literal address (one or
// several, from DNS), or an upstream{} group.
type Target interface {
	// Picker starts peer selection for a request.
	Picker(r *httpd.Request) Picker
	// Keepalive returns the pool of idle connections, nil when keepalive is
	// not configured.
	Keepalive() *Pool
	// Name is the target as written (the group name or "host:port").
	Name() string
}

// Dialer is implemented by targets that connect in a special way (proxy_bind
// is applied by the framework through Conf.Bind; this hook is for tests).
type Dialer interface {
	Dial(network, address string, timeout time.Duration) (net.Conn, error)
}
