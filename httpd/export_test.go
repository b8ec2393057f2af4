package httpd

// ParksTotal returns how many times connections were parked since start.
func ParksTotal() int64 {
	p := parker()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parks
}
