package balancer

import (
	"hash/crc32"
	"testing"

	"github.com/sluicehq/sluice/upstream"
)

func TestHash(t *testing.T) {
	servers := []srv{{name: "a"}, {name: "b", weight: 2}, {name: "c"}}
	tests := []struct {
		name string
		key  string
		// want is computed by hand from nginx's formula
		want func() string
	}{
		{"first hash", "abc", func() string {
			h := (crc32.ChecksumIEEE([]byte("abc")) >> 16) & 0x7fff
			return []string{"a", "b", "b", "c"}[h%4]
		}},
		{"another key", "/index.html", func() string {
			h := (crc32.ChecksumIEEE([]byte("/index.html")) >> 16) & 0x7fff
			return []string{"a", "b", "b", "c"}[h%4]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, Hash, servers...)
			for range 3 {
				if got, want := pickOne(t, g, tt.key, ""), tt.want(); got != want {
					t.Fatalf("key %q on %q, want %q", tt.key, got, want)
				}
			}
		})
	}
	t.Run("rehash when the server is down", func(t *testing.T) {
		g, _ := testGroup(t, Hash, servers...)
		first := pickOne(t, g, "abc", "")
		h1 := (crc32.ChecksumIEEE([]byte("abc")) >> 16) & 0x7fff
		h2 := h1 + (crc32.ChecksumIEEE([]byte("1abc"))>>16)&0x7fff
		names := []string{"a", "b", "b", "c"}
		p := newTestPicker(g, "abc", "")
		if got := attempt(t, p, upstream.PeerFailed); got != first {
			t.Fatalf("first attempt %q, want %q", got, first)
		}
		got := attempt(t, p, upstream.PeerOK)
		want := names[h2%4]
		if want == first {
			// the rehash landed on the tried server again: nginx goes on
			// hashing; just check it is another one
			if got == first || got == "" {
				t.Fatalf("retry on %q", got)
			}
			return
		}
		if got != want {
			t.Errorf("retry on %q, want %q (second hash)", got, want)
		}
	})
	t.Run("empty key is round robin", func(t *testing.T) {
		g, _ := testGroup(t, Hash, servers...)
		if got := distribution(t, g, 8, nil); got["a"] != 2 || got["b"] != 4 || got["c"] != 2 {
			t.Errorf("got %v", got)
		}
	})
}

func TestConsistentHashPoints(t *testing.T) {
	tests := []struct {
		server, host, port string
	}{
		{"127.0.0.1:8081", "127.0.0.1", "8081"},
		{"backend", "backend", ""},
		{"backend:80", "backend", "80"},
		{"[::1]:80", "[::1]", "80"},
		{"[::1]", "[::1]", ""},
		{"unix:/tmp/s:80", "/tmp/s:80", ""},
		{"UNIX:/tmp/s", "/tmp/s", ""},
		{"a1:b2", "a1:b2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.server, func(t *testing.T) {
			host, port := splitServer(tt.server)
			if host != tt.host || port != tt.port {
				t.Errorf("split %q = %q, %q; want %q, %q", tt.server, host, port, tt.host, tt.port)
			}
		})
	}
	t.Run("ring", func(t *testing.T) {
		g, _ := testGroup(t, ConsistentHash, srv{name: "127.0.0.1:8081", weight: 2}, srv{name: "127.0.0.1:8082"})
		if n := len(g.points); n != 480 {
			t.Fatalf("%d points, want 480", n)
		}
		// the first point of a server is crc32("HOST\0PORT" + 4 zero bytes)
		want := crc32.ChecksumIEEE([]byte("127.0.0.1\x008082\x00\x00\x00\x00"))
		found := false
		for i, p := range g.points {
			if i > 0 && g.points[i-1].hash >= p.hash {
				t.Fatalf("points not sorted at %d", i)
			}
			found = found || p.hash == want && p.server == "127.0.0.1:8082"
		}
		if !found {
			t.Errorf("point %08x of 127.0.0.1:8082 missing", want)
		}
	})
}

func TestConsistentHashStability(t *testing.T) {
	all := []srv{{name: "10.0.0.1:80"}, {name: "10.0.0.2:80", weight: 2}, {name: "10.0.0.3:80"},
		{name: "10.0.0.4:80"}, {name: "10.0.0.5:80"}}
	for removed := range all {
		t.Run("without "+all[removed].name, func(t *testing.T) {
			full, _ := testGroup(t, ConsistentHash, all...)
			rest := append(append([]srv{}, all[:removed]...), all[removed+1:]...)
			part, _ := testGroup(t, ConsistentHash, rest...)
			moved := 0
			for i := range 2000 {
				key := "/object/" + itoa(i)
				before, after := pickOne(t, full, key, ""), pickOne(t, part, key, "")
				if before != all[removed].name && before != after {
					t.Fatalf("key %q moved from %s to %s", key, before, after)
				}
				if before == all[removed].name {
					moved++
				}
			}
			if moved == 0 {
				t.Errorf("no key was on the removed server")
			}
		})
	}
	t.Run("a down server's keys go to the next point", func(t *testing.T) {
		g, _ := testGroup(t, ConsistentHash, all...)
		down := all
		down = append([]srv{}, all...)
		down[1].down = true
		gd, _ := testGroup(t, ConsistentHash, down...)
		for i := range 1000 {
			key := "/object/" + itoa(i)
			before, after := pickOne(t, g, key, ""), pickOne(t, gd, key, "")
			if before != all[1].name && before != after {
				t.Fatalf("key %q moved from %s to %s", key, before, after)
			}
			if after == all[1].name {
				t.Fatalf("key %q on the down server", key)
			}
		}
	})
}

func TestIPHash(t *testing.T) {
	servers := []srv{{name: "a"}, {name: "b"}, {name: "c"}}
	tests := []struct {
		name   string
		remote string
		same   []string
	}{
		{"same /24", "192.168.1.10", []string{"192.168.1.11", "192.168.1.250"}},
		{"ipv6 whole address", "2001:db8::1", []string{"2001:db8::1"}},
		{"unix clients share one", "unix:", []string{"", "garbage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, IPHash, servers...)
			want := pickOne(t, g, "", tt.remote)
			for _, r := range tt.same {
				if got := pickOne(t, g, "", r); got != want {
					t.Errorf("%s on %s, %s on %s", tt.remote, want, r, got)
				}
			}
		})
	}
	t.Run("nginx's formula", func(t *testing.T) {
		g, _ := testGroup(t, IPHash, servers...)
		hash := uint32(89)
		for _, b := range []byte{10, 20, 30} {
			hash = (hash*113 + uint32(b)) % 6271
		}
		want := []string{"a", "b", "c"}[hash%3]
		if got := pickOne(t, g, "", "10.20.30.40"); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("failed server: the hash goes on", func(t *testing.T) {
		g, _ := testGroup(t, IPHash, servers...)
		p := newTestPicker(g, "", "10.20.30.40")
		first := attempt(t, p, upstream.PeerFailed)
		second := attempt(t, p, upstream.PeerFailed)
		third := attempt(t, p, upstream.PeerFailed)
		if first == second || second == third || first == third || third == "" {
			t.Errorf("attempts %q %q %q", first, second, third)
		}
	})
}

func TestLeastConn(t *testing.T) {
	tests := []struct {
		name    string
		servers []srv
		active  []int // active connections per server before the pick
		want    string
	}{
		{"fewest connections", []srv{{name: "a"}, {name: "b"}, {name: "c"}}, []int{3, 1, 2}, "b"},
		{"relative to weight", []srv{{name: "a", weight: 4}, {name: "b"}}, []int{3, 1}, "a"},
		{"ties by round robin weight", []srv{{name: "a"}, {name: "b", weight: 3}}, []int{0, 0}, "b"},
		{"down ignored", []srv{{name: "a", down: true}, {name: "b"}}, []int{0, 5}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, LeastConn, tt.servers...)
			for i, n := range tt.active {
				g.primary.peers[i].conns = n
			}
			if got := pickOne(t, g, "", ""); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("concurrent requests spread", func(t *testing.T) {
		g, _ := testGroup(t, LeastConn, srv{name: "a"}, srv{name: "b"}, srv{name: "c"})
		count := map[string]int{}
		for range 9 {
			p := newTestPicker(g, "", "")
			pe, err := p.Pick()
			if err != nil {
				t.Fatal(err)
			}
			count[serverOf(pe)]++ // held: never Done
		}
		if count["a"] != 3 || count["b"] != 3 || count["c"] != 3 {
			t.Errorf("got %v", count)
		}
	})
}

func TestRandom(t *testing.T) {
	servers := []srv{{name: "a", weight: 2}, {name: "b"}, {name: "c"}}
	t.Run("draws by weight range", func(t *testing.T) {
		g, _ := testGroup(t, Random, servers...)
		g.random = fixedRandom(0, 1, 2, 3)
		got := ""
		for range 4 {
			got += pickOne(t, g, "", "")
		}
		if got != "aabc" {
			t.Errorf("got %q, want aabc", got)
		}
	})
	t.Run("two: fewer connections wins", func(t *testing.T) {
		g, _ := testGroup(t, RandomTwo, servers...)
		g.primary.peers[0].conns = 4
		g.primary.peers[2].conns = 1
		g.random = fixedRandom(0, 3) // a then c
		if got := pickOne(t, g, "", ""); got != "c" {
			t.Errorf("got %q, want c", got)
		}
		g.random = fixedRandom(3, 2) // c then b
		if got := pickOne(t, g, "", ""); got != "b" {
			t.Errorf("got %q, want b", got)
		}
	})
	t.Run("two: the second draw wins a tie, never the same peer twice", func(t *testing.T) {
		g, _ := testGroup(t, RandomTwo, servers...)
		g.random = fixedRandom(0, 1, 2) // a, a again (redrawn), then b
		if got := pickOne(t, g, "", ""); got != "b" {
			t.Errorf("got %q, want b", got)
		}
	})
	t.Run("falls back to round robin after 20 draws", func(t *testing.T) {
		g, _ := testGroup(t, Random, srv{name: "a", down: true}, srv{name: "b"})
		g.random = fixedRandom(0)
		if got := pickOne(t, g, "", ""); got != "b" {
			t.Errorf("got %q", got)
		}
	})
}
