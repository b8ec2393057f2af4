package proxy_test

import (
	"net"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/servertest"
	"github.com/sluicehq/sluice/internal/testutil"
)

// fakeDNS answers A queries for names starting with "ok" with n copies of
// 127.0.0.1, AAAA queries with nothing, and other names with NXDOMAIN.
// mute makes it read queries and never answer.
func fakeDNS(t *testing.T, n int, mute bool) string {
	t.Helper()
	return testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		switch {
		case mute:
			return testutil.DNSReply{Mute: true}
		case !strings.HasPrefix(name, "ok"):
			return testutil.DNSReply{Rcode: 3}
		case qtype != 1:
			return testutil.DNSReply{}
		}
		r := testutil.DNSReply{}
		for i := 0; i < n; i++ {
			r.Records = append(r.Records, testutil.DNSRecord{Addr: "127.0.0.1", TTL: 60})
		}
		return r
	}).Addr
}

// TestResolver checks run-time resolution for proxy_pass with variables:
// the resolver's answers (duplicates kept, as nginx) are the peers, and
// failures are logged with nginx's codes.
func TestResolver(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackend(t, respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
	_, port, _ := net.SplitHostPort(b.Addr())
	dns := fakeDNS(t, 3, false)
	mute := fakeDNS(t, 0, true)
	s := servertest.Start(t, conf(b.Addr(), `
        location / {
            resolver `+dns+`;
            proxy_pass http://$arg_h:`+port+`;
            proxy_next_upstream http_404;
            proxy_next_upstream_tries 2;
            proxy_intercept_errors on;
            error_page 404 = @status;
        }
        location /mute {
            resolver `+mute+`;
            resolver_timeout 200ms;
            proxy_pass http://$arg_h:`+port+`;
        }
        location @status { return 200 "$upstream_addr|$upstream_status"; }
`))
	tests := []struct {
		name, uri string
		status    int
		body, log string
	}{
		{"duplicates kept, tries capped", "/?h=ok.example", 200, "127.0.0.1:" + port + ", 127.0.0.1:" + port + "|404, 404", ""},
		{"name asked in lower case", "/?h=OK.Example", 200, "127.0.0.1:" + port + ", 127.0.0.1:" + port + "|404, 404", ""},
		{"not found", "/?h=no.example", 502, "", "no.example could not be resolved (3: Host not found)"},
		{"not found, logged in lower case", "/?h=No.Example", 502, "", "no.example could not be resolved (3: Host not found)"},
		{"timed out", "/mute?h=ok.example", 502, "", "ok.example could not be resolved (110: Operation timed out)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, s, get(tc.uri))
			if resp.StatusCode != tc.status || (tc.body != "" && string(resp.Body) != tc.body) {
				t.Fatalf("response %d %q\n%s", resp.StatusCode, resp.Body, s.ErrorLog())
			}
			if tc.log != "" {
				waitLog(t, s, tc.log)
			}
		})
	}
}

// TestResolverKeepsNames: the name a request resolves lives in its
// scratch memory, which the next request on the connection overwrites;
// the resolver's cache keeps its own copy. With the request's memory as
// its key, the answer for one.example read as two.example's after the
// second request: one.example was asked again, and two.example could get
// one.example's answer (http_resolver_aaaa.t's intermittent failures).
func TestResolverKeepsNames(t *testing.T) {
	testutil.CheckLeaks(t)
	b := testutil.StartBackend(t, respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
	_, port, _ := net.SplitHostPort(b.Addr())
	dns := testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		switch {
		case qtype != 1:
			return testutil.DNSReply{}
		case name == "one.example":
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.1", TTL: 3600}}}
		}
		return testutil.DNSReply{Rcode: 2}
	})
	// one resolver, one cache, for both locations
	s := servertest.Start(t, conf(b.Addr(), `
        resolver `+dns.Addr+`;
        location / {
            proxy_pass http://$arg_h:`+port+`;
            proxy_intercept_errors on;
            error_page 404 502 = @addr;
        }
        location /other {
            # written to the scratch memory before proxy_pass is
            set $pad "pad-$arg_h";
            proxy_pass http://$arg_h:`+port+`;
            proxy_intercept_errors on;
            error_page 404 502 = @addr;
        }
        location @addr { return 200 "[$upstream_addr]"; }
`))
	// pipelined on one connection: each request reuses the scratch
	// memory of the one before (an idle connection gives its request
	// object back to the pool); the first, longer, grows it to the size
	// the later ones need. two.example overwrites where one.example was
	// evaluated; /other evaluates one.example further on, so the cache
	// must find it under its own name.
	long := strings.Repeat("long-", 20) + "name.example"
	tests := []struct{ uri, want string }{
		{"/?h=" + long, "[]"},
		{"/?h=one.example", "[127.0.0.1:" + port + "]"},
		{"/?h=two.example", "[]"},
		{"/other?h=one.example", "[127.0.0.1:" + port + "]"},
		{"/?h=two.example", "[]"},
	}
	var reqs strings.Builder
	for _, tc := range tests {
		reqs.WriteString("GET " + tc.uri + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
	}
	c := testutil.Dial(t, s.Addr("A"))
	defer c.Close()
	if err := c.WriteString(reqs.String()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		resp, err := c.ReadResponse()
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if string(resp.Body) != tc.want {
			t.Errorf("%s: %d %q, want %q", tc.uri, resp.StatusCode, resp.Body, tc.want)
		}
	}
	if n := dns.Count("one.example", 1); n != 1 {
		t.Errorf("one.example was asked %d times, want once (then cached)", n)
	}
	if n := dns.Count("two.example", 1); n != 2 {
		t.Errorf("two.example was asked %d times, want twice (errors are not cached)", n)
	}
}
