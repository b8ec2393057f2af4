package balancer

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// The balancing method modules, as nginx lists them (their names are what
// -V reports). Each only adds its directive to the upstream block.
var (
	// HashModule is ngx_http_upstream_hash_module: "hash key [consistent]".
	HashModule = &httpd.Module{Name: "upstream_hash", Directives: []conf.Directive{{
		Name: "hash", Context: conf.HTTPUps, Args: conf.Take12,
		Syntax: "hash key [consistent];",
		Doc: "Balances on a hash of the key (text with variables); \"consistent\" uses ketama " +
			"consistent hashing, mapping keys to servers as nginx does.",
		Set: setHash}}}
	// IPHashModule is ngx_http_upstream_ip_hash_module: "ip_hash".
	IPHashModule = &httpd.Module{Name: "upstream_ip_hash", Directives: []conf.Directive{{
		Name: "ip_hash", Context: conf.HTTPUps, Args: conf.NoArgs,
		Syntax: "ip_hash;",
		Doc:    "Balances on the client address (first three octets of IPv4, whole IPv6).",
		Set:    setMethod(IPHash, methodFlags)}}}
	// LeastConnModule is ngx_http_upstream_least_conn_module: "least_conn".
	LeastConnModule = &httpd.Module{Name: "upstream_least_conn", Directives: []conf.Directive{{
		Name: "least_conn", Context: conf.HTTPUps, Args: conf.NoArgs,
		Syntax: "least_conn;",
		Doc:    "Sends to the server with the fewest active connections relative to its weight.",
		Set:    setMethod(LeastConn, blockFlags)}}}
	// RandomModule is ngx_http_upstream_random_module: "random [two
	// [least_conn]]".
	RandomModule = &httpd.Module{Name: "upstream_random", Directives: []conf.Directive{{
		Name: "random", Context: conf.HTTPUps, Args: conf.NoArgs | conf.Take12,
		Syntax: "random [two [method]];",
		Doc:    "Picks a server at random by weight; \"two\" picks two and takes the one with fewer connections.",
		Set:    setRandom}}}
)

// setMethod returns the setter of a method directive without arguments.
func setMethod(m Method, flags Flags) func(c *conf.Cmd) error {
	return func(c *conf.Cmd) error {
		useMethod(c, m, flags)
		return nil
	}
}

// useMethod switches the group to a method and narrows the server
// parameters it accepts from now on, warning when a method was already
// chosen.
func useMethod(c *conf.Cmd, m Method, flags Flags) {
	g := c.Conf.(*Group)
	if g.methodSet {
		c.Warnf("load balancing method redefined")
	}
	g.methodSet = true
	g.method = m
	g.flags = flags
}

// setHash is the "hash" directive (ngx_http_upstream_hash).
func setHash(c *conf.Cmd) error {
	g := c.Conf.(*Group)
	key, err := httpd.ConfigOf(c).Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	useMethod(c, Hash, methodFlags)
	g.hashKey = key
	if len(c.Args) == 2 {
		if c.Arg(1) != "consistent" {
			return c.Errorf("invalid parameter \"%s\"", c.Arg(1))
		}
		g.method = ConsistentHash
	}
	return nil
}

// setRandom is the "random" directive (ngx_http_upstream_random).
func setRandom(c *conf.Cmd) error {
	useMethod(c, Random, methodFlags)
	if len(c.Args) == 0 {
		return nil
	}
	if c.Arg(0) != "two" {
		return c.Errorf("invalid parameter \"%s\"", c.Arg(0))
	}
	c.Conf.(*Group).method = RandomTwo
	if len(c.Args) == 2 && c.Arg(1) != "least_conn" {
		return c.Errorf("invalid parameter \"%s\"", c.Arg(1))
	}
	return nil
}
