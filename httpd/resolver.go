package httpd

// Run-time name resolution with the "resolver" directive's DNS servers, as
// nginx's resolver (src/core/ngx_resolver.c) does it for proxy_pass with
// variables: A and AAAA queries to one server at a time, answers cached
// for their TTL (or valid=), CNAMEs followed, errors not cached.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/inet"
)

// LookupIP resolves name with the resolver's DNS servers, asking for the
// address families the resolver allows (ipv4=, ipv6=).
func (res *Resolver) LookupIP(ctx context.Context, name string) ([]net.IP, error) {
	if res.resolver == nil {
		res.init()
	}
	return res.resolver.LookupIP(ctx, res.Network(), name)
}

// Network is the network name of the address families the resolver
// allows, for net.Resolver: "ip", "ip4" (ipv6=off) or "ip6" (ipv4=off).
func (res *Resolver) Network() string {
	switch {
	case !res.IPv6:
		return "ip4"
	case !res.IPv4:
		return "ip6"
	}
	return "ip"
}

// ResolveError is a failed run-time resolution, with nginx's resolver
// code and text ("3: Host not found", "110: Operation timed out").
type ResolveError struct {
	Code int
	Text string
}

func (e *ResolveError) Error() string { return strconv.Itoa(e.Code) + ": " + e.Text }

// rcodeText are nginx's texts for DNS response codes.
var rcodeText = map[int]string{1: "Format error", 2: "Server failure", 3: "Host not found",
	4: "Unimplemented", 5: "Operation refused"}

var errHostNotFound = &ResolveError{3, "Host not found"}

// maxCNAMEs bounds the CNAMEs followed for one name
// (NGX_RESOLVER_MAX_RECURSION); beyond it the name is not found.
const maxCNAMEs = 50

// maxCached bounds the names a resolver remembers: past it, the expired
// ones are dropped, and all of them if none has expired.
const maxCached = 10000

// resolverCache holds a resolver's answers by lower-case name: addresses,
// or the CNAME to follow, until valid.
type resolverCache struct {
	mu sync.Mutex
	m  map[string]cachedName
}

type cachedName struct {
	addrs []netip.Addr
	cname string
	valid time.Time
}

func (c *resolverCache) get(name string, now time.Time) (cachedName, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[name]
	if ok && now.After(e.valid) {
		delete(c.m, name)
		return cachedName{}, false
	}
	return e, ok
}

func (c *resolverCache) put(name string, e cachedName, now time.Time) {
	if !e.valid.After(now) {
		// a zero TTL: not kept
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedName{}
	}
	if len(c.m) >= maxCached {
		for k, v := range c.m {
			if now.After(v.valid) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m)
		}
	}
	// the key is copied: the name asked may live in request memory (a
	// proxy_pass evaluated into the scratch buffer) that later requests
	// overwrite, as nginx copies it into its node (ngx_resolver_dup)
	c.m[strings.Clone(name)] = e
}

// Resolve resolves name as nginx's resolver does: a dotted quad is its
// own address; otherwise A (ipv4=on) and AAAA (ipv6=on) queries to the
// resolver's servers only — no /etc/hosts — every address of the answers
// kept, duplicates included. The name is
// asked in lower case (ngx_resolve_name_locked lowercases it). Answers are
// cached for the smallest TTL of their records, or for valid=; a name
// answered with a CNAME and no address is resolved as the CNAME's target.
// An error answer to either query fails the resolution and is not cached.
// ctx bounds the whole resolution (resolver_timeout). Resolve keeps no
// reference to name; the addresses returned may be the cache's and must
// not be modified.
func (res *Resolver) Resolve(ctx context.Context, name string) ([]netip.Addr, error) {
	// a dotted quad is its own answer (ngx_resolve_start reads it with
	// ngx_inet_addr: 255.255.255.255 is asked of the servers as a name)
	if v4, ok := inet.ParseIPv4(name); ok {
		return []netip.Addr{netip.AddrFrom4(v4)}, nil
	}
	name = toLower(name)
	for range maxCNAMEs + 1 {
		if e, ok := res.cache.get(name, time.Now()); ok {
			if e.cname == "" {
				return e.addrs, nil
			}
			name = e.cname
			continue
		}
		a, err := res.ask(ctx, name)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		valid := res.Valid
		if valid <= 0 {
			valid = time.Duration(a.ttl) * time.Second
		}
		switch {
		case len(a.addrs) > 0:
			res.cache.put(name, cachedName{addrs: a.addrs, valid: now.Add(valid)}, now)
			return a.addrs, nil
		case a.cname == "":
			return nil, errHostNotFound
		}
		res.cache.put(name, cachedName{cname: a.cname, valid: now.Add(valid)}, now)
		name = a.cname
	}
	return nil, errHostNotFound
}

// answer is what the queries for one name brought: the addresses, the
// CNAME to follow, the smallest TTL of the records.
type answer struct {
	addrs []netip.Addr
	cname string
	ttl   uint32
}

// ask sends the name's queries (A, then AAAA) to one server, the next one
// in turn for each name, as nginx does. An error answer to either fails
// the whole (the last error wins, as in nginx). The CNAME followed is the
// one of the last answer: nginx forgets a CNAME-only answer to the first
// query when the second has no records.
func (res *Resolver) ask(ctx context.Context, name string) (answer, error) {
	a := answer{ttl: math.MaxUint32}
	start := int(res.next.Add(1) - 1)
	var failed error
	for _, qt := range []uint16{1, 28} {
		if (qt == 1 && !res.IPv4) || (qt == 28 && !res.IPv6) {
			continue
		}
		r, err := res.query(ctx, name, qt, start)
		if err != nil {
			if e, ok := err.(*ResolveError); ok && e.Code == 110 {
				return answer{}, err
			}
			failed = err
			continue
		}
		a.addrs = append(a.addrs, r.addrs...)
		a.cname = r.cname
		a.ttl = min(a.ttl, r.ttl)
	}
	if failed != nil {
		return answer{}, failed
	}
	return a, nil
}

// query asks for one record type of name, from the server at start and,
// when one does not answer or answers with a format error, from the next
// ones in turn (nginx's resend); any other answer, error answers
// included, ends it.
func (res *Resolver) query(ctx context.Context, name string, qtype uint16, start int) (answer, error) {
	msg, id, err := dnsQuery(name, qtype)
	if err != nil {
		return answer{}, &ResolveError{1, "Format error"}
	}
	last := &ResolveError{110, "Operation timed out"}
	for try := 0; try < 2*len(res.Servers) && ctx.Err() == nil; try++ {
		server := res.Servers[(start+try)%len(res.Servers)]
		b, err := dnsExchange(ctx, "udp", server, msg)
		if err == nil && len(b) > 3 && b[2]&0x02 != 0 && b[3]&0x0f != 1 {
			// truncated: ask again over TCP (a format error is not,
			// nginx looks at it first)
			b, err = dnsExchange(ctx, "tcp", server, msg)
		}
		if err != nil {
			continue
		}
		a, err := dnsAnswers(b, id, qtype)
		if e, ok := err.(*ResolveError); ok && e.Code == 1 {
			// a format error, or an answer that cannot be read: nginx
			// ignores it and asks the next server
			last = e
			continue
		}
		// an answer ends it, an error answer too
		return a, err
	}
	return answer{}, last
}

// dnsQuery builds a recursive query for name.
func dnsQuery(name string, qtype uint16) ([]byte, uint16, error) {
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, 0, err
	}
	id := binary.BigEndian.Uint16(idb[:])
	b := make([]byte, 12, 12+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	b[2] = 0x01 // RD
	b[5] = 1    // QDCOUNT
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if len(label) == 0 || len(label) > 63 {
			return nil, 0, errors.New("bad name")
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, 1)
	return b, id, nil
}

// dnsExchange sends msg and waits for the answer within ctx (and at most
// 5 seconds per server, as nginx's resend timer).
func dnsExchange(ctx context.Context, network, server string, msg []byte) ([]byte, error) {
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var dl net.Dialer
	c, err := dl.DialContext(ctx, network, server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	// a cancelled ctx (the client connection aborted) ends the exchange
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if network == "tcp" {
		framed := append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
		if _, err := c.Write(framed); err != nil {
			return nil, err
		}
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return nil, err
		}
		b := make([]byte, int(l[0])<<8|int(l[1]))
		_, err := io.ReadFull(c, b)
		return b, err
	}
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	b := make([]byte, 65536)
	for {
		n, err := c.Read(b)
		if err != nil {
			return nil, err
		}
		if n >= 2 && b[0] == msg[0] && b[1] == msg[1] {
			return b[:n], nil
		}
	}
}

// dnsAnswers reads an answer to a query of type qtype: its addresses of
// that type, the target of a CNAME, and the smallest TTL of its records.
func dnsAnswers(b []byte, id uint16, qtype uint16) (answer, error) {
	formErr := &ResolveError{1, "Format error"}
	if len(b) < 12 || binary.BigEndian.Uint16(b) != id || b[2]&0x80 == 0 {
		return answer{}, formErr
	}
	if rc := int(b[3] & 0x0f); rc != 0 {
		text := rcodeText[rc]
		if text == "" {
			text = "Unknown error"
		}
		return answer{}, &ResolveError{rc, text}
	}
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	off := 12
	for i := 0; i < qd; i++ {
		var ok bool
		if off, ok = skipName(b, off); !ok || off+4 > len(b) {
			return answer{}, formErr
		}
		off += 4
	}
	a := answer{ttl: math.MaxUint32}
	for i := 0; i < an; i++ {
		var ok bool
		if off, ok = skipName(b, off); !ok || off+10 > len(b) {
			return answer{}, formErr
		}
		typ := binary.BigEndian.Uint16(b[off:])
		class := binary.BigEndian.Uint16(b[off+2:])
		ttl := binary.BigEndian.Uint32(b[off+4:])
		rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
		off += 10
		if off+rdlen > len(b) {
			return answer{}, formErr
		}
		if ttl > math.MaxInt32 {
			// a negative TTL counts as zero, as in nginx
			ttl = 0
		}
		a.ttl = min(a.ttl, ttl)
		switch {
		case class != 1:
		case typ == qtype && ((qtype == 1 && rdlen == 4) || (qtype == 28 && rdlen == 16)):
			if addr, ok := netip.AddrFromSlice(b[off : off+rdlen]); ok {
				a.addrs = append(a.addrs, addr)
			}
		case typ == 5:
			name, ok := readName(b, off)
			if !ok {
				return answer{}, formErr
			}
			a.cname = toLower(name)
		}
		off += rdlen
	}
	return a, nil
}

// readName reads a possibly compressed domain name, dot-separated, at
// most 255 bytes long; a label holding a dot makes it unreadable.
func readName(b []byte, off int) (string, bool) {
	var name []byte
	for jumps := 0; off < len(b); {
		l := int(b[off])
		switch {
		case l == 0:
			return string(name), len(name) > 0
		case l&0xc0 == 0xc0:
			if off+2 > len(b) || jumps > 32 {
				return "", false
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			jumps++
			continue
		case l > 63 || off+1+l > len(b):
			return "", false
		}
		label := b[off+1 : off+1+l]
		if bytes.IndexByte(label, '.') >= 0 {
			return "", false
		}
		if len(name) > 0 {
			name = append(name, '.')
		}
		name = append(name, label...)
		if len(name) > 255 {
			return "", false
		}
		off += 1 + l
	}
	return "", false
}

// skipName steps over a possibly compressed domain name.
func skipName(b []byte, off int) (int, bool) {
	for off < len(b) {
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, true
		case l&0xc0 == 0xc0:
			return off + 2, off+2 <= len(b)
		}
		off += 1 + l
	}
	return 0, false
}
