package memcached_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/testutil"
)

// TestKeepalive counts the connections memcached accepts while sluice
// serves requests through upstream{} groups with keepalive.
func TestKeepalive(t *testing.T) {
	m1, m2 := startMemcached(t), startMemcached(t)
	m1.set(t, "/", 0, "SEE-THIS")
	m2.set(t, "/", 0, "SEE-THIS")
	m1.set(t, "/big", 0, strings.Repeat("X", 1000000))
	m1.set(t, "/medium", 0, strings.Repeat("Y", 20480))
	s := serveWith(t, `
    upstream memd {
        server `+m1.addr+`;
        keepalive 1;
    }
    upstream one_idle {
        server `+m1.addr+`;
        server `+m2.addr+`;
        keepalive 1;
    }
    upstream ten_idle {
        server `+m1.addr+`;
        server `+m2.addr+`;
        keepalive 10;
    }`, `
        location / {
            set $memcached_key $uri;
            memcached_pass memd;
        }
        location /next {
            set $memcached_key $uri;
            memcached_next_upstream not_found;
            memcached_pass memd;
        }
        location /one {
            set $memcached_key "/";
            memcached_pass one_idle;
        }
        location /ten {
            set $memcached_key "/";
            memcached_pass ten_idle;
        }
`)
	// One client connection for every request: the requests of a client
	// connection run one after the other. (The framework pools the
	// upstream connection before the last body bytes go to the client, so
	// a connection per request would find it too.)
	client := testutil.Dial(t, s.Addr("A"))
	defer client.Close()
	check := func(t *testing.T, method, path string, status int, body string) {
		t.Helper()
		req := method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
		if err := client.WriteString(req); err != nil {
			t.Fatal(err)
		}
		var resp *testutil.Response
		var err error
		if strings.HasPrefix(req, "HEAD") {
			resp, err = client.ReadHeadResponse()
		} else {
			resp, err = client.ReadResponse()
		}
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		if resp.StatusCode != status {
			t.Fatalf("%q: status %d, want %d", req, resp.StatusCode, status)
		}
		if body != "" && string(resp.Body) != body {
			t.Fatalf("%q: body %.40q", req, resp.Body)
		}
	}
	both := func() int { return m1.totalConnections(t) + m2.totalConnections(t) }

	t.Run("hits and misses share one connection", func(t *testing.T) {
		before := m1.totalConnections(t)
		for i, path := range []string{"/", "/notfound", "/next", "/", "/", "/"} {
			status, body := 200, "SEE-THIS"
			if i == 1 || i == 2 {
				status, body = 404, ""
			}
			check(t, "GET", path, status, body)
			if n := m1.totalConnections(t) - before; n != 1 {
				t.Fatalf("after request %d (%s): %d connections, want 1", i, path, n)
			}
		}
	})
	t.Run("head closes the connection", func(t *testing.T) {
		before := m1.totalConnections(t)
		check(t, "HEAD", "/", 200, "")
		check(t, "GET", "/", 200, "SEE-THIS")
		if n := m1.totalConnections(t) - before; n != 1 {
			t.Errorf("%d connections, want 1 (the HEAD's closed, a new one kept)", n)
		}
	})
	t.Run("big head closes the connection", func(t *testing.T) {
		before := m1.totalConnections(t)
		check(t, "HEAD", "/big", 200, "")
		check(t, "GET", "/", 200, "SEE-THIS")
		if n := m1.totalConnections(t) - before; n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
	})
	t.Run("one idle connection for two servers", func(t *testing.T) {
		before := both()
		for range 3 {
			check(t, "GET", "/one", 200, "SEE-THIS")
		}
		if n := both() - before; n != 3 {
			t.Errorf("%d connections, want 3 (each request evicts the other server's)", n)
		}
	})
	t.Run("one connection per server", func(t *testing.T) {
		before := both()
		for range 3 {
			check(t, "GET", "/ten", 200, "SEE-THIS")
		}
		if n := both() - before; n != 2 {
			t.Errorf("%d connections, want 2", n)
		}
	})
	t.Run("many values bigger than the buffer", func(t *testing.T) {
		before := m1.totalConnections(t)
		value := strings.Repeat("Y", 20480)
		for range 50 {
			check(t, "GET", "/medium", 200, value)
		}
		if n := m1.totalConnections(t) - before; n > 1 {
			t.Errorf("%d connections, want at most 1", n)
		}
	})
}

// TestNextUpstream checks retries across the servers of a group.
func TestNextUpstream(t *testing.T) {
	m1, m2 := startMemcached(t), startMemcached(t)
	m2.set(t, "/only-on-2", 0, "second")
	bad := testutil.StartBackend(t, testutil.Script{readGet(), testutil.Write("SERVER_ERROR busy\r\n"), testutil.Close()})
	// gzip flag set, then an invalid length
	badgz := testutil.StartBackend(t, testutil.Script{readGet(), testutil.Write("VALUE /only-on-2 2 x\r\n"), testutil.Close()})
	refused := testutil.RefusedAddr(t)
	s := serveWith(t, `
    upstream both { server `+m1.addr+`; server `+m2.addr+`; }
    upstream first_then_second { server `+m1.addr+`; server `+m2.addr+` backup; }
    upstream bad_then_second { server `+bad.Addr()+`; server `+m2.addr+` backup; }
    upstream refused_then_second { server `+refused+`; server `+m2.addr+` backup; }
    upstream bad_then_second_2 { server `+bad.Addr()+`; server `+m2.addr+` backup; }
    upstream refused_then_second_2 { server `+refused+`; server `+m2.addr+` backup; }
    upstream badgz_then_second { server `+badgz.Addr()+`; server `+m2.addr+` backup; }`, `
        location /nf/ {
            set $memcached_key "/only-on-2";
            memcached_next_upstream not_found;
            memcached_pass both;
        }
        location /nonext/ {
            set $memcached_key "/only-on-2";
            memcached_pass first_then_second;
        }
        location /invalid/ {
            set $memcached_key "/only-on-2";
            memcached_next_upstream invalid_response;
            memcached_pass bad_then_second;
        }
        location /invalid-off/ {
            set $memcached_key "/only-on-2";
            memcached_next_upstream off;
            memcached_pass bad_then_second_2;
        }
        location /invalid-gzip/ {
            set $memcached_key "/only-on-2";
            memcached_gzip_flag 2;
            memcached_next_upstream invalid_response;
            memcached_pass badgz_then_second;
        }
        location /refused/ {
            set $memcached_key "/only-on-2";
            memcached_pass refused_then_second;
        }
        location /tries/ {
            set $memcached_key "/only-on-2";
            memcached_next_upstream error;
            memcached_next_upstream_tries 1;
            memcached_pass refused_then_second_2;
        }
`)
	tests := []struct {
		name   string
		path   string
		status int
		body   string
		log    string
	}{
		{name: "not_found tries the next server", path: "/nf/", status: 200, body: "second"},
		{name: "a miss is final by default", path: "/nonext/", status: 404},
		{name: "invalid_response tries the next server", path: "/invalid/", status: 200, body: "second",
			log: `memcached sent invalid response: "SERVER_ERROR busy"`},
		{name: "off", path: "/invalid-off/", status: 502},
		// nginx keeps the first answer's Content-Encoding (docs/compat.md)
		{name: "the next server's flags alone decide the encoding", path: "/invalid-gzip/", status: 200, body: "second",
			log: `memcached sent invalid length in response "VALUE /only-on-2 2 x"`},
		{name: "error tries the next server", path: "/refused/", status: 200, body: "second",
			log: "connect() failed (111: Connection refused) while connecting to upstream"},
		{name: "tries", path: "/tries/", status: 502},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, get(tc.path))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if string(resp.Body) != tc.body && tc.status == 200 {
				t.Errorf("body %q, want %q", resp.Body, tc.body)
			}
			if resp.Has("Content-Encoding") {
				t.Errorf("Content-Encoding %q on a plain answer", resp.Get("Content-Encoding"))
			}
			if tc.log != "" {
				waitLog(t, s, tc.log)
			}
		})
	}
}

// TestHash spreads keys over three servers with "hash $memcached_key" and
// "hash $arg_k consistent": each key is stored only where the hash sends
// it, so a hit proves the request went there, and the same key always goes
// to the same server.
func TestHash(t *testing.T) {
	ms := []*memd{startMemcached(t), startMemcached(t), startMemcached(t)}
	servers := ""
	for _, m := range ms {
		servers += "server " + m.addr + "; "
	}
	s := serveWith(t, `
    upstream by_key { hash $memcached_key; `+servers+` }
    upstream by_arg { hash $arg_k consistent; `+servers+` }`, `
        location /h/ {
            set $memcached_key $uri;
            memcached_pass by_key;
        }
        location /c/ {
            set $memcached_key $arg_k;
            memcached_pass by_arg;
        }
`)
	// first pass: every server holds every key with its own index as
	// value; the answers say where each key goes
	for i, m := range ms {
		for k := range 20 {
			m.set(t, fmt.Sprintf("/h/%d", k), 0, fmt.Sprint(i))
			m.set(t, fmt.Sprint(k), 0, fmt.Sprint(i))
		}
	}
	where := func(path string) string {
		resp := roundTrip(t, s, get(path))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		return string(resp.Body)
	}
	used := map[string]bool{}
	for k := range 20 {
		for _, path := range []string{fmt.Sprintf("/h/%d", k), fmt.Sprintf("/c/?k=%d", k)} {
			first := where(path)
			used[path[:3]+first] = true
			if again := where(path); again != first {
				t.Errorf("%s went to server %s, then %s", path, first, again)
			}
		}
	}
	for _, prefix := range []string{"/h/", "/c/"} {
		n := 0
		for i := range ms {
			if used[prefix+fmt.Sprint(i)] {
				n++
			}
		}
		if n < 2 {
			t.Errorf("%s: 20 keys all went to %d server(s)", prefix, n)
		}
	}
}
