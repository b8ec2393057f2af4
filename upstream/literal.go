package upstream

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sluicehq/sluice/httpd"
)

// Addresses is a Target for an address written in the configuration
// (nginx's u->resolved): a host resolved to one or more addresses when the
// configuration is loaded, tried in round robin, each request trying each
// address at most once.
type Addresses struct {
	name  string
	peers []*Peer
	next  atomic.Uint32
}

// ParseAddress resolves "host[:port]", "ip[:port]", "[v6][:port]" or
// "unix:/path" into an Addresses target. The error text is nginx's
// ("host not found in ...", "invalid port in ...") without the directive
// part.
func ParseAddress(text string, defaultPort int) (*Addresses, error) {
	a := &Addresses{name: text}
	if strings.HasPrefix(text, "unix:") {
		path := text[5:]
		if path == "" {
			return nil, fmt.Errorf("no path in the unix domain socket")
		}
		a.peers = []*Peer{{Name: text, Network: "unix", Address: path, Server: text}}
		return a, nil
	}
	host, port := text, strconv.Itoa(defaultPort)
	if h, p, err := net.SplitHostPort(text); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid port in \"%s\"", text)
		}
	} else if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
		host = text[1 : len(text)-1]
	}
	if host == "" {
		return nil, fmt.Errorf("no host in \"%s\"", text)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		found, err := net.LookupIP(host)
		if err != nil || len(found) == 0 {
			return nil, fmt.Errorf("host not found in \"%s\"", text)
		}
		ips = found
	}
	for _, ip := range ips {
		addr := net.JoinHostPort(ip.String(), port)
		a.peers = append(a.peers, &Peer{Name: addr, Network: "tcp", Address: addr, Server: text})
	}
	return a, nil
}

// NewAddresses makes a target from peers already resolved (run-time
// resolution of a name).
func NewAddresses(name string, peers []*Peer) *Addresses {
	return &Addresses{name: name, peers: peers}
}

// Name implements Target.
func (a *Addresses) Name() string { return a.name }

// Keepalive implements Target: literal addresses keep no connections.
func (a *Addresses) Keepalive() *Pool { return nil }

// Peers returns the resolved addresses.
func (a *Addresses) Peers() []*Peer { return a.peers }

// Picker implements Target.
func (a *Addresses) Picker(*httpd.Request) Picker {
	return &addrPicker{a: a, start: int(a.next.Add(1) - 1)}
}

type addrPicker struct {
	a     *Addresses
	start int
	n     int
}

func (p *addrPicker) Pick() (*Peer, error) {
	if p.n >= len(p.a.peers) {
		return nil, ErrNoLive
	}
	peer := p.a.peers[(p.start+p.n)%len(p.a.peers)]
	p.n++
	return peer, nil
}

func (p *addrPicker) Done(*Peer, PeerState) {}

func (p *addrPicker) Tries() int { return len(p.a.peers) }
