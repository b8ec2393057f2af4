package httpd

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/core"
)

// Listen is one "listen" directive of a server.
type Listen struct {
	// Network is "tcp" or "unix"; Host is the IP ("" for the wildcard),
	// Port the port; Path the unix socket path.
	Network   string
	Host      string
	Port      int
	Path      string
	Default   bool
	Bind      bool
	Backlog   int
	RcvBuf    int
	SndBuf    int
	Deferred  bool
	ReusePort bool
	IPv6Only  bool
	// KeepAlive is so_keepalive: nil leaves the system's setting (off);
	// zero fields of an enabled one leave the system's value of that
	// option.
	KeepAlive  *core.KeepAlive
	ProxyProto bool
	// SSL is the "ssl" parameter: connections start with a TLS handshake.
	SSL bool
	// HTTP2 is the "http2" parameter (nginx 1.22's way to enable HTTP/2).
	HTTP2 bool
	text  string
	file  string
	line  int
}

// parseSoKeepalive parses so_keepalive's value: on, off, or
// [keepidle]:[keepintvl]:[keepcnt] (times in seconds by default) with at
// least one part set. off gives a KeepAlive that is not enabled.
func parseSoKeepalive(v string) (*core.KeepAlive, bool) {
	switch v {
	case "on":
		return &core.KeepAlive{Enable: true}, true
	case "off":
		return &core.KeepAlive{}, true
	}
	parts := strings.SplitN(v, ":", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	ka := &core.KeepAlive{Enable: true}
	if parts[0] != "" {
		n, ok := conf.ParseTime(parts[0], true)
		if !ok {
			return nil, false
		}
		ka.Idle = time.Duration(n) * time.Second
	}
	if parts[1] != "" {
		n, ok := conf.ParseTime(parts[1], true)
		if !ok {
			return nil, false
		}
		ka.Interval = time.Duration(n) * time.Second
	}
	if parts[2] != "" {
		n, ok := conf.Atoi(parts[2])
		if !ok {
			return nil, false
		}
		ka.Count = int(n)
	}
	if ka.Idle == 0 && ka.Interval == 0 && ka.Count == 0 {
		return nil, false
	}
	return ka, true
}

// addrText is nginx's text for the address ("127.0.0.1:8080", "*:80",
// "unix:/path", "[::1]:80").
func (l *Listen) addrText() string {
	switch {
	case l.Network == "unix":
		return "unix:" + l.Path
	case l.Host == "":
		return "0.0.0.0:" + strconv.Itoa(l.Port)
	default:
		return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
	}
}

func (l *Listen) wildcard() bool { return l.Network == "tcp" && (l.Host == "" || l.Host == "::") }

// key identifies the address a listen names.
func (l *Listen) key() string {
	if l.Network == "unix" {
		return "unix:" + l.Path
	}
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

func defaultListen() *Listen {
	port := 8000
	if os.Getuid() == 0 {
		port = 80
	}
	return &Listen{Network: "tcp", Port: port, Backlog: 511}
}

// setListen is the "listen" directive (ngx_http_core_listen).
func setListen(c *conf.Cmd) error {
	_, s, _ := BlockOf(c)
	addr := c.Arg(0)
	ls, err := parseListenAddr(addr)
	if err != nil {
		return c.Errorf("%s in \"%s\" of the \"listen\" directive", err, addr)
	}
	for _, l := range ls {
		l.Backlog = 511
		l.IPv6Only = true
		l.text, l.file, l.line = addr, c.File, c.Line
	}
	for _, a := range c.Args[1:] {
		for _, l := range ls {
			if err := listenOption(c, l, a); err != nil {
				return err
			}
		}
	}
	s.Listens = append(s.Listens, ls...)
	return nil
}

func listenOption(c *conf.Cmd, l *Listen, a string) error {
	v, hasV := "", false
	if i := strings.IndexByte(a, '='); i >= 0 {
		v, hasV = a[i+1:], true
	}
	switch {
	case a == "default_server" || a == "default":
		l.Default = true
	case a == "bind":
		l.Bind = true
	case strings.HasPrefix(a, "backlog="):
		n, ok := conf.Atoi(v)
		if !ok || n == 0 || n > 1<<31-1 {
			return c.Errorf("invalid backlog \"%s\"", a)
		}
		l.Backlog, l.Bind = int(n), true
	case strings.HasPrefix(a, "rcvbuf="):
		n, ok := conf.ParseSize(v)
		if !ok {
			return c.Errorf("invalid rcvbuf \"%s\"", a)
		}
		l.RcvBuf, l.Bind = int(n), true
	case strings.HasPrefix(a, "sndbuf="):
		n, ok := conf.ParseSize(v)
		if !ok {
			return c.Errorf("invalid sndbuf \"%s\"", a)
		}
		l.SndBuf, l.Bind = int(n), true
	case a == "deferred":
		l.Deferred, l.Bind = true, true
	case strings.HasPrefix(a, "accept_filter="):
		c.Warnf("accept filters \"%s\" are not supported on this platform, ignored", a)
	case strings.HasPrefix(a, "ipv6only=o"):
		switch a[len("ipv6only=o"):] {
		case "n":
			l.IPv6Only = true
		case "ff":
			l.IPv6Only = false
		default:
			return c.Errorf("invalid ipv6only flags \"%s\"", a[len("ipv6only="):])
		}
		l.Bind = true
	case a == "reuseport":
		l.ReusePort, l.Bind = true, true
	case strings.HasPrefix(a, "so_keepalive="):
		ka, ok := parseSoKeepalive(v)
		if !ok {
			return c.Errorf("invalid so_keepalive value: \"%s\"", v)
		}
		l.KeepAlive, l.Bind = ka, true
	case a == "proxy_protocol":
		l.ProxyProto = true
	case a == "ssl":
		if !ConfigOf(c).sslEnabled {
			return c.Errorf(sslNotEnabled)
		}
		l.SSL = true
	case a == "http2":
		if !ConfigOf(c).hasModule(V2) {
			return c.Errorf("the \"http2\" parameter requires ngx_http_v2_module")
		}
		l.HTTP2 = true
	case a == "quic":
		return c.Errorf("the \"quic\" parameter requires ngx_http_v3_module")
	case strings.HasPrefix(a, "fastopen=") || strings.HasPrefix(a, "setfib="):
		l.Bind = true
	case a == "multipath":
		l.Bind = true
	default:
		_ = hasV
		return c.Errorf("invalid parameter \"%s\"", a)
	}
	return nil
}

// parseListenAddr parses the address of "listen" as ngx_parse_url does in
// listen mode: "port", "*:port", "host[:port]", "[v6][:port]", "unix:path".
// A host name may resolve to several addresses.
func parseListenAddr(s string) ([]*Listen, error) {
	if strings.HasPrefix(s, "unix:") {
		p := s[5:]
		if p == "" {
			return nil, fmt.Errorf("no path in the unix domain socket")
		}
		return []*Listen{{Network: "unix", Path: p}}, nil
	}
	host, portText := "", ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, fmt.Errorf("invalid host")
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return nil, fmt.Errorf("invalid host")
			}
			portText = rest[1:]
		}
		if net.ParseIP(host) == nil || !strings.Contains(host, ":") {
			return nil, fmt.Errorf("invalid IPv6 address")
		}
	default:
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			host, portText = s[:i], s[i+1:]
		} else if isPortText(s) {
			portText = s
		} else {
			host = s
		}
	}
	port, last := 80, 0
	if portText != "" {
		var err error
		if port, last, err = parsePortRange(portText); err != nil {
			return nil, err
		}
	} else if host == "" {
		return nil, fmt.Errorf("no host")
	}
	ls, err := listenHosts(host, port)
	if err != nil || last == 0 {
		return ls, err
	}
	// A port range listens on every port of it (ngx_inet_add_addr).
	var out []*Listen
	for _, l := range ls {
		for p := port; p <= last; p++ {
			c := *l
			c.Port = p
			out = append(out, &c)
		}
	}
	return out, nil
}

// parsePortRange parses "port" or "first-last" as ngx_parse_inet_url does
// for listen; last is 0 without a range.
func parsePortRange(s string) (port, last int, err error) {
	if i := strings.IndexByte(s, '-'); i >= 0 {
		n, ok := conf.Atoi(s[i+1:])
		if !ok || n < 1 || n > 65535 {
			return 0, 0, fmt.Errorf("invalid port")
		}
		last, s = int(n), s[:i]
	}
	n, ok := conf.Atoi(s)
	if !ok || n < 1 || n > 65535 {
		return 0, 0, fmt.Errorf("invalid port")
	}
	if last != 0 && int(n) > last {
		return 0, 0, fmt.Errorf("invalid port range")
	}
	return int(n), last, nil
}

// listenHosts resolves the host part of a listen address.
func listenHosts(host string, port int) ([]*Listen, error) {
	if host == "*" || host == "" {
		return []*Listen{{Network: "tcp", Port: port}}, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		h := ip.String()
		if ip.To4() == nil && ip.IsUnspecified() {
			h = "::"
		}
		return []*Listen{{Network: "tcp", Host: h, Port: port}}, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("host not found")
	}
	var out []*Listen
	seen := map[string]bool{}
	for _, ip := range ips {
		if seen[ip.String()] {
			continue
		}
		seen[ip.String()] = true
		out = append(out, &Listen{Network: "tcp", Host: ip.String(), Port: port})
	}
	return out, nil
}

// isPortText reports whether a listen address without a colon is a port
// or a port range rather than a host name.
func isPortText(s string) bool {
	if i := strings.IndexByte(s, '-'); i >= 0 {
		_, ok := conf.Atoi(s[i+1:])
		_, ok2 := conf.Atoi(s[:i])
		return ok && ok2
	}
	_, ok := conf.Atoi(s)
	return ok
}

// addrConf is one address servers listen on: its default server and the
// name table to choose among its servers (ngx_http_addr_conf_t with its
// virtual names).
type addrConf struct {
	listen  *Listen
	def     *Server
	names   *nameTable
	servers []*Server
	socket  *core.Socket
	// proxyProto: connections open with a PROXY protocol header (any of
	// the address's listens said proxy_protocol, as nginx merges it)
	proxyProto bool
	// ssl: connections start with a TLS handshake (any of the address's
	// listens said ssl, as nginx merges it); tlsConfig picks each
	// handshake's server
	ssl       bool
	tlsConfig *tls.Config
	// http2: any listen of the address said http2 (nginx's
	// addr_conf->http2); a server's "http2 on" is asked where it applies
	// (ALPN: the server SNI chose; the preface: the default server)
	http2 bool
	// h2Preface: a plain connection opening with the HTTP/2 preface is
	// HTTP/2 (http2, or "http2 on" in the default server)
	h2Preface bool
	// alpn caches, per server tls.Config, its copy that offers "h2"
	alpnMu sync.Mutex
	alpn   map[*tls.Config]*tls.Config
	// specific maps local IPs to their own conf when a wildcard socket
	// serves addresses configured without "bind".
	specific map[string]*addrConf
}

// buildAddrs groups the servers' listens into sockets and name tables
// (ngx_http_optimize_servers).
func (cf *Config) buildAddrs() error {
	byKey := map[string]*addrConf{}
	var order []*addrConf
	for _, s := range cf.Servers {
		for _, l := range s.Listens {
			a := byKey[l.key()]
			if a == nil {
				a = &addrConf{listen: l}
				byKey[l.key()] = a
				order = append(order, a)
			} else {
				if l.Bind && a.listen.Bind && (l != a.listen) {
					return &conf.Error{File: l.file, Line: l.line, Msg: "duplicate listen options for " + l.addrText()}
				}
				if l.Bind && !a.listen.Bind {
					l.Default = l.Default || a.listen.Default
					a.listen = l
				}
			}
			a.proxyProto = a.proxyProto || l.ProxyProto
			a.ssl = a.ssl || l.SSL
			a.http2 = a.http2 || l.HTTP2
			for _, o := range a.servers {
				if o == s {
					return &conf.Error{File: l.file, Line: l.line, Msg: "a duplicate listen " + l.addrText()}
				}
			}
			if l.Default {
				if a.def != nil && a.defExplicit() {
					return &conf.Error{File: l.file, Line: l.line, Msg: "a duplicate default server for " + l.addrText()}
				}
				a.def = s
			}
			a.servers = append(a.servers, s)
		}
	}
	for _, a := range order {
		if a.def == nil {
			a.def = a.servers[0]
		}
		names, err := buildNames(cf, a)
		if err != nil {
			return err
		}
		a.names = names
		a.h2Preface = a.http2 || a.def.http2Enabled()
		if a.ssl {
			if err := cf.checkSSL(a); err != nil {
				return err
			}
			a.tlsConfig = a.serverConfig()
		}
	}
	// Addresses of a port that has a wildcard listen are served by the
	// wildcard socket unless they asked for their own (bind and options).
	wild := map[string]*addrConf{}
	for _, a := range order {
		if a.listen.wildcard() {
			wild[strconv.Itoa(a.listen.Port)+"|"+familyOf(a.listen.Host)] = a
		}
	}
	for _, a := range order {
		l := a.listen
		if l.Network == "tcp" && !l.wildcard() && !l.Bind {
			if w := wild[strconv.Itoa(l.Port)+"|"+familyOf(l.Host)]; w != nil && l.Port != 0 {
				if w.specific == nil {
					w.specific = map[string]*addrConf{}
				}
				w.specific[l.Host] = a
				continue
			}
		}
		cf.addrs = append(cf.addrs, a)
	}
	for _, a := range cf.addrs {
		l := a.listen
		address := l.Path
		if l.Network == "tcp" {
			h := l.Host
			if h == "" {
				h = "0.0.0.0"
			}
			address = net.JoinHostPort(h, strconv.Itoa(l.Port))
		}
		ac := a
		a.socket = &core.Socket{Network: l.Network, Address: address, Backlog: l.Backlog,
			ReusePort: l.ReusePort, RcvBuf: l.RcvBuf, SndBuf: l.SndBuf,
			IPv6Only: l.IPv6Only && strings.Contains(l.Host, ":"), DeferredAccept: l.Deferred, KeepAlive: l.KeepAlive,
			Handle: func(c net.Conn, s *core.Slot) bool { return cf.serve(c, s, ac) }}
		cf.sockets = append(cf.sockets, a.socket)
	}
	return nil
}

func (a *addrConf) defExplicit() bool {
	for _, s := range a.servers {
		if s == a.def {
			for _, l := range s.Listens {
				if l.key() == a.listen.key() && l.Default {
					return true
				}
			}
		}
	}
	return false
}

func familyOf(host string) string {
	if strings.Contains(host, ":") {
		return "6"
	}
	return "4"
}

// forConn picks the address conf of a connection accepted on a's socket:
// a specific address served by a wildcard socket has its own servers.
func (a *addrConf) forConn(c net.Conn) *addrConf {
	if a.specific == nil {
		return a
	}
	if ta, ok := c.LocalAddr().(*net.TCPAddr); ok {
		if s := a.specific[ta.IP.String()]; s != nil {
			return s
		}
	}
	return a
}
