package httpd

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/internal/testutil"
)

// FuzzDNSAnswers feeds arbitrary DNS answers to the run-time resolver's
// parser (dnsAnswers): it must never panic; the addresses it takes are of
// the type asked for, and a CNAME it takes is a lower-case name of at most
// 255 bytes with no empty label.
func FuzzDNSAnswers(f *testing.F) {
	ok := []byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		2, 'o', 'k', 0, 0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1}
	f.Add(ok, uint16(1))
	f.Add(ok[:20], uint16(28))
	f.Add([]byte{0x12, 0x34, 0x81, 0x83, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(1))
	f.Add(ok, uint16(28))
	f.Add(cnameAnswer("ok", "Alias.Example", 60), uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, qtype uint16) {
		a, err := dnsAnswers(b, 0x1234, qtype)
		if err != nil {
			return
		}
		for _, addr := range a.addrs {
			if (qtype == 1 && !addr.Is4()) || (qtype != 1 && !addr.Is6()) {
				t.Fatalf("address %v for type %d", addr, qtype)
			}
		}
		if a.cname != "" && (len(a.cname) > 255 || a.cname != toLower(a.cname) ||
			strings.HasPrefix(a.cname, ".") || strings.HasSuffix(a.cname, ".") || strings.Contains(a.cname, "..")) {
			t.Fatalf("CNAME %q", a.cname)
		}
	})
}

// cnameAnswer is an answer (id 0x1234) to an A query for name: a CNAME
// to target, with the TTL given.
func cnameAnswer(name, target string, ttl uint32) []byte {
	b := []byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}
	b = testutil.AppendDNSName(b, name)
	b = append(b, 0, 1, 0, 1)
	t := testutil.AppendDNSName(nil, target)
	b = append(b, 0xc0, 0x0c, 0, 5, 0, 1, byte(ttl>>24), byte(ttl>>16), byte(ttl>>8), byte(ttl), byte(len(t)>>8), byte(len(t)))
	return append(b, t...)
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

// TestResolveCache checks the resolver's cache and CNAMEs as nginx's
// resolver has them (http_resolver*.t): answers kept for their smallest
// TTL or valid=, a zero TTL not kept, names in any case one entry, CNAMEs
// followed and kept, error answers failing the resolution and not kept.
func TestResolveCache(t *testing.T) {
	servfail := map[string]bool{}
	var mu sync.Mutex
	d := testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		mu.Lock()
		fail := servfail[name]
		mu.Unlock()
		if fail {
			return testutil.DNSReply{Rcode: 2}
		}
		switch {
		case name == "a.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.1", TTL: 60}}}
		case name == "six.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.2", TTL: 60}}}
		case name == "six.example" && qtype == 28:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "::1", TTL: 60}}}
		case name == "short.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.3", TTL: 1}}}
		case name == "zero.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.4", TTL: 0}}}
		case name == "alias.example":
			return testutil.DNSReply{Records: []testutil.DNSRecord{{CNAME: "a.example", TTL: 60}}}
		case name == "loop.example":
			return testutil.DNSReply{Records: []testutil.DNSRecord{{CNAME: "loop.example", TTL: 60}}}
		case name == "a-fails-aaaa.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.5", TTL: 60}}}
		case name == "a-fails-aaaa.example" && qtype == 28:
			return testutil.DNSReply{Rcode: 2}
		}
		return testutil.DNSReply{}
	})
	setFail := func(name string) {
		mu.Lock()
		servfail[name] = true
		mu.Unlock()
	}
	resolve := func(res *Resolver, name string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		addrs, err := res.Resolve(ctx, name)
		var s []string
		for _, a := range addrs {
			s = append(s, a.String())
		}
		return strings.Join(s, " "), err
	}
	tests := []struct {
		name  string
		valid time.Duration
		steps func(t *testing.T, res *Resolver)
	}{
		{name: "answer kept, any case", steps: func(t *testing.T, res *Resolver) {
			for _, n := range []string{"a.example", "A.Example", "a.EXAMPLE"} {
				if got, err := resolve(res, n); got != "127.0.0.1" || err != nil {
					t.Fatalf("%s: %q %v", n, got, err)
				}
			}
			if c := d.Count("a.example", 1); c != 1 {
				t.Errorf("%d A queries for a.example, want 1 (the others from the cache)", c)
			}
		}},
		{name: "A and AAAA", steps: func(t *testing.T, res *Resolver) {
			if got, err := resolve(res, "six.example"); got != "127.0.0.2 ::1" || err != nil {
				t.Fatalf("%q %v", got, err)
			}
		}},
		{name: "TTL passes", steps: func(t *testing.T, res *Resolver) {
			resolve(res, "short.example")
			resolve(res, "short.example")
			if c := d.Count("short.example", 1); c != 1 {
				t.Fatalf("%d queries within the TTL, want 1", c)
			}
			time.Sleep(1100 * time.Millisecond) // the 1 s TTL runs out
			resolve(res, "short.example")
			if c := d.Count("short.example", 1); c != 2 {
				t.Errorf("%d queries after the TTL, want 2", c)
			}
		}},
		{name: "valid overrides the TTL", valid: 3 * time.Second, steps: func(t *testing.T, res *Resolver) {
			before := d.Count("short.example", 1)
			resolve(res, "short.example")
			time.Sleep(1100 * time.Millisecond)
			resolve(res, "short.example")
			if c := d.Count("short.example", 1) - before; c != 1 {
				t.Errorf("%d queries within valid=, want 1", c)
			}
		}},
		{name: "zero TTL not kept", steps: func(t *testing.T, res *Resolver) {
			resolve(res, "zero.example")
			resolve(res, "zero.example")
			if c := d.Count("zero.example", 1); c != 2 {
				t.Errorf("%d queries, want 2", c)
			}
		}},
		{name: "CNAME followed and kept", steps: func(t *testing.T, res *Resolver) {
			before := d.Count("a.example", 1)
			for range 2 {
				if got, err := resolve(res, "alias.example"); got != "127.0.0.1" || err != nil {
					t.Fatalf("%q %v", got, err)
				}
			}
			if c := d.Count("alias.example", 1); c != 1 {
				t.Errorf("%d A queries for the alias, want 1", c)
			}
			if c := d.Count("a.example", 1) - before; c != 1 {
				t.Errorf("%d A queries for the target, want 1", c)
			}
		}},
		{name: "CNAME loop", steps: func(t *testing.T, res *Resolver) {
			_, err := resolve(res, "loop.example")
			if e, ok := err.(*ResolveError); !ok || e.Code != 3 {
				t.Errorf("err %v, want 3: Host not found", err)
			}
		}},
		{name: "error answer fails and is not kept", steps: func(t *testing.T, res *Resolver) {
			_, err := resolve(res, "a-fails-aaaa.example")
			if e, ok := err.(*ResolveError); !ok || e.Code != 2 {
				t.Fatalf("err %v, want 2: Server failure (the AAAA query's)", err)
			}
			resolve(res, "a-fails-aaaa.example")
			if c := d.Count("a-fails-aaaa.example", 1); c != 2 {
				t.Errorf("%d queries, want 2: the error was kept", c)
			}
		}},
		{name: "kept answer outlives a failing server", steps: func(t *testing.T, res *Resolver) {
			if got, err := resolve(res, "six.example"); got == "" || err != nil {
				t.Fatalf("%q %v", got, err)
			}
			setFail("six.example")
			if got, err := resolve(res, "six.example"); got != "127.0.0.2 ::1" || err != nil {
				t.Errorf("%q %v, want the kept answer", got, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// each case its own resolver, as each "resolver" directive
			// has its own cache in nginx
			tc.steps(t, &Resolver{Servers: []string{d.Addr}, IPv4: true, IPv6: true, Valid: tc.valid})
		})
	}
}

// TestResolveServers: each name is asked of the next server in turn; a
// server that answers with an error ends the resolution (nginx does not
// ask another), one that answers with a format error is passed over.
func TestResolveServers(t *testing.T) {
	failing := testutil.StartDNS(t, func(string, uint16) testutil.DNSReply { return testutil.DNSReply{Rcode: 2} })
	formerr := testutil.StartDNS(t, func(string, uint16) testutil.DNSReply { return testutil.DNSReply{Rcode: 1} })
	good := testutil.StartDNS(t, func(_ string, qtype uint16) testutil.DNSReply {
		if qtype == 1 {
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.9", TTL: 60}}}
		}
		return testutil.DNSReply{}
	})
	ctx := context.Background()
	res := &Resolver{Servers: []string{failing.Addr, good.Addr}, IPv4: true, IPv6: true}
	if _, err := res.Resolve(ctx, "one.example"); err == nil {
		t.Error("one.example: resolved, want the first server's failure")
	}
	if a, err := res.Resolve(ctx, "two.example"); err != nil || len(a) != 1 {
		t.Errorf("two.example: %v %v, want the second server's answer", a, err)
	}
	if c := good.Count("one.example", 1); c != 0 {
		t.Errorf("the second server was asked for one.example %d times after the first failed", c)
	}
	res = &Resolver{Servers: []string{formerr.Addr, good.Addr}, IPv4: true, IPv6: true}
	if a, err := res.Resolve(ctx, "three.example"); err != nil || len(a) != 1 {
		t.Errorf("three.example: %v %v, want the second server's answer after a format error", a, err)
	}
}

// TestResolveKeepsNoRequestMemory: the name Resolve is given may live in
// request memory that the next request on the connection overwrites (a
// proxy_pass with variables is evaluated into the request's scratch
// buffer; see bytesconv's ownership rule), so the cache must key its
// answers with a copy. It kept the caller's string: once those bytes read
// as another name, the answer was lost under its own name and, when the
// map's lookup happened to reach it (a 7-bit hash tag matching), given
// to the other name (http_resolver_aaaa.t, about one run in four: "error
// zero responses" and "error AAAA responses" got the two addresses of an
// earlier name instead of the A query's SERVFAIL, "A AAAA responses" one
// address instead of two). The lookup of the first name by its own
// spelling fails every time without the copy.
func TestResolveKeepsNoRequestMemory(t *testing.T) {
	d := testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		switch {
		case name == "n-n.example" && qtype == 1:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.201", TTL: 3600}}}
		case name == "n-n.example" && qtype == 28:
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "fe80::1", TTL: 3600}}}
		case name == "e-z.example" && qtype == 1:
			return testutil.DNSReply{Rcode: 2}
		}
		return testutil.DNSReply{}
	})
	res := &Resolver{Servers: []string{d.Addr}, IPv4: true, IPv6: true}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// one request's scratch memory, where proxy_pass was evaluated
	scratch := []byte("http://n-n.example:8080/backend")
	host := bytesconv.String(scratch[7:18])
	if addrs, err := res.Resolve(ctx, host); len(addrs) != 2 || err != nil {
		t.Fatalf("n-n.example: %v %v, want its two addresses", addrs, err)
	}
	// the next request on the connection reuses that memory
	copy(scratch, "http://e-z.example:8080/backend")
	if addrs, err := res.Resolve(ctx, strings.Clone("n-n.example")); len(addrs) != 2 || err != nil {
		t.Errorf("n-n.example again: %v %v, want its two kept addresses", addrs, err)
	}
	if c := d.Count("n-n.example", 1); c != 1 {
		t.Errorf("n-n.example was asked %d times, want once (then kept under its name)", c)
	}
	addrs, err := res.Resolve(ctx, host)
	if e, ok := err.(*ResolveError); !ok || e.Code != 2 || len(addrs) != 0 {
		t.Errorf("e-z.example: %v %v, want 2: Server failure and no address", addrs, err)
	}
	if c := d.Count("e-z.example", 1); c != 1 {
		t.Errorf("e-z.example was asked %d times, want once", c)
	}
}

// TestResolveLiteral: a dotted quad, as ngx_inet_addr reads it, is its
// own address and asks no server; 255.255.255.255 (INADDR_NONE there)
// and anything else is a name to ask.
func TestResolveLiteral(t *testing.T) {
	d := testutil.StartDNS(t, func(name string, qtype uint16) testutil.DNSReply {
		if qtype == 1 {
			return testutil.DNSReply{Records: []testutil.DNSRecord{{Addr: "127.0.0.7", TTL: 60}}}
		}
		return testutil.DNSReply{}
	})
	tests := []struct{ name, host, want string }{
		{"dotted quad", "192.0.2.1", "192.0.2.1"},
		{"empty octet", "192..2.1", "192.0.2.1"},
		{"broadcast is a name", "255.255.255.255", "127.0.0.7"},
		{"ipv6 text is a name", "::1", "127.0.0.7"},
	}
	res := &Resolver{Servers: []string{d.Addr}, IPv4: true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			addrs, err := res.Resolve(ctx, tc.host)
			if err != nil || len(addrs) != 1 || addrs[0].String() != tc.want {
				t.Fatalf("%v %v, want %s", addrs, err, tc.want)
			}
			asked := d.Count(tc.host, 1) > 0
			if asked != (tc.want == "127.0.0.7") {
				t.Errorf("asked the server: %v", asked)
			}
		})
	}
}
