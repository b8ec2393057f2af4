package testutil

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestSpecialAddrs(t *testing.T) {
	tests := []struct {
		name  string
		addr  func(t testing.TB) string
		check func(t *testing.T, err error)
	}{
		{
			name: "blackhole connect times out",
			addr: BlackholeAddr,
			check: func(t *testing.T, err error) {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Fatalf("dial err = %v, want a timeout", err)
				}
			},
		},
		{
			name: "refused connect fails at once",
			addr: RefusedAddr,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("dial err = %v, want ECONNREFUSED", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			CheckLeaks(t)
			addr := tc.addr(t)
			for i := 0; i < 2; i++ { // the condition holds for every attempt
				c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
				if err == nil {
					c.Close()
				}
				tc.check(t, err)
			}
		})
	}
}

func TestPortListening(t *testing.T) {
	b := StartBackend(t, Script{Stall()})
	refused := RefusedAddr(t)
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{"listening backend", b.Addr(), true},
		{"bound but not listening", refused, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p, _ := net.SplitHostPort(tc.addr)
			port, _ := strconv.Atoi(p)
			got, err := PortListening(port)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "listening", got, tc.want)
		})
	}
}
