package balancer

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// ZoneModule is ngx_http_upstream_zone_module. sluice is one process, so
// a group's state is always shared by all its requests: "zone" is accepted
// and validated as nginx validates it, and changes nothing else.
var ZoneModule = &httpd.Module{Name: "upstream_zone", Directives: []conf.Directive{{
	Name: "zone", Context: conf.HTTPUps, Args: conf.Take12,
	Syntax: "zone name [size];",
	Doc: "Accepted for compatibility: sluice runs in one process, so the group's state " +
		"is always shared as if it were in a shared memory zone.",
	Set: setZone}}}

// zone is a declared shared memory zone name.
type zone struct {
	size int64
}

// minZoneSize is nginx's smallest upstream zone (8 pages).
const minZoneSize = 8 * 4096

// setZone is the "zone" directive (ngx_http_upstream_zone).
func setZone(c *conf.Cmd) error {
	g := c.Conf.(*Group)
	name := c.Arg(0)
	if name == "" {
		return c.Errorf("invalid zone name \"%s\"", name)
	}
	var size int64
	if len(c.Args) == 2 {
		n, ok := conf.ParseSize(c.Arg(1))
		if !ok {
			return c.Errorf("invalid zone size \"%s\"", c.Arg(1))
		}
		if n < minZoneSize {
			return c.Errorf("zone \"%s\" is too small", name)
		}
		size = n
	}
	m := MainOf(httpd.ConfigOf(c))
	z := m.zones[name]
	if z == nil {
		z = &zone{}
		m.zones[name] = z
		m.zoneOrder = append(m.zoneOrder, name)
	}
	if size != 0 {
		if z.size != 0 && z.size != size {
			return c.Errorf("the size %d of shared memory zone \"%s\" conflicts with already declared size %d",
				size, name, z.size)
		}
		z.size = size
	}
	g.zone = name
	return nil
}
