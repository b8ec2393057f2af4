package balancer

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/upstream"
)

func TestKeepalivePool(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(g *Group)
		explicit bool
		wantMax  int // 0: no pool
		reqs     int
		idle     time.Duration
	}{
		{"default for a block", func(*Group) {}, true, 32, 1000, 60 * time.Second},
		{"keepalive 0 disables", func(g *Group) { g.keepalive.Set(0) }, true, 0, 0, 0},
		{"configured", func(g *Group) {
			g.keepalive.Set(4)
			g.keepaliveReqs.Set(10)
			g.keepaliveTimeout.Set(5 * time.Second)
		}, true, 4, 10, 5 * time.Second},
		{"implicit groups keep none", func(*Group) {}, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGroup()
			if tt.explicit {
				g.flags = blockFlags
			}
			tt.setup(g)
			g.initKeepalive()
			p := g.Keepalive()
			if tt.wantMax == 0 {
				if p != nil {
					t.Fatalf("pool %+v, want none", p)
				}
				return
			}
			if p == nil || p.Max != tt.wantMax || p.Requests != tt.reqs || p.Timeout != tt.idle || p.Time != time.Hour {
				t.Fatalf("pool %+v", p)
			}
		})
	}
}

// TestInFlight: the group counts the exchanges that picked a peer and are
// not done, whatever the method and the outcome, for its keepalive pool
// (which goes over its size only while others are in flight).
func TestInFlight(t *testing.T) {
	for _, m := range []Method{RoundRobin, Hash, LeastConn, Random} {
		t.Run(fmt.Sprint(m), func(t *testing.T) {
			g, _ := testGroup(t, m, srv{name: "a"}, srv{name: "b"})
			g.initKeepalive()
			p := g.Keepalive()
			var held []*picker
			var peers []*upstream.Peer
			for i := range 3 {
				pk := newTestPicker(g, fmt.Sprint(i), "")
				pe, err := pk.Pick()
				if err != nil {
					t.Fatal(err)
				}
				held, peers = append(held, pk), append(peers, pe)
				if got := p.Busy(); got != int64(i+1) {
					t.Fatalf("after %d picks: Busy() = %d", i+1, got)
				}
			}
			for i, state := range []upstream.PeerState{upstream.PeerOK, upstream.PeerFailed, upstream.PeerNext} {
				held[i].Done(peers[i], state)
				if got := p.Busy(); got != int64(2-i) {
					t.Fatalf("after %d done: Busy() = %d", i+1, got)
				}
			}
		})
	}
}
