package httpd

import (
	"context"
	"net"
	"testing"
	"time"
)

// FuzzDNSAnswers feeds arbitrary DNS answers to the run-time resolver's
// parser (Resolver.Resolve): it must never panic, and addresses come only
// from answers it accepts.
func FuzzDNSAnswers(f *testing.F) {
	ok := []byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		2, 'o', 'k', 0, 0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1}
	f.Add(ok, uint16(1))
	f.Add(ok[:20], uint16(28))
	f.Add([]byte{0x12, 0x34, 0x81, 0x83, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(1))
	f.Add(ok, uint16(28))
	f.Fuzz(func(t *testing.T, b []byte, qtype uint16) {
		addrs, err := dnsAnswers(b, 0x1234, qtype)
		if err == nil && len(addrs) == 0 {
			t.Fatalf("no error and no address")
		}
		for _, a := range addrs {
			if (qtype == 1 && !a.Is4()) || (qtype != 1 && !a.Is6()) {
				t.Fatalf("address %v for type %d", a, qtype)
			}
		}
	})
}

// TestDNSQuery checks the query layout and name checks.
func TestDNSQuery(t *testing.T) {
	tests := []struct {
		name, host string
		ok         bool
	}{
		{"plain", "ok.example", true},
		{"trailing dot", "ok.example.", true},
		{"empty label", "a..b", false},
		{"long label", string(make([]byte, 64)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, id, err := dnsQuery(tc.host, 1)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			if int(q[0])<<8|int(q[1]) != int(id) || q[2] != 1 || q[5] != 1 || q[len(q)-3] != 1 {
				t.Errorf("query % x", q)
			}
		})
	}
}

// TestResolveEndsWithContext: a resolution waiting on a server that never
// answers ends as soon as its context is cancelled (the client connection
// aborted by a fast shutdown), not at the 5 s resend time nor at
// resolver_timeout: nginx's worker exits at once, and sluice's shutdown
// logged "connections still active 3s after being aborted"
// (http_resolver_cleanup.t).
func TestResolveEndsWithContext(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// a black hole: reads queries, answers none
	go func() {
		b := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(b); err != nil {
				return
			}
		}
	}()
	res := &Resolver{Servers: []string{pc.LocalAddr().String()}, IPv4: true}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, err := res.Resolve(ctx, "example.net"); err == nil {
		t.Fatal("resolved through a black hole")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the resolution ended %v after its start, its context was cancelled after 100ms", d)
	}
}
