package proxy

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf and context lookups (handlers
// reachable from the directive table cannot name Module).
var self httpd.Handle

const msl = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the proxy HTTP module (ngx_http_proxy_module).
var Module = &httpd.Module{
	Name:              "proxy",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        func(*httpd.Config) any { return &mainConf{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{U: upstream.Conf{ChangeBuffering: true}} },
	MergeLoc:          mergeLoc,
	Preconfiguration:  addVariables,
	Postconfiguration: postconfiguration,
}

// hideDefaults are the response headers nginx's proxy never passes unless
// proxy_pass_header says so.
var hideDefaults = []string{"Date", "Server", "X-Pad", "X-Accel-Expires",
	"X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset"}

// LocConf is the proxy module's location configuration
// (ngx_http_proxy_loc_conf_t).
type LocConf struct {
	// U is the shared upstream configuration (proxy_connect_timeout,
	// proxy_buffering, proxy_hide_header...).
	U upstream.Conf

	// pass is where requests go (proxy_pass); inherited by nested blocks
	// (only "if" and "limit_except" blocks can use it without their own
	// proxy_pass, as in nginx).
	pass *passConf
	// url is the proxy_pass argument of this very block, for
	// "proxy_redirect default" (never inherited).
	url string

	method  conf.Val[*httpd.Complex]
	version conf.Val[int]
	body    conf.Val[*httpd.Complex]

	// headerSrc are the proxy_set_header lines of this level; headers the
	// compiled set in effect (inherited whole when a level has none).
	headerSrc conf.List[headerSrc]
	headers   *headerSet
	// headersCache is the set sent for cacheable requests (cache.go).
	headersCache *headerSet

	// redirect: proxy_redirect off (false) or on; redirects the rules of
	// this level (nil: none here, inherit).
	redirect  conf.Flag
	redirects []*rewriteRule

	cookieDomains conf.Val[[]*rewriteRule]
	cookiePaths   conf.Val[[]*rewriteRule]
	cookieFlags   conf.Val[[]*cookieFlags]

	hashMax, hashBucket conf.Num

	// ssl is the proxy_ssl_* directives (ssl.go).
	ssl upstream.SSLConf
}

// mainConf is the proxy module's http-level state.
type mainConf struct {
	// cores are the core confs of the blocks with their own proxy_pass,
	// for the limit_except handler rule.
	cores upstream.PassBlocks
}

func directives() []conf.Directive {
	d := []conf.Directive{
		{Name: "proxy_pass", Context: conf.HTTPLoc | conf.HTTPLif | conf.HTTPLmt, Args: conf.Take1, Set: setPass,
			Syntax: "proxy_pass URL;", Doc: "Sets the protocol and address of a proxied server and an optional URI to which a location should be mapped."},
		{Name: "proxy_redirect", Context: msl, Args: conf.Take12, Set: setRedirect,
			Syntax: "proxy_redirect default;\nproxy_redirect off;\nproxy_redirect redirect replacement;", Default: "proxy_redirect default;",
			Doc: "Sets the text that should be changed in the Location and Refresh header fields of a proxied server response."},
		{Name: "proxy_cookie_domain", Context: msl, Args: conf.Take12, Set: setCookieDomain,
			Syntax: "proxy_cookie_domain off;\nproxy_cookie_domain domain replacement;", Default: "proxy_cookie_domain off;",
			Doc: "Sets a text that should be changed in the domain attribute of the Set-Cookie header fields of a proxied server response."},
		{Name: "proxy_cookie_path", Context: msl, Args: conf.Take12, Set: setCookiePath,
			Syntax: "proxy_cookie_path off;\nproxy_cookie_path path replacement;", Default: "proxy_cookie_path off;",
			Doc: "Sets a text that should be changed in the path attribute of the Set-Cookie header fields of a proxied server response."},
		{Name: "proxy_cookie_flags", Context: msl, Args: conf.Take1234, Set: setCookieFlags,
			Syntax: "proxy_cookie_flags off | cookie [flag ...];", Default: "proxy_cookie_flags off;",
			Doc: "Sets one or more flags (secure, httponly, samesite=..., and their negations) for the cookie."},
		{Name: "proxy_set_header", Context: msl, Args: conf.Take2, Set: setHeader,
			Syntax: "proxy_set_header field value;", Default: "proxy_set_header Host $proxy_host;\nproxy_set_header Connection close;",
			Doc: "Redefines or appends fields to the request header passed to the proxied server; an empty value drops the field."},
		{Name: "proxy_headers_hash_max_size", Context: msl, Args: conf.Take1,
			Set:    conf.SetNum(func(c *LocConf) *conf.Num { return &c.hashMax }),
			Syntax: "proxy_headers_hash_max_size size;", Default: "proxy_headers_hash_max_size 512;",
			Doc: "Accepted for compatibility (sluice needs no hash sizing)."},
		{Name: "proxy_headers_hash_bucket_size", Context: msl, Args: conf.Take1,
			Set:    conf.SetNum(func(c *LocConf) *conf.Num { return &c.hashBucket }),
			Syntax: "proxy_headers_hash_bucket_size size;", Default: "proxy_headers_hash_bucket_size 64;",
			Doc: "Accepted for compatibility (sluice needs no hash sizing)."},
		{Name: "proxy_set_body", Context: msl, Args: conf.Take1, Set: setBody,
			Syntax: "proxy_set_body value;", Doc: "Defines the request body passed to the proxied server."},
		{Name: "proxy_method", Context: msl, Args: conf.Take1, Set: setMethod,
			Syntax: "proxy_method method;", Doc: "Specifies the HTTP method to use in requests forwarded to the proxied server."},
		{Name: "proxy_http_version", Context: msl, Args: conf.Take1,
			Set:    conf.SetEnum(conf.Enum[int]{{"1.0", 1000}, {"1.1", 1001}}, func(c *LocConf) *conf.Val[int] { return &c.version }),
			Syntax: "proxy_http_version 1.0 | 1.1;", Default: "proxy_http_version 1.0;",
			Doc: "Sets the HTTP protocol version for proxying."},
	}
	d = append(d, sslDirectives()...)
	d = append(d, upstream.Directives("proxy_", func(c *LocConf) *upstream.Conf { return &c.U })...)
	return append(d, upstream.CacheDirectives("proxy_", func(c *LocConf) *upstream.Conf { return &c.U })...)
}

// mergeLoc is ngx_http_proxy_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if err := c.U.Merge(cf, &p.U, "proxy_", hideDefaults, "proxy_temp"); err != nil {
		return err
	}
	if c.pass == nil {
		c.pass = p.pass
	}
	if err := mergeSSL(cf, p, c); err != nil {
		return err
	}
	c.method.Inherit(p.method, nil)
	c.version.Inherit(p.version, 1000)
	c.body.Inherit(p.body, nil)
	c.hashMax.Inherit(p.hashMax, 512)
	c.hashBucket.Inherit(p.hashBucket, 64)

	c.redirect.Inherit(p.redirect, true)
	if c.redirect.Get() {
		if c.redirects == nil {
			c.redirects = p.redirects
		}
		if c.redirects == nil && c.url != "" {
			c.redirects = []*rewriteRule{defaultRedirect(c.pass, c.url)}
		}
	} else {
		c.redirects = nil
	}
	c.cookieDomains.Inherit(p.cookieDomains, nil)
	c.cookiePaths.Inherit(p.cookiePaths, nil)
	c.cookieFlags.Inherit(p.cookieFlags, nil)

	if !c.headerSrc.IsSet() {
		if p.headers == nil {
			// the http level's set is built once and shared by every
			// server and location that has no proxy_set_header
			p.headers = compileHeaders(p.headerSrc.Get())
		}
		c.headers = p.headers
	} else {
		c.headers = compileHeaders(c.headerSrc.Get())
	}
	mergeCacheHeaders(p, c)
	return nil
}

// postconfiguration gives limit_except blocks the proxy handler of their
// location when they inherit its proxy_pass (nginx's merge does it with
// clcf->lmt_excpt).
func postconfiguration(cf *httpd.Config) error {
	mc, _ := cf.MainConf(&self).(*mainConf)
	if mc == nil {
		return nil
	}
	mc.cores.LimitExcept(func(l *httpd.Location) bool {
		lc, _ := l.Conf(&self).(*LocConf)
		return lc != nil && lc.pass != nil
	}, handler)
	return nil
}
