package balancer

import (
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

// BenchmarkPick measures one request's peer selection (a pooled picker,
// start, Pick, Done, release) per method over 8 servers.
func BenchmarkPick(b *testing.B) {
	servers := []srv{{name: "a", weight: 5}, {name: "b"}, {name: "c", weight: 2}, {name: "d"},
		{name: "e"}, {name: "f", weight: 3}, {name: "g"}, {name: "h"}}
	for _, m := range []Method{RoundRobin, Hash, ConsistentHash, IPHash, LeastConn, Random, RandomTwo} {
		b.Run(m.String(), func(b *testing.B) {
			g, _ := testGroup(b, m, servers...)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p := pickers.Get().(*picker)
					p.g = g
					p.start()
					switch m {
					case Hash, ConsistentHash:
						p.initHash("/some/key")
					case IPHash:
						p.initIPHash("192.168.10.20")
					}
					pe, err := p.Pick()
					if err != nil {
						b.Fatal(err)
					}
					p.Done(pe, upstream.PeerOK)
					recycle(p)
				}
			})
		})
	}
}

func TestPickAllocations(t *testing.T) {
	servers := []srv{{name: "a", weight: 5}, {name: "b"}, {name: "c", weight: 2}}
	for _, m := range []Method{RoundRobin, Hash, ConsistentHash, IPHash, LeastConn, Random, RandomTwo} {
		t.Run(m.String(), func(t *testing.T) {
			g, _ := testGroup(t, m, servers...)
			p := newTestPicker(g, "/some/key", "192.168.10.20")
			allocs := testing.AllocsPerRun(100, func() {
				*p = picker{g: g}
				p.start()
				switch m {
				case Hash, ConsistentHash:
					p.initHash("/some/key")
				case IPHash:
					p.initIPHash("192.168.10.20")
				}
				pe, err := p.Pick()
				if err != nil {
					t.Fatal(err)
				}
				p.Done(pe, upstream.PeerOK)
			})
			if allocs != 0 {
				t.Errorf("%v allocations per pick, want 0", allocs)
			}
		})
	}
}
