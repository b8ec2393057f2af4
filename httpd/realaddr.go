package httpd

import (
	"net"
	"net/netip"
	"strconv"
)

// realAddr is the client address a module (realip) substituted for the
// connection's peer address for the current request, with the peer's own
// address kept for $realip_remote_addr and for restoring it when the
// request ends (nginx's ngx_http_realip_ctx_t).
type realAddr struct {
	addr               *net.TCPAddr
	origText, origPort string
}

// SetClientAddr makes ap the client's address for the rest of the request,
// as nginx's realip module replaces c->sockaddr and c->addr_text:
// $remote_addr, $remote_port, $binary_remote_addr, ClientAddr (allow/deny)
// and the "client:" of error log lines see it. A port of 0 leaves
// $remote_port empty. The connection's own address comes back when the
// main request ends, after its log line.
func (r *Request) SetClientAddr(ap netip.AddrPort) {
	c := r.conn
	if c.real == nil {
		c.real = &realAddr{origText: c.remoteAddr, origPort: c.remotePort}
		r.Main.AddCleanup(func() {
			if c.real != nil {
				c.remoteAddr, c.remotePort = c.real.origText, c.real.origPort
				c.real = nil
			}
		})
	}
	c.real.addr = net.TCPAddrFromAddrPort(ap)
	c.remoteAddr = ap.Addr().String()
	c.remotePort = ""
	if ap.Port() != 0 {
		c.remotePort = strconv.Itoa(int(ap.Port()))
	}
}

// ClientAddrChanged reports whether SetClientAddr changed the client's
// address for this request.
func (r *Request) ClientAddrChanged() bool { return r.conn.real != nil }

// PeerAddr returns the connection's own peer address and port as text,
// whatever SetClientAddr did ($realip_remote_addr, $realip_remote_port).
func (r *Request) PeerAddr() (addr, port string) {
	if c := r.conn; c.real != nil {
		return c.real.origText, c.real.origPort
	}
	return r.conn.remoteAddr, r.conn.remotePort
}

// ClientAddr returns the client's address: the one SetClientAddr set, else
// the connection's peer address.
func (r *Request) ClientAddr() net.Addr { return r.conn.clientAddr() }

func (c *conn) clientAddr() net.Addr {
	if c.real != nil {
		return c.real.addr
	}
	return c.nc.RemoteAddr()
}
