package proxy

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// passConf is one proxy_pass (the URL part of ngx_http_proxy_loc_conf_t
// with its ngx_http_proxy_vars_t).
type passConf struct {
	// dynamic is the URL when it has variables: evaluated per request.
	dynamic *httpd.Complex
	// vars are the parts of a literal URL.
	vars proxyVars
	// location is the location's name whose prefix the URI part
	// replaces ("" in regex and named locations, if and limit_except).
	location string
	// target is where requests go.
	target upstream.Target
	// host, port and noPort key the target for run-time lookups.
	host   string
	port   int
	noPort bool
}

// proxyVars are what $proxy_host, $proxy_port and the request line need
// (ngx_http_proxy_vars_t).
type proxyVars struct {
	schema     string // "http://"
	hostHeader string // $proxy_host
	port       string // $proxy_port
	uri        string // the URI part of proxy_pass, "" when none
}

// parsedURL is a proxy_pass URL after the schema (ngx_url_t with
// uri_part set).
type parsedURL struct {
	host     string // "example.com", "[::1]", or the unix socket path
	port     int
	portText string
	noPort   bool
	uri      string
	unix     bool
}

// parseURL splits "host[:port][/uri]", "[v6][:port][/uri]" or
// "unix:/path[:uri]" (ngx_parse_url with uri_part). The error text is
// nginx's u->err.
func parseURL(s string, defaultPort int) (parsedURL, string) {
	var u parsedURL
	if len(s) >= 5 && strings.EqualFold(s[:5], "unix:") {
		path := s[5:]
		if i := strings.IndexByte(path, ':'); i >= 0 {
			u.uri = path[i+1:]
			path = path[:i]
		}
		if path == "" {
			return u, "no path in the unix domain socket"
		}
		if len(path)+1 > 108 {
			return u, "too long path in the unix domain socket"
		}
		u.host, u.unix, u.noPort = path, true, true
		return u, ""
	}
	host, last := s, len(s)
	start := 0
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return u, "invalid host"
		}
		start = end + 1
	}
	rest := host[start:]
	port := strings.IndexByte(rest, ':')
	if port >= 0 {
		port += start
	}
	uri := strings.IndexByte(rest, '/')
	args := strings.IndexByte(rest, '?')
	if args >= 0 && (uri < 0 || args < uri) {
		uri = args
	}
	if uri >= 0 {
		uri += start
		u.uri = s[uri:]
		last = uri
		if uri < port {
			port = -1
		}
	}
	if start > 0 && port >= 0 && port != start {
		return u, "invalid host"
	}
	if port >= 0 {
		text := s[port+1 : last]
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > 65535 || strings.TrimLeft(text, "0123456789") != "" {
			return u, "invalid port"
		}
		u.port, u.portText = n, text
		last = port
	} else {
		u.noPort = true
		u.port = defaultPort
	}
	if last == 0 {
		return u, "no host"
	}
	u.host = s[:last]
	return u, ""
}

// varsOf computes $proxy_host, $proxy_port and the URI part
// (ngx_http_proxy_set_vars).
func varsOf(u parsedURL, schema string, defaultPort int) proxyVars {
	v := proxyVars{schema: schema, uri: u.uri}
	if u.unix {
		v.hostHeader = "localhost"
		return v
	}
	if u.noPort || u.port == defaultPort {
		v.hostHeader = u.host
		v.port = strconv.Itoa(defaultPort)
	} else {
		v.hostHeader = u.host + ":" + u.portText
		v.port = u.portText
	}
	return v
}

// splitSchema checks the URL prefix (nginx accepts it in any case).
func splitSchema(url string) (schema string, rest string, port int, ok bool) {
	switch {
	case len(url) >= 7 && strings.EqualFold(url[:7], "http://"):
		return url[:7], url[7:], 80, true
	case len(url) >= 8 && strings.EqualFold(url[:8], "https://"):
		return url[:8], url[8:], 443, false
	}
	return "", "", 0, false
}

// setPass is the proxy_pass directive (ngx_http_proxy_pass).
func setPass(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	if lc.url != "" {
		return conf.ErrDuplicate
	}
	cf, _, loc := httpd.BlockOf(c)
	cl := httpd.CoreLocOf(c)
	cl.Handler = handler
	if strings.HasSuffix(loc.Name, "/") {
		loc.AutoRedirect = true
	}
	mc := cf.MainConf(&self).(*mainConf)
	mc.cores = append(mc.cores, cl)

	url := c.Arg(0)
	pc := &passConf{}
	lc.url = url
	lc.pass = pc
	if strings.Contains(url, "$") {
		x, err := cf.Compile(c, url)
		if err != nil {
			return err
		}
		pc.dynamic = x
		return nil
	}
	schema, rest, defPort, ok := splitSchema(url)
	if !ok {
		if schema != "" {
			return c.Errorf("https protocol requires SSL support")
		}
		return c.Errorf("invalid URL prefix")
	}
	u, msg := parseURL(rest, defPort)
	if msg != "" {
		return c.Errorf("%s in upstream \"%s\"", msg, rest)
	}
	pc.vars = varsOf(u, schema, defPort)
	pc.host, pc.port, pc.noPort = u.host, u.port, u.noPort
	switch loc.Kind {
	case httpd.LocRegex, httpd.LocNamed, httpd.LocIf, httpd.LocLimitExcept:
		if pc.vars.uri != "" {
			return c.Errorf("\"proxy_pass\" cannot have URI part in location given by regular expression, " +
				"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
		}
	default:
		pc.location = loc.Name
	}
	t, err := staticTarget(u, rest)
	if err != nil {
		return c.Errorf("%s", err)
	}
	pc.target = t
	mc.passes = append(mc.passes, pc)
	return nil
}

// staticTarget resolves a literal proxy_pass address when the
// configuration is loaded (an implicit upstream in nginx's terms).
func staticTarget(u parsedURL, text string) (upstream.Target, error) {
	if u.unix {
		name := "unix:" + u.host
		return upstream.NewAddresses(name, []*upstream.Peer{{Name: name, Network: "unix", Address: u.host, Server: name}}), nil
	}
	hostPort := net.JoinHostPort(strings.Trim(u.host, "[]"), strconv.Itoa(u.port))
	t, err := upstream.ParseAddress(hostPort, u.port)
	if err != nil {
		return nil, fmt.Errorf("host not found in upstream \"%s\"", hostOf(text))
	}
	return upstream.NewAddresses(u.host, t.Peers()), nil
}

// hostOf is the host[:port] part of a proxy_pass URL without the URI.
func hostOf(rest string) string {
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// evalPass computes where a proxy_pass with variables goes for this
// request (ngx_http_proxy_eval). A false result means the request ends
// with 500 (nginx logs why).
func evalPass(r *httpd.Request, pc *passConf, ctx *reqCtx) bool {
	url := pc.dynamic.Eval(r)
	schema, rest, defPort, ok := splitSchema(url)
	if !ok || len(url) == len(schema) {
		// without TLS, https:// is an invalid prefix as in an nginx built
		// without SSL
		r.Log().Logf(errlog.Error, r, nil, "invalid URL prefix in \"%s\"", url)
		return false
	}
	u, msg := parseURL(rest, defPort)
	if msg != "" {
		r.Log().Logf(errlog.Error, r, nil, "%s in upstream \"%s\"", msg, rest)
		return false
	}
	if strings.HasPrefix(u.uri, "?") {
		u.uri = "/" + u.uri
	}
	ctx.vars = varsOf(u, schema, defPort)
	ctx.dynHost, ctx.dynPort, ctx.dynNoPort, ctx.dynUnix = u.host, u.port, u.noPort, u.unix
	return true
}

// dynamicTarget finds the target of an evaluated proxy_pass: an address
// literal, a known upstream, or a name resolved now with the location's
// resolver. It returns 0 and the target, or the status to end with.
func dynamicTarget(r *httpd.Request, ctx *reqCtx) (upstream.Target, httpd.Status) {
	host, port := ctx.dynHost, ctx.dynPort
	if ctx.dynUnix {
		name := "unix:" + host
		return upstream.NewAddresses(name, []*upstream.Peer{{Name: name, Network: "unix", Address: host, Server: name}}), 0
	}
	bare := strings.Trim(host, "[]")
	if ip := net.ParseIP(bare); ip != nil {
		addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
		return upstream.NewAddresses(addr, []*upstream.Peer{{Name: addr, Network: "tcp", Address: addr, Server: addr}}), 0
	}
	if t := knownTarget(r, host, port, ctx.dynNoPort); t != nil {
		return t, 0
	}
	cl := r.CoreLoc()
	res := cl.Resolver.Get()
	if res == nil || len(res.Servers) == 0 {
		r.Log().Logf(errlog.Error, r, nil, "no resolver defined to resolve %s", host)
		return nil, 502
	}
	rctx := context.Background()
	if d := cl.ResolverTimeout.Get(); d > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(rctx, d)
		defer cancel()
	}
	ips, err := res.LookupIP(rctx, host)
	if err != nil || len(ips) == 0 {
		code, text := 3, "Host not found"
		if rctx.Err() != nil {
			code, text = 110, "Operation timed out"
		} else if de, ok := err.(*net.DNSError); ok && !de.IsNotFound {
			code, text = 2, "Server failure"
		}
		r.Log().Logf(errlog.Error, r, nil, "%s could not be resolved (%d: %s)", host, code, text)
		return nil, 502
	}
	peers := make([]*upstream.Peer, 0, len(ips))
	for _, ip := range ips {
		addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
		peers = append(peers, &upstream.Peer{Name: addr, Network: "tcp", Address: addr, Server: host})
	}
	return upstream.NewAddresses(host, peers), 0
}

// knownTarget looks a run-time host up among the configuration's
// upstreams, as nginx's ngx_http_upstream_init_request does: a target with
// the same host and port (or any port when the URL gave none and the
// target has none).
func knownTarget(r *httpd.Request, host string, port int, noPort bool) upstream.Target {
	mc := httpd.MainConf[mainConf](r, &self)
	if mc == nil {
		return nil
	}
	for _, pc := range mc.passes {
		if pc.target == nil || !strings.EqualFold(pc.host, host) {
			continue
		}
		if pc.port == port || (pc.noPort && noPort) {
			return pc.target
		}
	}
	return nil
}
