package httpd

import (
	"github.com/sluicehq/sluice/conf"
)

// ReadBlock creates an anonymous nested location-level conf for a block
// directive such as "if" (kind LocIf) inside the current server or
// location, and applies the block's statements to it in the right context
// (if in server or if in location). The new location inherits from the
// enclosing one at merge time.
func ReadBlock(c *conf.Cmd, kind LocKind) (*Location, error) {
	cf, srv, parent := BlockOf(c)
	ctx := conf.HTTPLif
	if parent.Kind == LocServer {
		ctx = conf.HTTPSif
	}
	if kind == LocLimitExcept {
		ctx = conf.HTTPLmt
	}
	n := parent.newChild(kind, parent.Name, c)
	n.Regex = parent.Regex
	if err := c.Loader.Walk(cf.scope(ctx, &block{cf: cf, srv: srv, loc: n}, c.Scope), c.Block); err != nil {
		return nil, err
	}
	return n, nil
}

// SetLocation makes l the location conf in effect for the request (an
// "if" block whose condition held) and applies its settings
// (ngx_http_update_location_config).
func (r *Request) SetLocation(l *Location) {
	r.Loc = l
	r.updateLocationConfig()
}

// InvalidateLocation records that the URI was rewritten inside the
// location, so an "alias" there can no longer map it (nginx's
// r->valid_location = 0).
func (r *Request) InvalidateLocation() { r.validLocation = false }

// Done reports whether the request was finalized.
func (r *Request) Done() bool { return r.done }

// Failed reports whether the client connection failed (write error,
// timeout, reset): nothing more can be sent.
func (r *Request) Failed() bool { return r.conn.failed }

// MarkLast records that the last body piece went out (handlers that write
// bodies themselves call Output with a Last chain, which sets it).
func (r *Request) MarkLast() { r.lastSent = true }

// CoreLocOf returns the core module's location conf of the block a
// directive is read in, for directives that install a content handler
// (clcf->handler) or inspect the location.
func CoreLocOf(c *conf.Cmd) *CoreLocConf {
	_, _, l := BlockOf(c)
	return l.core
}
