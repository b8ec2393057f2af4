// Package ngxurl parses addresses as nginx's ngx_parse_url does: a host
// name or an IPv4 address with an optional port, an IPv6 address in
// brackets, or "unix:" and a socket path, with nginx's error texts. The
// upstream balancer (server lines, pass directives) and the syslog
// destinations of the logs read their addresses with it.
package ngxurl

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/inet"
)

// URL is an address as a server line, a pass directive or a syslog
// "server=" parameter writes it, parsed as nginx's ngx_parse_url parses it.
type URL struct {
	// Text is the address as given.
	Text string
	// Host is the host part: a name, an IPv4 address, an IPv6 address in
	// brackets ("[::1]"), or a socket path for "unix:".
	Host string
	// Port is the port, the default port when none is written (NoPort), 0
	// for unix sockets.
	Port   int
	NoPort bool
	// URI is what follows the address ("/path?args", or after ':' for
	// unix sockets) when URIPart was allowed.
	URI string
	// Unix is set for "unix:" addresses.
	Unix bool
	// Addrs are the addresses: the literal one, or the host's resolved
	// ones (none when resolution was not asked for).
	Addrs []Addr
}

// Addr is one address to connect to.
type Addr struct {
	// Name is the address as logs and $upstream_addr print it
	// ("127.0.0.1:80", "[::1]:80", "unix:/tmp/sock").
	Name string
	// Network and Address are what to dial.
	Network, Address string
}

// Options say how to parse an address.
type Options struct {
	// DefaultPort is the port when none is written (0: none).
	DefaultPort int
	// URIPart allows a URI after the address (pass directives).
	URIPart bool
	// NoResolve leaves host names unresolved (Addrs stays empty unless the
	// host is a literal address).
	NoResolve bool
	// Lookup resolves a host name; nil means the system resolver. Tests
	// set it to stay off the network.
	Lookup func(host string) ([]netip.Addr, error)
}

// maxUnixPath is the size of sun_path, terminating NUL included.
const maxUnixPath = 108

// Parse parses an address. Its errors are nginx's texts without the
// directive part ("invalid port", "host not found", ...); callers add
// ` in upstream "TEXT"` as nginx does.
func Parse(text string, o Options) (*URL, error) {
	u := &URL{Text: text}
	var err error
	switch {
	case len(text) >= 5 && ascii.EqualFold(text[:5], "unix:"):
		err = u.parseUnix(o)
	case len(text) > 0 && text[0] == '[':
		err = u.parseInet6(o)
	default:
		err = u.parseInet(o)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (u *URL) parseUnix(o Options) error {
	path := u.Text[5:]
	if o.URIPart {
		if i := strings.IndexByte(path, ':'); i >= 0 {
			u.URI = path[i+1:]
			path = path[:i]
		}
	}
	if path == "" {
		return errors.New("no path in the unix domain socket")
	}
	if len(path)+1 > maxUnixPath {
		return errors.New("too long path in the unix domain socket")
	}
	u.Host = path
	u.Unix = true
	u.Addrs = []Addr{{Name: u.Text[:5+len(path)], Network: "unix", Address: path}}
	return nil
}

func (u *URL) parseInet(o Options) error {
	text := u.Text
	last := len(text)
	port := strings.IndexByte(text, ':')
	uri := strings.IndexByte(text, '/')
	if args := strings.IndexByte(text, '?'); args >= 0 && (uri < 0 || args < uri) {
		uri = args
	}
	if uri >= 0 {
		if !o.URIPart {
			return errors.New("invalid host")
		}
		u.URI = text[uri:]
		last = uri
		if uri < port {
			port = -1
		}
	}
	hostEnd := last
	if port >= 0 {
		n, ok := atoiPort(text[port+1 : last])
		if !ok {
			return errors.New("invalid port")
		}
		u.Port = n
		hostEnd = port
	} else {
		u.NoPort = true
		u.Port = o.DefaultPort
	}
	if hostEnd == 0 {
		return errors.New("no host")
	}
	u.Host = text[:hostEnd]
	// a dotted quad as ngx_inet_addr reads it; 255.255.255.255, its
	// INADDR_NONE, is looked up as a name, as nginx does (the system
	// resolver answers with the same address)
	if v4, ok := inet.ParseIPv4(u.Host); ok {
		u.Addrs = []Addr{TCPAddr(netip.AddrFrom4(v4), u.Port)}
		return nil
	}
	if o.NoResolve {
		return nil
	}
	addrs, err := ResolveHost(u.Host, u.Port, o.Lookup)
	if err != nil {
		return err
	}
	u.Addrs = addrs
	return nil
}

func (u *URL) parseInet6(o Options) error {
	text := u.Text
	last := len(text)
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return errors.New("invalid host")
	}
	port := end + 1
	if i := strings.IndexByte(text[port:], '/'); i >= 0 {
		if !o.URIPart {
			return errors.New("invalid host")
		}
		u.URI = text[port+i:]
		last = port + i
	}
	if port < last {
		if text[port] != ':' {
			return errors.New("invalid host")
		}
		n, ok := atoiPort(text[port+1 : last])
		if !ok {
			return errors.New("invalid port")
		}
		u.Port = n
	} else {
		u.NoPort = true
		u.Port = o.DefaultPort
	}
	if end == 1 {
		return errors.New("no host")
	}
	u.Host = text[:end+1]
	ip, err := netip.ParseAddr(text[1:end])
	if err != nil || !ip.Is6() || ip.Zone() != "" {
		return errors.New("invalid IPv6 address")
	}
	u.Addrs = []Addr{TCPAddr(ip, u.Port)}
	return nil
}

// atoiPort is ngx_atoi for a port: digits only, 1..65535.
func atoiPort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= 65535
}

// TCPAddr is the address of ip and port, named as nginx names it
// ("127.0.0.1:80", "[::1]:80").
func TCPAddr(ip netip.Addr, port int) Addr {
	s := netip.AddrPortFrom(ip, uint16(port)).String()
	return Addr{Name: s, Network: "tcp", Address: s}
}

// SystemLookup resolves a name at configuration time (getaddrinfo in
// nginx).
func SystemLookup(host string) ([]netip.Addr, error) {
	ips, err := net.DefaultResolver.LookupIPAddr(context.Background(), host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			continue
		}
		if ip.IP.To4() != nil {
			a = a.Unmap()
		}
		out = append(out, a)
	}
	return out, nil
}

// ResolveHost is ngx_inet_resolve_host: every address of the name, or
// "host not found". lookup nil means SystemLookup.
func ResolveHost(host string, port int, lookup func(string) ([]netip.Addr, error)) ([]Addr, error) {
	if lookup == nil {
		lookup = SystemLookup
	}
	ips, err := lookup(host)
	if err != nil || len(ips) == 0 {
		return nil, errors.New("host not found")
	}
	addrs := make([]Addr, 0, len(ips))
	seen := make(map[netip.Addr]bool, len(ips))
	for _, ip := range ips {
		if seen[ip] {
			continue
		}
		seen[ip] = true
		addrs = append(addrs, TCPAddr(ip, port))
	}
	return addrs, nil
}
