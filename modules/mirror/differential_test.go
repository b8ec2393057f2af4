package mirror_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/oracle"
	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// diffConf is served by Debian's nginx and by sluice, each with its own
// scripted backends (MAIN, MIRROR, SLOW, DEAD).
const diffConf = `
error_log %%PREFIX%%/error.log info;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;
        location / { mirror /m; proxy_pass http://127.0.0.1:MAIN; }
        location /two { mirror /m; mirror /m2; proxy_pass http://127.0.0.1:MAIN; }
        location /nobody { mirror /hd; mirror_request_body off; proxy_pass http://127.0.0.1:MAIN; }
        location /nobodycl { mirror /mcl; mirror_request_body off; proxy_pass http://127.0.0.1:MAIN; }
        location /off { mirror off; proxy_pass http://127.0.0.1:MAIN; }
        location /ret { mirror /m; return 200 "ret $request_method\n"; }
        location /slow { mirror /s; proxy_pass http://127.0.0.1:MAIN; }
        location /dead { mirror /d; proxy_pass http://127.0.0.1:MAIN; }
        location /missing { mirror /nowhere; proxy_pass http://127.0.0.1:MAIN; }
        location /m { internal; proxy_pass http://127.0.0.1:MIRROR; }
        location /m2 { internal; proxy_pass http://127.0.0.1:MIRROR/second; }
        location /mcl { internal; proxy_set_header Content-Length ""; proxy_pass http://127.0.0.1:MIRROR; }
        location /hd { internal; proxy_pass http://127.0.0.1:HEAD; }
        location /s { internal; proxy_pass http://127.0.0.1:SLOW; }
        location /d { internal; proxy_pass http://127.0.0.1:DEAD; }
    }
}
`

type backends struct {
	main, mirror, slow, dead, head *testutil.Backend
}

func answer(body string, pause time.Duration) func(int) testutil.Script {
	return func(int) testutil.Script {
		return testutil.Script{
			testutil.ReadRequest(),
			testutil.Sleep(pause),
			testutil.Write(testutil.HTTPResponse(200, body, "Connection: close")),
			testutil.Close(),
		}
	}
}

func startBackends(t *testing.T) (*backends, string) {
	b := &backends{
		main:   testutil.StartBackendFunc(t, answer("main\n", 0)),
		mirror: testutil.StartBackendFunc(t, answer("mirror\n", 0)),
		slow:   testutil.StartBackendFunc(t, answer("slow\n", 1500*time.Millisecond)),
		// records the head only: a mirror without its body may still
		// announce one
		head: testutil.StartBackendFunc(t, func(int) testutil.Script {
			return testutil.Script{testutil.ReadHead(),
				testutil.Write(testutil.HTTPResponse(200, "head\n", "Connection: close")), testutil.Close()}
		}),
		dead: testutil.StartBackendFunc(t, func(int) testutil.Script {
			return testutil.Script{testutil.ReadHead(), testutil.Reset()}
		}),
	}
	conf := strings.NewReplacer(
		"MAIN", fmt.Sprint(b.main.Port()), "MIRROR", fmt.Sprint(b.mirror.Port()),
		"SLOW", fmt.Sprint(b.slow.Port()), "DEAD", fmt.Sprint(b.dead.Port()), "HEAD", fmt.Sprint(b.head.Port()),
	).Replace(diffConf)
	return b, conf
}

// seen renders what a backend received, one line per request: the request
// line, the headers but Host (its port differs), the body.
func seen(b *testutil.Backend) string {
	var out []string
	for _, r := range b.Requests() {
		var hs []string
		for _, l := range strings.Split(strings.TrimRight(r.Head, "\r\n"), "\r\n")[1:] {
			if !strings.HasPrefix(strings.ToLower(l), "host:") {
				hs = append(hs, l)
			}
		}
		out = append(out, fmt.Sprintf("%s | %s | %q", r.Line(), strings.Join(hs, "; "), r.Body))
	}
	return strings.Join(out, "\n")
}

// TestDifferential sends the same requests to nginx and to sluice and
// compares the client's answers and what the main and mirror backends
// received (methods, arguments, headers, bodies).
func TestDifferential(t *testing.T) {
	testutil.CheckLeaks(t)
	nb, nconf := startBackends(t)
	sb, sconf := startBackends(t)
	n := oracle.Start(t, nconf)
	s := servertest.Start(t, sconf)
	cmp := oracle.DefaultComparison()
	cmp.CloseWait = -1

	cases := []struct {
		name    string
		req     string
		mirrors int // requests the mirror backend gets
	}{
		{"get", "GET /a?x=1&y=2 HTTP/1.0\r\nX-Test: one\r\n\r\n", 1},
		{"head", "HEAD /h?q HTTP/1.0\r\n\r\n", 1},
		{"post body", "POST /p?z HTTP/1.0\r\nContent-Length: 10\r\n\r\n1234567890", 1},
		{"put chunked", "PUT /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 1},
		{"two mirrors", "POST /two?k=v HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 2},
		{"request body off", "POST /nobodycl?a HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 1},
		{"off", "GET /off HTTP/1.0\r\n\r\n", 0},
		// return ends the request in the rewrite phase, before mirror
		{"return", "DELETE /ret?d HTTP/1.0\r\n\r\n", 0},
		{"return with body", "POST /ret HTTP/1.0\r\nContent-Length: 4\r\n\r\nwxyz", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nm, sm := len(nb.mirror.Requests()), len(sb.mirror.Requests())
			nn, sn := len(nb.main.Requests()), len(sb.main.Requests())
			oracle.Compare(t, tc.req, n.Addr(0), s.Addr("0"), cmp)
			nb.mirror.WaitRequests(nm+tc.mirrors, 5*time.Second)
			sb.mirror.WaitRequests(sm+tc.mirrors, 5*time.Second)
			time.Sleep(50 * time.Millisecond)
			for _, p := range []struct {
				what       string
				nginx, slc *testutil.Backend
				from       [2]int
			}{
				{"main", nb.main, sb.main, [2]int{nn, sn}},
				{"mirror", nb.mirror, sb.mirror, [2]int{nm, sm}},
			} {
				// nginx's mirrors run concurrently: compare in sorted order
				g, w := strings.Split(seen(p.slc), "\n")[p.from[1]:], strings.Split(seen(p.nginx), "\n")[p.from[0]:]
				slices.Sort(g)
				slices.Sort(w)
				got, want := strings.Join(g, "\n"), strings.Join(w, "\n")
				if got != want {
					t.Errorf("%s backend:\nnginx:  %s\nsluice: %s", p.what, want, got)
				}
			}
			if k := len(sb.mirror.Requests()) - sm; k != tc.mirrors {
				t.Errorf("mirror got %d requests, want %d", k, tc.mirrors)
			}
		})
	}

	// mirror_request_body off without resetting Content-Length: the
	// mirror's head is the same in both
	t.Run("request body off, head", func(t *testing.T) {
		oracle.Compare(t, "POST /nobody?a HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", n.Addr(0), s.Addr("0"), cmp)
		nb.head.WaitRequests(1, 5*time.Second)
		sb.head.WaitRequests(1, 5*time.Second)
		got, want := seen(sb.head), seen(nb.head)
		t.Logf("mirror head: %s", got)
		if got != want || got == "" {
			t.Errorf("mirror head:\nnginx:  %s\nsluice: %s", want, got)
		}
	})

	// a slow or failing mirror does not delay or alter the main response
	for _, tc := range []struct{ name, uri string }{
		{"slow mirror", "/slow"},
		{"failing mirror", "/dead"},
		{"mirror location missing", "/missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c := testutil.Dial(t, s.Addr("0"))
			defer c.Close()
			c.WriteString("GET " + tc.uri + "?v HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := c.ReadResponse()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || string(resp.Body) != "main\n" {
				t.Fatalf("response %d %q", resp.StatusCode, resp.Body)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("main response took %v", d)
			}
			oracle.Compare(t, "GET "+tc.uri+"?v HTTP/1.0\r\n\r\n", n.Addr(0), s.Addr("0"), cmp)
		})
	}
	if !sb.slow.WaitRequests(2, 5*time.Second) {
		t.Errorf("slow mirror got %d requests", len(sb.slow.Requests()))
	}
}
