package realip

import (
	"net/netip"

	"github.com/sluicehq/sluice/internal/inet"
)

// parseAddr reads an address as ngx_parse_addr.
func parseAddr(s string) (netip.Addr, bool) { return inet.ParseAddr(s) }

// parseAddrPort reads an address with an optional port as
// ngx_parse_addr_port.
func parseAddrPort(s string) (netip.AddrPort, bool) { return inet.ParseAddrPort(s) }
