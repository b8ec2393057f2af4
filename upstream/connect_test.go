package upstream

import (
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestConnectEarly covers the dialer's Control hook that starts the
// connection itself: the dial works, a loopback handshake is complete when
// the dialer connects in turn (EISCONN: it returns without waiting for the
// netpoller), a refused connection is the dial's error, and what it does
// not handle (unix sockets) is dialed as before.
func TestConnectEarly(t *testing.T) {
	tests := []struct {
		name, network string
		listen        func(t *testing.T) (net.Listener, error)
		closed        bool // dial a port nobody listens on
	}{
		{name: "IPv4 loopback", network: "tcp", listen: func(*testing.T) (net.Listener, error) { return net.Listen("tcp4", "127.0.0.1:0") }},
		{name: "IPv6 loopback", network: "tcp", listen: func(*testing.T) (net.Listener, error) { return net.Listen("tcp6", "[::1]:0") }},
		{name: "unix socket", network: "unix", listen: func(t *testing.T) (net.Listener, error) {
			return net.Listen("unix", filepath.Join(t.TempDir(), "s"))
		}},
		{name: "refused", network: "tcp", closed: true, listen: func(*testing.T) (net.Listener, error) { return net.Listen("tcp4", "127.0.0.1:0") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := tc.listen(t)
			if err != nil {
				t.Fatalf("no listener for the case: %v", err)
			}
			addr := ln.Addr().String()
			if tc.closed {
				ln.Close()
			} else {
				defer ln.Close()
				go func() {
					if c, err := ln.Accept(); err == nil {
						c.Write([]byte("hi"))
						c.Close()
					}
				}()
			}
			var again error // the dialer's own connect, as it will find the socket
			d := net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, c syscall.RawConn) error {
				e := newEarlyConnect()
				e.ap, _ = netip.ParseAddrPort(address) // not valid for the unix socket
				err := e.control(network, address, c)
				if err == nil && network != "unix" {
					c.Control(func(fd uintptr) {
						sa, _ := syscall.Getpeername(int(fd))
						if sa == nil {
							again = syscall.EALREADY
						} else {
							again = syscall.EISCONN
						}
					})
				}
				return err
			}}
			c, err := d.Dial(tc.network, addr)
			if tc.closed {
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("dial of a closed port: %v, want connection refused", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			b := make([]byte, 2)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(b); err != nil || string(b) != "hi" {
				t.Fatalf("read %q, %v", b, err)
			}
			if tc.network == "tcp" && again != syscall.EISCONN {
				t.Errorf("the loopback handshake was not complete after the early connect (%v): the dialer waited for the netpoller", again)
			}
		})
	}
}
