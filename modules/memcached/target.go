package memcached

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// passTarget turns memcached_pass's argument into a target, as nginx's
// ngx_http_upstream_add does: the upstream{} group of that name (also one
// declared further down), else an implicit group for host:port whose
// servers are the host's addresses, resolved at the end of the http block.
// A memcached address has no default port and no URI part.
func passTarget(c *conf.Cmd, text string) (upstream.Target, error) {
	g, _, err := balancer.Add(c, text, balancer.URLOptions{})
	if err != nil {
		return nil, err
	}
	return g, nil
}
