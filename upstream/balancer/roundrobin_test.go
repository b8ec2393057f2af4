package balancer

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/upstream"
)

func TestSmoothRoundRobinSequence(t *testing.T) {
	tests := []struct {
		name    string
		servers []srv
		want    string
	}{
		// nginx's own example in the commit that introduced smooth
		// weighted round robin
		{"weights 5 1 1", []srv{{name: "a", weight: 5}, {name: "b", weight: 1}, {name: "c", weight: 1}}, "aabacaa aabacaa"},
		{"equal weights", []srv{{name: "a"}, {name: "b"}, {name: "c"}}, "abc abc"},
		{"weights 2 1", []srv{{name: "a", weight: 2}, {name: "b"}}, "aba aba"},
		{"weights 3 2", []srv{{name: "a", weight: 3}, {name: "b", weight: 2}}, "ababa ababa"},
		{"down peer skipped", []srv{{name: "a", weight: 5}, {name: "b", down: true}, {name: "c"}}, "aaacaa aaacaa"},
		{"backup unused while primaries live", []srv{{name: "a"}, {name: "b"}, {name: "z", backup: true}}, "ab ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, RoundRobin, tt.servers...)
			want := strings.ReplaceAll(tt.want, " ", "")
			var got strings.Builder
			for range len(want) {
				got.WriteString(pickOne(t, g, "", ""))
			}
			if got.String() != want {
				t.Errorf("sequence %q, want %q", got.String(), want)
			}
		})
	}
}

// distribution makes n successful requests and counts them per server.
func distribution(t *testing.T, g *Group, n int, key func(i int) (string, string)) map[string]int {
	t.Helper()
	count := map[string]int{}
	for i := range n {
		k, addr := "", ""
		if key != nil {
			k, addr = key(i)
		}
		count[pickOne(t, g, k, addr)]++
	}
	return count
}

// checkShares checks that counts follow the weights within tol (a fraction
// of n).
func checkShares(t *testing.T, count map[string]int, weights map[string]int, n int, tol float64) {
	t.Helper()
	total := 0
	for _, w := range weights {
		total += w
	}
	for name, w := range weights {
		want := float64(n) * float64(w) / float64(total)
		if d := math.Abs(float64(count[name]) - want); d > tol*float64(n) {
			t.Errorf("server %s got %d of %d, want about %.0f (weights %v, counts %v)", name, count[name], n, want, weights, count)
		}
	}
	for name := range count {
		if _, ok := weights[name]; !ok {
			t.Errorf("server %s got requests, weights %v", name, weights)
		}
	}
}

func TestWeightedDistribution(t *testing.T) {
	servers := []srv{{name: "a", weight: 5}, {name: "b", weight: 3}, {name: "c", weight: 1}, {name: "d", weight: 1}}
	weights := map[string]int{"a": 5, "b": 3, "c": 1, "d": 1}
	tests := []struct {
		name   string
		method Method
		tol    float64
		key    func(i int) (string, string)
	}{
		// exact: every 10 requests follow the weights
		{"round robin", RoundRobin, 0, nil},
		{"least conn (sequential: ties by round robin)", LeastConn, 0, nil},
		{"hash", Hash, 0.03, func(i int) (string, string) { return "key" + itoa(i), "" }},
		{"consistent hash", ConsistentHash, 0.06, func(i int) (string, string) { return "/page/" + itoa(i), "" }},
		{"ip hash", IPHash, 0.04, func(i int) (string, string) {
			return "", "10." + itoa(i/250%250) + "." + itoa(i%250) + ".7"
		}},
		{"random", Random, 0.03, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, tt.method, servers...)
			const n = 20000
			checkShares(t, distribution(t, g, n, tt.key), weights, n, tt.tol)
		})
	}
}

func TestRetryNeverRepeatsAPeer(t *testing.T) {
	servers := []srv{{name: "a", weight: 3}, {name: "b"}, {name: "c", weight: 2}, {name: "d"}, {name: "e", down: true},
		{name: "x", backup: true}, {name: "y", backup: true}}
	for _, m := range []Method{RoundRobin, Hash, ConsistentHash, IPHash, LeastConn, Random, RandomTwo} {
		t.Run(m.String(), func(t *testing.T) {
			for i := range 50 {
				g, _ := testGroup(t, m, servers...)
				if m == IPHash || m == Hash || m == ConsistentHash || m == Random || m == RandomTwo {
					// backups exist only with round robin and least_conn;
					// ignore them for the other methods
					g, _ = testGroup(t, m, servers[:5]...)
				}
				p := newTestPicker(g, "k"+itoa(i), "192.168."+itoa(i)+".1")
				seen := map[string]bool{}
				for {
					name := attempt(t, p, upstream.PeerFailed)
					if name == "" {
						break
					}
					if seen[name] {
						t.Fatalf("request %d tried %s twice (tried %v)", i, name, seen)
					}
					seen[name] = true
				}
				if seen["e"] {
					t.Fatalf("down server tried")
				}
				if len(seen) != p.Tries() {
					t.Fatalf("request %d tried %d peers, Tries() = %d (%v)", i, len(seen), p.Tries(), seen)
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Run("max_fails reached: skipped until fail_timeout passes", func(t *testing.T) {
		g, clk := testGroup(t, RoundRobin, srv{name: "a", maxFails: 2, failTimeout: 10 * time.Second}, srv{name: "b"})
		// requests fail on a and succeed on b until a failed twice
		for fails := 0; fails < 2; {
			p := newTestPicker(g, "", "")
			pe, err := p.Pick()
			if err != nil {
				t.Fatal(err)
			}
			if serverOf(pe) == "b" {
				p.Done(pe, upstream.PeerOK)
				continue
			}
			p.Done(pe, upstream.PeerFailed)
			fails++
			if got := attempt(t, p, upstream.PeerOK); got != "b" {
				t.Fatalf("retry on %q, want b", got)
			}
		}
		for i := range 5 {
			if got := pickOne(t, g, "", ""); got != "b" {
				t.Fatalf("request %d on %q while a is failed", i, got)
			}
		}
		clk.t += 10
		for range 5 {
			pickOne(t, g, "", "")
		}
		if got := g.Stats()[0]; !got.Failed {
			t.Errorf("a not failed at the last second of the window: %+v", got)
		}
		clk.t += 1
		if got := distribution(t, g, 4, nil); got["a"] != 2 {
			t.Errorf("after fail_timeout: %v, want a back in rotation", got)
		}
		if got := g.Stats()[0]; got.CurrentFails != 0 || got.Fails != 2 || got.Unavailable != 1 {
			t.Errorf("a's stats %+v, want fails cleared by a success, 2 failures, 1 downtime", got)
		}
	})
	t.Run("max_fails=0 never disables", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a", maxFails: -1}, srv{name: "b", maxFails: -1})
		for range 10 {
			p := newTestPicker(g, "", "")
			attempt(t, p, upstream.PeerFailed)
			attempt(t, p, upstream.PeerFailed)
		}
		if got := distribution(t, g, 10, nil); got["a"] != 5 || got["b"] != 5 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("all failed: no live upstreams until fail_timeout", func(t *testing.T) {
		g, clk := testGroup(t, RoundRobin, srv{name: "a"}, srv{name: "b"})
		p := newTestPicker(g, "", "")
		attempt(t, p, upstream.PeerFailed)
		attempt(t, p, upstream.PeerFailed)
		if _, err := newTestPicker(g, "", "").Pick(); !errors.Is(err, upstream.ErrNoLive) {
			t.Fatalf("Pick with every peer failed: %v, want ErrNoLive", err)
		}
		clk.t += 11
		if got := pickOne(t, g, "", ""); got == "" {
			t.Fatal("no peer after fail_timeout")
		}
	})
	t.Run("single peer ignores failures", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a"})
		for range 3 {
			p := newTestPicker(g, "", "")
			if p.Tries() != 1 {
				t.Fatalf("Tries() = %d", p.Tries())
			}
			attempt(t, p, upstream.PeerFailed)
		}
		if got := pickOne(t, g, "", ""); got != "a" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("403/404 answers do not count", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a"}, srv{name: "b"})
		for range 4 {
			p := newTestPicker(g, "", "")
			attempt(t, p, upstream.PeerNext)
		}
		if got := distribution(t, g, 4, nil); got["a"] != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("failure lowers effective weight", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a", weight: 4, maxFails: 4}, srv{name: "b", weight: 4})
		p := newTestPicker(g, "", "")
		if got := attempt(t, p, upstream.PeerFailed); got != "a" {
			t.Fatalf("first pick %q", got)
		}
		if ew := g.primary.peers[0].effectiveWeight; ew != 3 {
			t.Errorf("effective weight %d after a failure, want 3", ew)
		}
	})
	t.Run("Done twice counts once", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a"}, srv{name: "b"})
		p := newTestPicker(g, "", "")
		pe, _ := p.Pick()
		p.Done(pe, upstream.PeerFailed)
		p.Done(pe, upstream.PeerOK)
		st := g.Stats()
		if st[0].Active != 0 || st[0].CurrentFails != 1 {
			t.Errorf("stats after double Done: %+v", st[0])
		}
	})
}

func TestBackup(t *testing.T) {
	servers := []srv{{name: "a"}, {name: "b"}, {name: "x", backup: true}, {name: "y", backup: true, weight: 2}}
	t.Run("used once every primary failed", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, servers...)
		p := newTestPicker(g, "", "")
		if p.Tries() != 4 {
			t.Fatalf("Tries() = %d, want 4", p.Tries())
		}
		var got []string
		for {
			name := attempt(t, p, upstream.PeerFailed)
			if name == "" {
				break
			}
			got = append(got, name)
		}
		if strings.Join(got, "") != "abyx" {
			t.Errorf("attempts %v, want a b then y x", got)
		}
	})
	t.Run("shared while primaries are out", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, servers...)
		p := newTestPicker(g, "", "")
		attempt(t, p, upstream.PeerFailed)
		attempt(t, p, upstream.PeerFailed)
		if got := distribution(t, g, 6, nil); got["y"] != 4 || got["x"] != 2 {
			t.Errorf("got %v, want backups by weight", got)
		}
	})
	t.Run("least_conn uses backups too", func(t *testing.T) {
		g, _ := testGroup(t, LeastConn, srv{name: "a", down: true}, srv{name: "b", down: true}, srv{name: "x", backup: true})
		if got := pickOne(t, g, "", ""); got != "x" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("down backups", func(t *testing.T) {
		g, _ := testGroup(t, RoundRobin, srv{name: "a", down: true}, srv{name: "x", backup: true, down: true})
		p := newTestPicker(g, "", "")
		if p.Tries() != 0 {
			t.Errorf("Tries() = %d, want 0", p.Tries())
		}
		if _, err := p.Pick(); !errors.Is(err, upstream.ErrNoLive) {
			t.Errorf("Pick: %v, want ErrNoLive", err)
		}
	})
}

func TestMaxConns(t *testing.T) {
	tests := []struct {
		name    string
		method  Method
		servers []srv
		// hold is how many requests pick and stay active; then want is the
		// server of the next request ("" for none)
		hold    int
		want    string
		wantErr error
	}{
		{"limit reached skips the peer", RoundRobin, []srv{{name: "a", maxConns: 1}, {name: "b", weight: 100}}, 1, "b", nil},
		{"single peer at its limit", RoundRobin, []srv{{name: "a", maxConns: 2}}, 2, "", upstream.ErrBusy},
		{"all at limit", RoundRobin, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}}, 2, "", upstream.ErrBusy},
		{"backup when primaries at limit", RoundRobin, []srv{{name: "a", maxConns: 2}, {name: "x", backup: true}}, 2, "x", nil},
		{"least conn", LeastConn, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}}, 2, "", upstream.ErrBusy},
		{"hash falls back", Hash, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}, {name: "c"}}, 2, "c", nil},
		{"ip hash", IPHash, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}}, 2, "", upstream.ErrBusy},
		{"random", Random, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}}, 2, "", upstream.ErrBusy},
		{"consistent hash", ConsistentHash, []srv{{name: "a", maxConns: 1}, {name: "b", maxConns: 1}}, 2, "", upstream.ErrBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := testGroup(t, tt.method, tt.servers...)
			held := map[string]int{}
			for i := range tt.hold {
				p := newTestPicker(g, "k"+itoa(i), "10.0."+itoa(i)+".1")
				pe, err := p.Pick()
				if err != nil {
					t.Fatalf("hold %d: %v", i, err)
				}
				held[serverOf(pe)]++
			}
			p := newTestPicker(g, "other", "10.9.9.9")
			pe, err := p.Pick()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Pick: %v, want %v (held %v)", err, tt.wantErr, held)
				}
				return
			}
			if err != nil {
				t.Fatalf("Pick: %v (held %v)", err, held)
			}
			if got := serverOf(pe); got != tt.want {
				t.Errorf("got %q, want %q (held %v)", got, tt.want, held)
			}
		})
	}
}
