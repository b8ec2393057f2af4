package httpd

import "github.com/sluicehq/sluice/core"

// ParksTotal returns how many times connections were parked since start.
func ParksTotal() int64 {
	p := parker()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parks
}

// DetachesTotal returns how many times parked connections were detached
// since start.
func DetachesTotal() int64 {
	p := parker()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.detaches
}

// Serving returns how many connections the http configuration of cy
// serves, and whether that configuration has begun to drain (its
// connections then know it).
func Serving(cy *core.Cycle) (conns int, draining bool) {
	for _, s := range cy.Services() {
		if cf, ok := s.(*Config); ok {
			cf.connMu.Lock()
			defer cf.connMu.Unlock()
			return len(cf.conns), cf.draining
		}
	}
	return 0, false
}
