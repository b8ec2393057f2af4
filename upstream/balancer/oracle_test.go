package balancer_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/testutil"
)

// TestKeyMappingMatchesNginx sends the same keys (and client addresses) to
// Debian's nginx and to sluice, both balancing over the same backends, and
// requires every request to land on the same backend: hash, consistent
// hash (with weights and a host-named server) and ip_hash.
func TestKeyMappingMatchesNginx(t *testing.T) {
	var backends []*testutil.Backend
	for range 5 {
		backends = append(backends, namedBackend(t))
	}
	server := func(i int, params string) string {
		return "server " + backends[i].Addr() + " " + params + ";"
	}
	// the same server written as "localhost:PORT" hashes by its name
	local := fmt.Sprintf("server localhost:%d weight=2;", backends[4].Port())
	groups := `
		upstream h { hash $arg_k; ` + server(0, "") + server(1, "weight=2") + server(2, "") + server(3, "weight=3") + ` }
		upstream c { hash $arg_k consistent; ` + server(0, "") + server(1, "weight=2") + server(2, "") + server(3, "weight=5") + ` }
		upstream cl { hash $arg_k consistent; ` + server(0, "") + server(1, "") + local + ` }
		upstream ip { ip_hash; ` + server(0, "") + server(1, "weight=2") + server(2, "") + ` }
	`
	n := oracle.Start(t, `events {} http {`+groups+`
		server { listen 127.0.0.1:%%PORT_0%%;
			location /h { proxy_pass http://h; }
			location /c { proxy_pass http://c; }
			location /cl { proxy_pass http://cl; }
			location /ip { proxy_pass http://ip; }
		}
	}`)
	s := start(t, `events {} http {`+groups+`
		server { listen 127.0.0.1:%%PORT_A%%;
			location /h { bt_pass h; }
			location /c { bt_pass c; }
			location /cl { bt_pass cl; }
			location /ip { bt_pass ip; }
		}
	}`)
	// localhost may have an IPv6 address nobody listens on: both servers
	// then retry on the IPv4 one, which the body names either way
	same := func(t *testing.T, path string, local net.Addr) {
		t.Helper()
		want := fetch(t, n.Addr(0), path, local)
		got := fetch(t, s.Addr("A"), path, local)
		if want.StatusCode != 200 || got.StatusCode != 200 || string(want.Body) != string(got.Body) {
			t.Errorf("%s from %v: nginx %d %q, sluice %d %q", path, local, want.StatusCode, want.Body, got.StatusCode, got.Body)
		}
	}
	for _, loc := range []string{"/h", "/c", "/cl"} {
		t.Run(loc, func(t *testing.T) {
			for i := range 150 {
				key := fmt.Sprintf("key-%d", i*7919)
				if i%3 == 0 {
					key = fmt.Sprintf("/static/img%d.png", i)
				}
				same(t, loc+"?k="+strings.ReplaceAll(key, "/", "%2F"), nil)
			}
		})
	}
	t.Run("/ip", func(t *testing.T) {
		// client addresses 127.0.X.1: ip_hash uses the first three octets
		for x := range 60 {
			same(t, "/ip", &net.TCPAddr{IP: net.IPv4(127, 0, byte(x), 1)})
		}
	})
}
