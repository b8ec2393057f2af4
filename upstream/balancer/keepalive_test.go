package balancer

import (
	"testing"
	"time"
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
