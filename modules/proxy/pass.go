package proxy

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
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
	// target is where requests go: an upstream{} group, or the implicit
	// group of the host and port.
	target upstream.Target
}

// proxyVars are what $proxy_host, $proxy_port and the request line need
// (ngx_http_proxy_vars_t).
type proxyVars struct {
	schema     string // "http://"
	tls        bool   // the schema is https://
	host       string // the host, the default name for SNI and the certificate check
	hostHeader string // $proxy_host
	port       string // $proxy_port
	uri        string // the URI part of proxy_pass, "" when none
}

// varsOf computes $proxy_host, $proxy_port and the URI part from a parsed
// proxy_pass URL (ngx_http_proxy_set_vars): the Host header is the host
// and port as written, without a default port.
func varsOf(u *balancer.URL, schema string, defaultPort int) proxyVars {
	v := proxyVars{schema: schema, uri: u.URI, tls: defaultPort == 443, host: u.Host}
	if u.Unix {
		v.hostHeader = "localhost"
		return v
	}
	if u.NoPort || u.Port == defaultPort {
		v.hostHeader = u.Host
		v.port = strconv.Itoa(defaultPort)
		return v
	}
	hostPort := u.Text[:len(u.Text)-len(u.URI)]
	v.hostHeader = hostPort
	v.port = hostPort[min(len(u.Host)+1, len(hostPort)):]
	return v
}

// splitSchema checks the URL prefix (nginx accepts it in any case).
func splitSchema(url string) (schema string, rest string, port int, ok bool) {
	switch {
	case len(url) >= 7 && ascii.EqualFold(url[:7], "http://"):
		return url[:7], url[7:], 80, true
	case len(url) >= 8 && ascii.EqualFold(url[:8], "https://"):
		return url[:8], url[8:], 443, true
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
	mc.cores.Add(cl)

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
		return c.Errorf("invalid URL prefix")
	}
	g, u, err := balancer.Add(c, rest, balancer.URLOptions{DefaultPort: defPort, URIPart: true})
	if err != nil {
		return err
	}
	pc.vars = varsOf(u, schema, defPort)
	switch loc.Kind {
	case httpd.LocRegex, httpd.LocNamed, httpd.LocIf, httpd.LocLimitExcept:
		if pc.vars.uri != "" {
			return c.Errorf("\"proxy_pass\" cannot have URI part in location given by regular expression, " +
				"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
		}
	default:
		pc.location = loc.Name
	}
	pc.target = g
	return nil
}

// evalPass computes where a proxy_pass with variables goes for this
// request (ngx_http_proxy_eval). A false result means the request ends
// with 500 (nginx logs why).
func evalPass(r *httpd.Request, pc *passConf, ctx *reqCtx) bool {
	url := pc.dynamic.Eval(r)
	schema, rest, defPort, ok := splitSchema(url)
	if !ok || len(url) == len(schema) {
		r.Log().Logf(errlog.Error, r, nil, "invalid URL prefix in \"%s\"", url)
		return false
	}
	u, err := balancer.ParseURL(rest, balancer.URLOptions{DefaultPort: defPort, URIPart: true, NoResolve: true})
	if err != nil {
		r.Log().Logf(errlog.Error, r, nil, "%s in upstream \"%s\"", err, rest)
		return false
	}
	if strings.HasPrefix(u.URI, "?") {
		u.URI = "/" + u.URI
	}
	ctx.vars = varsOf(u, schema, defPort)
	ctx.url = u
	return true
}
