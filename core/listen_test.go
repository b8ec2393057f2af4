package core

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestListenKeepalive checks that accepted connections get TCP keepalive
// only when so_keepalive asks for it (Go's listeners enable it by default,
// nginx's do not), with the options given and the system's for the rest.
func TestListenKeepalive(t *testing.T) {
	tests := []struct {
		name      string
		ka        *KeepAlive
		enabled   bool
		idle, cnt int // seconds, probes; 0 = not checked
	}{
		{name: "default off", ka: nil},
		{name: "off", ka: &KeepAlive{}},
		{name: "on", ka: &KeepAlive{Enable: true}, enabled: true},
		{name: "idle and count", ka: &KeepAlive{Enable: true, Idle: 30 * time.Minute, Count: 10}, enabled: true, idle: 1800, cnt: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := listen(&Socket{Network: "tcp", Address: "127.0.0.1:0", KeepAlive: tc.ka})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ac, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer ac.Close()
			rc, _ := ac.(*net.TCPConn).SyscallConn()
			var on, idle, cnt int
			rc.Control(func(fd uintptr) {
				on, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
				idle, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
				cnt, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
			})
			if (on != 0) != tc.enabled {
				t.Errorf("SO_KEEPALIVE %d, want enabled %v", on, tc.enabled)
			}
			if tc.idle != 0 && idle != tc.idle {
				t.Errorf("TCP_KEEPIDLE %d, want %d", idle, tc.idle)
			}
			if tc.cnt != 0 && cnt != tc.cnt {
				t.Errorf("TCP_KEEPCNT %d, want %d", cnt, tc.cnt)
			}
		})
	}
}
