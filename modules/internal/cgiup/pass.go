package cgiup

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/upstream"
	"github.com/sluicehq/sluice/upstream/balancer"
)

// Scheme is a URL prefix a pass directive accepts ("uwsgi://"), and
// whether it means TLS.
type Scheme struct {
	Prefix string
	TLS    bool
}

// Pass is one X_pass directive: where the location's requests go.
type Pass struct {
	// Target is the upstream{} group or the implicit group of a literal
	// address; nil when the value has variables.
	Target upstream.Target
	// Dynamic is the value when it has variables, evaluated per request.
	Dynamic *httpd.Complex
	// Schema is the scheme shown in log lines ("scgi://").
	Schema string
	// TLS is set for a scheme over TLS (suwsgi://); a value with variables
	// may go over TLS too (nginx prepares TLS for it).
	TLS bool

	// Host is the host of a literal address: the default name for SNI
	// and the certificate check.
	Host string
	// Authority is the address as written without its scheme: host and
	// port, the host alone when no port is written, "localhost" for a
	// unix socket (grpc's :authority).
	Authority string

	schemes []Scheme
	def     string
}

// ParsePass compiles the argument of X_pass (ngx_http_scgi_pass,
// ngx_http_uwsgi_pass). def is the schema when the value has none
// ("scgi://"); schemes are the prefixes it may have (matched in any case).
// It installs handler as the location's content handler and sets
// auto_redirect for a location ending in '/'. A nil Pass with nil error
// means the directive is a duplicate.
func ParsePass(c *conf.Cmd, handler httpd.ContentHandler, def string, schemes ...Scheme) (*Pass, error) {
	cf := httpd.ConfigOf(c)
	cl := httpd.CoreLocOf(c)
	cl.Handler = handler
	p := &Pass{Schema: def, schemes: schemes, def: def}
	arg := c.Arg(0)
	if strings.Contains(arg, "$") {
		x, err := cf.Compile(c, arg)
		if err != nil {
			return nil, err
		}
		if _, lit := x.Literal(); !lit {
			p.Dynamic = x
			p.TLS = len(schemes) > 0 && schemes[len(schemes)-1].TLS
			return p, nil
		}
	}
	rest := arg
	for _, s := range schemes {
		if len(arg) >= len(s.Prefix) && ascii.EqualFold(arg[:len(s.Prefix)], s.Prefix) {
			rest = arg[len(s.Prefix):]
			p.Schema, p.TLS = ascii.ToLower(s.Prefix), s.TLS
			break
		}
	}
	g, u, err := balancer.Add(c, rest, balancer.URLOptions{})
	if err != nil {
		return nil, err
	}
	p.Target, p.Host, p.Authority = g, u.Host, authority(u)
	if l := cl.Loc(); l != nil && strings.HasSuffix(l.Name, "/") {
		l.AutoRedirect = true
	}
	return p, nil
}

// Where is where one request goes.
type Where struct {
	Target    upstream.Target
	Schema    string
	TLS       bool
	Host      string
	Authority string
}

// authority is the host and port of an address as written
// (ngx_http_grpc_pass's glcf->host).
func authority(u *balancer.URL) string {
	switch {
	case u.Unix:
		return "localhost"
	case u.NoPort:
		return u.Host
	}
	return u.Text
}

// Resolve returns where the request goes: the literal target, or the
// value with variables evaluated now (ngx_http_scgi_eval,
// ngx_http_uwsgi_eval). A status other than 0 ends the request (nginx's
// line logged).
func (p *Pass) Resolve(r *httpd.Request) (Where, httpd.Status) {
	if p.Dynamic == nil {
		return Where{Target: p.Target, Schema: p.Schema, TLS: p.TLS, Host: p.Host, Authority: p.Authority}, 0
	}
	url := p.Dynamic.Eval(r)
	w := Where{Schema: p.def}
	for _, s := range p.schemes {
		// nginx strips a scheme only when something follows it
		if len(url) > len(s.Prefix) && ascii.EqualFold(url[:len(s.Prefix)], s.Prefix) {
			w.Schema, w.TLS = url[:len(s.Prefix)], s.TLS
			url = url[len(s.Prefix):]
			break
		}
	}
	u, err := balancer.ParseURL(url, balancer.URLOptions{NoResolve: true})
	if err != nil {
		r.Log().Logf(errlog.Error, r, nil, "%s in upstream \"%s\"", err, url)
		return w, 500
	}
	t, st := balancer.Dynamic(r, u)
	w.Target, w.Host, w.Authority = t, u.Host, authority(u)
	return w, st
}
