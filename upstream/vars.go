package upstream

import (
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/http1"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

// State is one attempt's record for the $upstream_* variables
// (ngx_http_upstream_state_t).
type State struct {
	// Peer is the address tried ("127.0.0.1:8081"), or the group name when
	// no peer was live.
	Peer          string
	Status        int
	ConnectTime   time.Duration
	HeaderTime    time.Duration
	ResponseTime  time.Duration
	BytesReceived int64
	BytesSent     int64
	// ResponseLength is the body length received.
	ResponseLength int64
	// groupBreak marks the first state of a new upstream group after an
	// internal redirect (joined with " : " instead of ", ").
	groupBreak bool
	start      time.Time
	noPeer     bool
}

// reqCtx is the per-request upstream record kept across internal
// redirects (so $upstream_addr lists every group contacted).
type reqCtx struct {
	states       []*State
	last         *Upstream
	pendingBreak bool
	// the first attempt's state and the list's first slots need no
	// allocation of their own
	first   State
	statesA [2]*State
}

// Module defines the $upstream_* variables and the store's body filter
// (store.go); list it among the HTTP modules.
var Module = &httpd.Module{
	Name:             "upstream",
	Preconfiguration: addVariables,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddBodyFilter(orderStore, storeFilter)
		return nil
	},
}

func stateOf(r *httpd.Request) *reqCtx {
	ctx, _ := statesOwner(r).UpstreamStates.(*reqCtx)
	return ctx
}

// statesOwner is the request whose record r's exchanges join: r itself.
// A subrequest has a record of its own, as nginx's sr->upstream_states
// starts empty: the main request's $upstream_* values never list the
// exchanges of its subrequests (an auth_request, an SSI include, a cache
// update in the background), and a subrequest's values list only its own
// (what auth_request_set reads).
func statesOwner(r *httpd.Request) *httpd.Request { return r }

func requestCtx(r *httpd.Request) *reqCtx {
	owner := statesOwner(r)
	ctx, _ := owner.UpstreamStates.(*reqCtx)
	if ctx == nil {
		ctx = reqCtxPool.Get().(*reqCtx)
		ctx.states = ctx.statesA[:0]
		owner.UpstreamStates = ctx
		r.ReleaseAtEnd(ctx)
	}
	if len(ctx.states) > 0 {
		ctx.pendingBreak = true
	}
	return ctx
}

// reqCtxPool keeps request contexts between requests.
var reqCtxPool = sync.Pool{New: func() any { return new(reqCtx) }}

// Release clears the context and returns it to the pool (httpd calls it
// when the request ends).
func (c *reqCtx) Release() {
	*c = reqCtx{}
	reqCtxPool.Put(c)
}

func (c *reqCtx) newState(p *Peer) *State {
	s := &c.first
	if len(c.states) > 0 {
		s = &State{}
	}
	*s = State{start: time.Now(), ResponseTime: -1, ConnectTime: -1, HeaderTime: -1}
	if p != nil {
		s.Peer = p.Name
	} else {
		s.noPeer = true
	}
	if c.pendingBreak {
		s.groupBreak = true
		c.pendingBreak = false
	}
	c.states = append(c.states, s)
	return s
}

func addVariables(cf *httpd.Config) error {
	state := func(name string, f func(b []byte, s *State) []byte) {
		cf.AddVariable(&httpd.Variable{Name: name, Flags: httpd.VarNoCacheable, Get: func(r *httpd.Request, _ string, _ int) (string, bool) {
			ctx := stateOf(r)
			if ctx == nil || len(ctx.states) == 0 {
				return "", false
			}
			b := (*r.Scratch())
			start := len(b)
			for i, s := range ctx.states {
				if i > 0 {
					if s.groupBreak {
						b = append(b, " : "...)
					} else {
						b = append(b, ", "...)
					}
				}
				b = f(b, s)
			}
			*r.Scratch() = b
			return bytesconv.String(b[start:]), true
		}})
	}
	appendTime := func(b []byte, d time.Duration) []byte {
		if d < 0 {
			return append(b, '-')
		}
		ms := d.Milliseconds()
		b = strconv.AppendInt(b, ms/1000, 10)
		b = append(b, '.')
		f := ms % 1000
		if f < 100 {
			b = append(b, '0')
		}
		if f < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, f, 10)
	}
	state("upstream_addr", func(b []byte, s *State) []byte { return append(b, s.Peer...) })
	state("upstream_status", func(b []byte, s *State) []byte {
		if s.Status == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(s.Status), 10)
	})
	state("upstream_connect_time", func(b []byte, s *State) []byte { return appendTime(b, s.ConnectTime) })
	state("upstream_header_time", func(b []byte, s *State) []byte { return appendTime(b, s.HeaderTime) })
	state("upstream_response_time", func(b []byte, s *State) []byte { return appendTime(b, s.ResponseTime) })
	state("upstream_response_length", func(b []byte, s *State) []byte { return strconv.AppendInt(b, s.ResponseLength, 10) })
	state("upstream_bytes_received", func(b []byte, s *State) []byte { return strconv.AppendInt(b, s.BytesReceived, 10) })
	state("upstream_bytes_sent", func(b []byte, s *State) []byte { return strconv.AppendInt(b, s.BytesSent, 10) })
	prefix := func(name string, get func(u *Upstream, key string) (string, bool)) {
		cf.AddVariable(&httpd.Variable{Name: name, Flags: httpd.VarPrefix | httpd.VarNoCacheable, Get: func(r *httpd.Request, full string, _ int) (string, bool) {
			u, _ := r.Upstream.(*Upstream)
			if u == nil {
				if ctx := stateOf(r); ctx != nil {
					u = ctx.last
				}
			}
			if u == nil {
				return "", false
			}
			return get(u, full[len(name):])
		}})
	}
	prefix("upstream_http_", func(u *Upstream, key string) (string, bool) {
		return joinMatching(u.R, u.HeadersIn.List, key)
	})
	prefix("upstream_trailer_", func(u *Upstream, key string) (string, bool) {
		return joinMatching(u.R, u.HeadersIn.Trailers, key)
	})
	prefix("upstream_cookie_", func(u *Upstream, key string) (string, bool) {
		for _, h := range u.HeadersIn.List {
			if h.Deleted || !ascii.EqualFold(h.Key, "set-cookie") {
				continue
			}
			// nginx's ngx_http_parse_set_cookie_lines: the first line
			// setting the cookie wins
			if v, ok := http1.SetCookie(bytesconv.Bytes(h.Value), bytesconv.Bytes(key)); ok {
				return bytesconv.String(v), true
			}
		}
		return "", false
	})
	return nil
}

// joinMatching finds headers whose name matches a variable suffix
// (lowercase, "-" as "_") and joins several with ", ".
func joinMatching(r *httpd.Request, list []httpd.Header, v string) (string, bool) {
	first, n := -1, 0
	for i := range list {
		if !list[i].Deleted && ascii.VarNameMatches(list[i].Key, v) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	switch n {
	case 0:
		return "", false
	case 1:
		return list[first].Value, true
	}
	b := *r.Scratch()
	start := len(b)
	k := 0
	for i := range list {
		if !list[i].Deleted && ascii.VarNameMatches(list[i].Key, v) {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = append(b, list[i].Value...)
			k++
		}
	}
	*r.Scratch() = b
	return bytesconv.String(b[start:]), true
}
