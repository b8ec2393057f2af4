package ssl

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"sync"
	"time"
)

// Session resumption as nginx sets it up (ngx_ssl_session_cache,
// ngx_ssl_session_id_context): a session resumes only on a server of the
// same session context (the same certificates, or certificate names when
// they have variables, and the same client CA list), checked with a
// digest kept in the session. Servers using one shared session cache
// zone share its ticket keys (nginx 1.23.2 keeps them in the zone), so a
// ticket made by one resumes on another of the same context. With
// session tickets off and a session cache on, sessions are kept by the
// server and the client gets only their ID in a ticket: OpenSSL's
// stateful TLS 1.3 tickets, which nginx's cache stores. Go's crypto/tls
// has no TLS 1.2 session IDs: a TLS 1.2 client resumes only by tickets.

// ctxTag marks the Extra entry holding the session context digest.
const ctxTag = "sluice-ctx:"

// sessionContext is the digest a session must carry to resume on the
// server: its certificates (or, loaded per handshake, their names) and
// the CA names it sends to clients.
func sessionContext(cfg *tls.Config, names []string) []byte {
	h := sha1.New()
	h.Write([]byte("HTTP"))
	for _, c := range cfg.Certificates {
		if len(c.Certificate) > 0 {
			d := sha1.Sum(c.Certificate[0])
			h.Write(d[:])
		}
	}
	if len(cfg.Certificates) == 0 {
		for _, n := range names {
			h.Write([]byte(n))
		}
	}
	if cfg.ClientCAs != nil {
		// Subjects is deprecated for system pools only; this pool is ours
		for _, s := range cfg.ClientCAs.Subjects() {
			d := sha1.Sum(s)
			h.Write(d[:])
		}
	}
	return append([]byte(ctxTag), h.Sum(nil)...)
}

// withContext returns ss's Extra with the context entry replaced by ctx.
func withContext(ss *tls.SessionState, ctx []byte) {
	extra := ss.Extra[:0]
	for _, e := range ss.Extra {
		if !bytes.HasPrefix(e, []byte(ctxTag)) {
			extra = append(extra, e)
		}
	}
	ss.Extra = append(extra, ctx)
}

// sameContext reports whether ss was made on a server of context ctx.
func sameContext(ss *tls.SessionState, ctx []byte) bool {
	for _, e := range ss.Extra {
		if bytes.HasPrefix(e, []byte(ctxTag)) {
			return bytes.Equal(e, ctx)
		}
	}
	return false
}

// setResumption gives cfg the server's session resumption (tickets is
// ssl_session_tickets, or what ssl_conf_command's Options said): tickets
// (keys from files, the shared zone's, or the server's own), sessions
// kept by the server (tickets off, a cache on), or none.
func setResumption(m *mainConf, cfg *tls.Config, sc *SrvConf, names []string, tickets bool) error {
	ctx := sessionContext(cfg, names)
	cache := sc.sessionCache.Get()
	timeout := time.Duration(sc.SessionTimeout.Get()) * time.Second
	switch {
	case tickets:
		tk, err := m.ticketerFor(sc.SessionTicketKeys.Get(), timeout, cache.shared)
		if err != nil {
			return err
		}
		cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
			withContext(ss, ctx)
			return tk.wrap(cs, ss)
		}
		cfg.UnwrapSession = func(ticket []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
			// the server's own timeout: servers sharing a zone's keys
			// may have different ones
			ss := tk.open(ticket)
			if ss == nil || expired(ss, timeout) || !sameContext(ss, ctx) {
				return nil, nil
			}
			return ss, nil
		}
	case cache.shared != "" || cache.kind == cacheBuiltin:
		st := m.storeFor(cache, timeout)
		cfg.WrapSession = func(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
			withContext(ss, ctx)
			b, err := ss.Bytes()
			if err != nil {
				return nil, err
			}
			return st.put(b), nil
		}
		cfg.UnwrapSession = func(id []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
			b := st.get(id)
			if b == nil {
				return nil, nil
			}
			ss, err := tls.ParseSessionState(b)
			if err != nil || !sameContext(ss, ctx) {
				return nil, nil
			}
			return ss, nil
		}
	default:
		cfg.SessionTicketsDisabled = true
	}
	return nil
}

// ticketerFor returns the ticket keys of a server: its key files', or,
// without files, those of its shared cache zone (one set for all servers
// using the zone), or its own.
func (m *mainConf) ticketerFor(files []string, timeout time.Duration, zone string) (*ticketer, error) {
	if len(files) > 0 || zone == "" {
		return newTicketer(files, timeout, zone != "")
	}
	if tk, ok := m.ticketers[zone]; ok {
		return tk, nil
	}
	tk, err := newTicketer(nil, timeout, true)
	if err != nil {
		return nil, err
	}
	if m.ticketers == nil {
		m.ticketers = map[string]*ticketer{}
	}
	m.ticketers[zone] = tk
	return tk, nil
}

// storeFor returns the session store of a cache: the shared zone's (one
// for all servers naming it), or a server's own builtin one.
func (m *mainConf) storeFor(c sessionCache, timeout time.Duration) *sessionStore {
	if c.shared != "" {
		if st, ok := m.stores[c.shared]; ok {
			return st
		}
		// about 4,000 sessions per megabyte, as nginx's documentation says
		st := newSessionStore(int(max(c.size/256, 1)), timeout)
		if m.stores == nil {
			m.stores = map[string]*sessionStore{}
		}
		m.stores[c.shared] = st
		return st
	}
	n := c.builtin
	if n < 0 {
		n = 20480 // OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT
	}
	return newSessionStore(max(n, 1), timeout)
}

// sessionStore keeps sessions by ID for stateful tickets: at most max,
// the oldest dropped first, each for timeout.
type sessionStore struct {
	mu      sync.Mutex
	max     int
	timeout time.Duration
	byID    map[string]storedSession
	order   []string // IDs, oldest first
}

type storedSession struct {
	state []byte
	made  time.Time
}

func newSessionStore(max int, timeout time.Duration) *sessionStore {
	return &sessionStore{max: max, timeout: timeout, byID: map[string]storedSession{}}
}

// put keeps a session and returns its new random ID.
func (s *sessionStore) put(state []byte) []byte {
	id := make([]byte, 32)
	rand.Read(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.byID) >= s.max && len(s.order) > 0 {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
	s.byID[string(id)] = storedSession{state: state, made: time.Now()}
	s.order = append(s.order, string(id))
	return id
}

// get returns the session of id, nil when unknown or expired.
func (s *sessionStore) get(id []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[string(id)]
	if !ok || time.Since(e.made) > s.timeout {
		return nil
	}
	return e.state
}
