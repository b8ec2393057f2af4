package balancer

import (
	"net/netip"
	"strconv"

	"github.com/sluicehq/sluice/internal/ngxurl"
)

// URL is an upstream address as a server line or a pass directive writes
// it, parsed as nginx's ngx_parse_url parses it (internal/ngxurl).
type URL = ngxurl.URL

// Addr is one address to connect to.
type Addr = ngxurl.Addr

// URLOptions say how to parse an address.
type URLOptions = ngxurl.Options

// ParseURL parses an address. Its errors are nginx's texts without the
// directive part ("invalid port", "host not found", ...); callers add
// ` in upstream "TEXT"` as nginx does.
func ParseURL(text string, o URLOptions) (*URL, error) { return ngxurl.Parse(text, o) }

func tcpAddr(ip netip.Addr, port int) Addr { return ngxurl.TCPAddr(ip, port) }

// resolveHost is ngx_inet_resolve_host with the system resolver.
func resolveHost(host string, port int) ([]Addr, error) { return ngxurl.ResolveHost(host, port, nil) }

// itoa formats a non-negative number.
func itoa(n int) string { return strconv.Itoa(n) }
