package balancer

import (
	"net/netip"
	"time"
)

// NewResolved returns a one-off target for a name a request resolved at
// run time (proxy_pass with variables and a resolver): round robin over
// addrs, each tried at most once (ngx_http_upstream_create_round_robin_peer).
// host is the name as $upstream_addr shows it when no address is live.
func NewResolved(host string, addrs []Addr) *Group {
	g := newGroup()
	g.host = host
	g.servers = []*Server{{Name: host, Addrs: addrs, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}}
	g.primary = newPeerSet(g.servers, false)
	g.ready = true
	return g
}

// AddrOf is the address of ip and port as NewResolved wants it.
func AddrOf(ip netip.Addr, port int) Addr { return tcpAddr(ip, port) }
