package geo

import (
	"net"
	"net/netip"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/inet"
)

// Module is the geo HTTP module (ngx_http_geo_module).
var Module = &httpd.Module{
	Name: "geo",
	Directives: []conf.Directive{
		{Name: "geo", Context: conf.HTTPMain, Args: conf.Block | conf.Take12, Level: httpd.MainLevel,
			Syntax: "geo [$address] $variable { ... }", Set: setGeo,
			Doc: "Defines a variable whose value depends on the client's address (or $address): networks (longest match) or, with \"ranges\", address ranges; \"proxy\" trusts X-Forwarded-For from those addresses."},
	},
}

// geo is one geo block's variable.
type geo struct {
	// index is the $address variable's, or -1 for the client's address.
	index     int
	proxies   []inet.CIDR
	recursive bool
	values    []string

	// networks
	tree4, tree6 *radix
	// ranges
	ranges bool
	spans  []span
	def    int32
}

// Trusted is inet.Trust: whether a is one of the proxy networks
// (ngx_cidr_match: an IPv4-mapped address matches the IPv4 networks).
func (g *geo) Trusted(a netip.Addr) bool {
	a = a.Unmap()
	is4 := a.Is4()
	k := a.As16()
	if is4 {
		v4 := a.As4()
		k = [16]byte{}
		copy(k[:4], v4[:])
	}
	for i := range g.proxies {
		c := &g.proxies[i]
		if c.V6 == is4 {
			continue
		}
		n := 16
		if is4 {
			n = 4
		}
		match := true
		for j := 0; j < n; j++ {
			if k[j]&c.Mask[j] != c.Addr[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// addr finds the address to look up (ngx_http_geo_addr): the client's or
// $address's, then X-Forwarded-For's from the trusted proxies. ok is false
// for a UNIX-domain client or an $address that is not an address.
func (g *geo) addr(r *httpd.Request) (netip.Addr, bool) {
	var a netip.Addr
	if g.index < 0 {
		ta, isTCP := r.ClientAddr().(*net.TCPAddr)
		if !isTCP {
			// AF_UNIX: no proxy network matches it
			return a, false
		}
		var ok bool
		if a, ok = netip.AddrFromSlice(ta.IP); !ok {
			return a, false
		}
	} else {
		r.FlushVar(g.index)
		v, found := r.Var(g.index)
		if !found {
			return a, false
		}
		var ok bool
		if a, ok = inet.ParseAddr(v); !ok {
			return a, false
		}
	}
	if g.proxies == nil {
		return a, true
	}
	var buf [4]string
	xff := buf[:0]
	for i := range r.In.List {
		h := &r.In.List[i]
		if !h.Deleted && len(h.Key) == len("X-Forwarded-For") && ascii.EqualFold(h.Key, "X-Forwarded-For") {
			xff = append(xff, h.Value)
		}
	}
	if len(xff) == 0 {
		return a, true
	}
	if ap, ok := inet.Forwarded(g.Trusted(a), xff, g, g.recursive); ok {
		a = ap.Addr()
	}
	return a, true
}

// get is the variable's getter (ngx_http_geo_cidr_variable and
// ngx_http_geo_range_variable); the value is always found.
func (g *geo) get(r *httpd.Request, _ string, _ int) (string, bool) {
	a, ok := g.addr(r)
	return g.values[g.lookup(a, ok)], true
}

// lookup returns the value index for a (!ok: INADDR_NONE).
func (g *geo) lookup(a netip.Addr, ok bool) int32 {
	if ok {
		a = a.Unmap()
	}
	var key [16]byte
	is4 := !ok || a.Is4()
	if is4 {
		v4 := [4]byte{0xff, 0xff, 0xff, 0xff}
		if ok {
			v4 = a.As4()
		}
		copy(key[:4], v4[:])
	} else {
		key = a.As16()
	}
	if g.ranges {
		if !is4 {
			key = [16]byte{0xff, 0xff, 0xff, 0xff}
		}
		u := uint32(key[0])<<24 | uint32(key[1])<<16 | uint32(key[2])<<8 | uint32(key[3])
		if v := findSpan(g.spans, u); v != noValue {
			return v
		}
		return g.def
	}
	if is4 {
		return g.tree4.find(&key, 32)
	}
	return g.tree6.find(&key, 128)
}

// block is the state of a geo block while it is read
// (ngx_http_geo_conf_ctx_t).
type block struct {
	g        *geo
	volatile bool
	// byText shares one value index per distinct text (ngx_http_geo_value)
	byText map[string]int32
	rs     rangeSet
	hasDef bool
}

func (b *block) value(text string) int32 {
	if i, ok := b.byText[text]; ok {
		return i
	}
	i := int32(len(b.g.values))
	b.g.values = append(b.g.values, text)
	b.byText[text] = i
	return i
}

// setGeo is the "geo" block (ngx_http_geo_block).
func setGeo(c *conf.Cmd) error {
	cf := httpd.ConfigOf(c)
	name := c.Arg(0)
	if !strings.HasPrefix(name, "$") {
		return c.Errorf("invalid variable name \"%s\"", name)
	}
	g := &geo{index: -1}
	if len(c.Args) == 2 {
		if name == "$" {
			return c.Errorf("invalid variable name \"$\"")
		}
		g.index = cf.VariableIndex(name[1:])
		name = c.Arg(1)
		if !strings.HasPrefix(name, "$") {
			return c.Errorf("invalid variable name \"%s\"", name)
		}
	}
	if name == "$" {
		return c.Errorf("invalid variable name \"$\"")
	}
	v, err := cf.AddVariable(&httpd.Variable{Name: name[1:], Flags: httpd.VarChangeable})
	if err != nil {
		return c.Errorf("%s", err)
	}
	b := &block{g: g, byText: map[string]int32{}, rs: rangeSet{low: map[uint32][]rng{}}}
	// the empty value is the default unless one is given
	g.values = append(g.values, "")
	b.byText[""] = 0
	err = c.Loader.Walk(&conf.Scope{Context: c.Scope.Context, Parent: c.Scope, Data: c.Scope.Data,
		Handler: b.entry}, c.Block)
	if err != nil {
		return err
	}
	if b.volatile {
		v.Flags |= httpd.VarNoCacheable
	}
	if g.ranges {
		g.spans = b.rs.build()
		b.rs = rangeSet{}
	} else {
		if g.tree4 == nil {
			g.tree4, g.tree6 = newRadix(), newRadix()
		}
		// the empty default; busy when "default" was given
		var zero [16]byte
		g.tree4.insert(&zero, 0, 0)
		g.tree6.insert(&zero, 0, 0)
	}
	v.Get, v.Data = g.get, 0
	return nil
}

// entry is one line of the block (ngx_http_geo).
func (b *block) entry(e *conf.Cmd) error {
	g := b.g
	if len(e.Args) == 0 {
		switch e.Name {
		case "ranges":
			if g.tree4 != nil {
				return e.Errorf("the \"ranges\" directive must be the first directive inside \"geo\" block")
			}
			g.ranges = true
			return nil
		case "proxy_recursive":
			g.recursive = true
			return nil
		case "volatile":
			b.volatile = true
			return nil
		}
	}
	if len(e.Args) != 1 {
		return e.Errorf("invalid number of the geo parameters")
	}
	if e.Name == "proxy" {
		ci, ok := cidrValue(e, e.Arg(0))
		if !ok {
			return e.Errorf("invalid network \"%s\"", e.Arg(0))
		}
		g.proxies = append(g.proxies, ci)
		return nil
	}
	if g.ranges {
		return b.rangeEntry(e)
	}
	return b.cidrEntry(e)
}

// cidrValue reads a network (ngx_http_geo_cidr_value): 255.255.255.255
// is accepted here although it is INADDR_NONE for the address readers.
func cidrValue(e *conf.Cmd, net string) (inet.CIDR, bool) {
	if net == "255.255.255.255" {
		return inet.CIDR{Addr: [16]byte{0xff, 0xff, 0xff, 0xff}, Mask: [16]byte{0xff, 0xff, 0xff, 0xff}}, true
	}
	ci, res := inet.ParseCIDR(net)
	switch res {
	case inet.CIDRInvalid:
		return ci, false
	case inet.CIDRLowBits:
		e.Warnf("low address bits of %s are meaningless", net)
	}
	return ci, true
}

func maskBits(ci *inet.CIDR) int {
	n := 0
	for _, m := range ci.Mask {
		for ; m&0x80 != 0; m <<= 1 {
			n++
		}
	}
	return n
}

// cidrEntry is a line of a networks block (ngx_http_geo_cidr).
func (b *block) cidrEntry(e *conf.Cmd) error {
	g := b.g
	if g.tree4 == nil {
		g.tree4, g.tree6 = newRadix(), newRadix()
	}
	if e.Name == "default" {
		b.cidrAdd(e, &inet.CIDR{}, e.Arg(0), "default")
		b.cidrAdd(e, &inet.CIDR{V6: true}, e.Arg(0), "default")
		return nil
	}
	net, del := e.Name, false
	if net == "delete" {
		net, del = e.Arg(0), true
	}
	ci, ok := cidrValue(e, net)
	if !ok {
		return e.Errorf("invalid network \"%s\"", net)
	}
	if del {
		t := g.tree4
		if ci.V6 {
			t = g.tree6
		}
		if !t.delete(&ci.Addr, maskBits(&ci)) {
			e.Warnf("no network \"%s\" to delete", net)
		}
		return nil
	}
	b.cidrAdd(e, &ci, e.Arg(0), net)
	return nil
}

// cidrAdd adds a network (ngx_http_geo_cidr_add): an existing one is
// replaced with a warning naming the value the old network's address
// found.
func (b *block) cidrAdd(e *conf.Cmd, ci *inet.CIDR, text, net string) {
	g := b.g
	val := b.value(text)
	t, bits := g.tree4, 32
	if ci.V6 {
		t, bits = g.tree6, 128
	}
	mb := maskBits(ci)
	if !t.insert(&ci.Addr, mb, val) {
		return
	}
	old := t.find(&ci.Addr, bits)
	oldText := ""
	if old != noValue {
		oldText = g.values[old]
	}
	e.Warnf("duplicate network \"%s\", value: \"%s\", old value: \"%s\"", net, text, oldText)
	t.delete(&ci.Addr, mb)
	t.insert(&ci.Addr, mb, val)
}

// rangeEntry is a line of a "ranges" block (ngx_http_geo_range).
func (b *block) rangeEntry(e *conf.Cmd) error {
	g := b.g
	if e.Name == "default" {
		if b.hasDef {
			e.Warnf("duplicate default geo range value: \"%s\", old value: \"%s\"", e.Arg(0), g.values[g.def])
		}
		g.def, b.hasDef = b.value(e.Arg(0)), true
		return nil
	}
	net, del := e.Name, false
	if net == "delete" {
		net, del = e.Arg(0), true
	}
	start, end, ok := parseRange(net)
	if !ok {
		return e.Errorf("invalid range \"%s\"", net)
	}
	if del {
		if b.rs.delete(start, end) {
			e.Warnf("no address range \"%s\" to delete", net)
		}
		return nil
	}
	text := e.Arg(0)
	val := b.value(text)
	bad := b.rs.add(start, end, val, func(old int32) {
		e.Warnf("duplicate range \"%s\", value: \"%s\", old value: \"%s\"", net, text, g.values[old])
	})
	if bad != nil {
		return e.Errorf("range \"%s\" overlaps \"%s\"", net, bad.text())
	}
	return nil
}

// parseRange reads "a.b.c.d-e.f.g.h" (the first "-" splits it; both ends
// as ngx_inet_addr reads them, start not after end).
func parseRange(s string) (start, end uint32, ok bool) {
	a, z, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	sa, ok1 := inet.ParseIPv4(a)
	ea, ok2 := inet.ParseIPv4(z)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	start = uint32(sa[0])<<24 | uint32(sa[1])<<16 | uint32(sa[2])<<8 | uint32(sa[3])
	end = uint32(ea[0])<<24 | uint32(ea[1])<<16 | uint32(ea[2])<<8 | uint32(ea[3])
	return start, end, start <= end
}
