package httpd

import "github.com/sluicehq/sluice/errlog"

// Request error-log context: what nginx's ngx_http_log_error_handler
// appends to every line logged for a request.

// UpstreamLogger is implemented by the value in Request.Upstream so that
// log lines name the upstream being talked to: ", upstream: "...".
type UpstreamLogger interface {
	// LogUpstream returns the schema, peer and URI, e.g.
	// "http://127.0.0.1:8081/path", or "" when no peer is chosen yet.
	LogUpstream() string
}

// LogConn implements errlog.Context.
func (r *Request) LogConn() uint64 { return r.conn.number }

// SetAction sets what the request is doing, printed as " while ACTION" in
// error lines ("reading response header from upstream"); "" clears it.
func (r *Request) SetAction(a string) { r.action = a }

// Action returns the action log lines name (SetAction).
func (r *Request) Action() string { return r.action }

// AppendLogContext implements errlog.Context.
func (r *Request) AppendLogContext(b []byte) []byte { return r.appendLogContext(b, r.action) }

func (r *Request) appendLogContext(b []byte, action string) []byte {
	if action != "" {
		b = append(b, " while "...)
		b = append(b, action...)
	}
	b = append(b, ", client: "...)
	b = append(b, r.conn.remoteAddr...)
	b = append(b, ", server: "...)
	if r.Srv != nil {
		b = append(b, r.CoreSrv().ServerName...)
	}
	if line := r.logRequestLine(); line != "" {
		b = append(b, ", request: \""...)
		b = append(b, line...)
		b = append(b, '"')
	}
	if r.Main != nil && r.Main != r {
		b = append(b, ", subrequest: \""...)
		b = append(b, r.URI...)
		b = append(b, '"')
	}
	if u, ok := r.Upstream.(UpstreamLogger); ok {
		if s := u.LogUpstream(); s != "" {
			b = append(b, ", upstream: \""...)
			b = append(b, s...)
			b = append(b, '"')
		}
	}
	if r.In.Host >= 0 {
		b = append(b, ", host: \""...)
		b = append(b, r.In.Get(r.In.Host)...)
		b = append(b, '"')
	}
	if r.In.Referer >= 0 {
		b = append(b, ", referrer: \""...)
		b = append(b, r.In.Get(r.In.Referer)...)
		b = append(b, '"')
	}
	return b
}

// logRequestLine is the request line, or what was received of it when the
// line is incomplete.
func (r *Request) logRequestLine() string {
	if r.RequestLine != "" {
		return r.RequestLine
	}
	return r.partialLine
}

// ActionLog is a request's log context with a fixed action, for lines
// logged from another goroutine (the upstream pipe's reader) while the
// request's own goroutine changes its action. A pointer to one kept in a
// longer-lived object is a context that costs no allocation.
type ActionLog struct {
	R      *Request
	Action string
}

// LogConn implements errlog.Context.
func (a *ActionLog) LogConn() uint64 { return a.R.conn.number }

// AppendLogContext implements errlog.Context.
func (a *ActionLog) AppendLogContext(b []byte) []byte { return a.R.appendLogContext(b, a.Action) }

// WithAction returns the request's log context with the given action
// ("reading upstream"); safe to use from another goroutine as long as the
// request's head and configuration do not change meanwhile.
func (r *Request) WithAction(action string) errlog.Context { return &ActionLog{r, action} }
