package fastcgi

import (
	"regexp"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/modules/internal/cgi"
	"github.com/sluicehq/sluice/modules/internal/cgiup"
	"github.com/sluicehq/sluice/upstream"
)

// self is the module's identity for conf and context lookups (handlers
// reachable from the directive table cannot name Module).
var self httpd.Handle

const msl = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the fastcgi HTTP module (ngx_http_fastcgi_module).
var Module = &httpd.Module{
	Name:              "fastcgi",
	Handle:            &self,
	Directives:        directives(),
	CreateMain:        func(*httpd.Config) any { return &mainConf{} },
	CreateLoc:         createLoc,
	MergeLoc:          mergeLoc,
	Preconfiguration:  addVariables,
	Postconfiguration: postconfiguration,
}

// LocConf is the fastcgi module's location configuration
// (ngx_http_fastcgi_loc_conf_t).
type LocConf struct {
	// U is the shared upstream configuration (fastcgi_connect_timeout,
	// fastcgi_buffering, fastcgi_hide_header...).
	U upstream.Conf
	// Params are the fastcgi_param lines and their compiled sets.
	Params cgi.Params

	// pass is where requests go (fastcgi_pass); inherited by nested
	// blocks, only "if" and "limit_except" blocks use it without their own.
	pass *cgiup.Pass

	index     conf.Str
	keepConn  conf.Flag
	catch     conf.List[string]
	split     *regexp.Regexp
	splitName string
	splitSet  bool
}

// mainConf is the module's http-level state.
type mainConf struct {
	// cores are the core confs of the blocks with their own fastcgi_pass,
	// for the limit_except handler rule.
	cores upstream.PassBlocks
}

func createLoc(*httpd.Config) any {
	lc := &LocConf{U: upstream.Conf{ChangeBuffering: true, HeadExtra: headerLen}}
	// fastcgi has no cache_convert_head: a HEAD is cached as a HEAD
	lc.U.Cache.ConvertHead.Set(false)
	return lc
}

// upstreamDirectives are the shared directives fastcgi has (all but
// pass_trailers).
var upstreamDirectives = []string{"connect_timeout", "send_timeout", "read_timeout",
	"next_upstream_timeout", "next_upstream_tries", "next_upstream", "send_lowat",
	"buffer_size", "buffers", "busy_buffers_size", "temp_file_write_size",
	"max_temp_file_size", "temp_path", "buffering", "request_buffering",
	"pass_request_headers", "pass_request_body", "ignore_client_abort",
	"intercept_errors", "force_ranges", "socket_keepalive", "hide_header",
	"pass_header", "ignore_headers", "limit_rate", "bind", "store", "store_access"}

func directives() []conf.Directive {
	d := []conf.Directive{
		{Name: "fastcgi_pass", Context: conf.HTTPLoc | conf.HTTPLif, Args: conf.Take1, Set: setPass,
			Syntax: "fastcgi_pass address;",
			Doc:    "Sets the address of a FastCGI server: host:port, unix:/path, or an upstream group; variables allowed."},
		{Name: "fastcgi_param", Context: msl, Args: conf.Take23,
			Set:    cgi.SetParam(func(c *LocConf) *cgi.Params { return &c.Params }),
			Syntax: "fastcgi_param parameter value [if_not_empty];",
			Doc:    "Sets a parameter that should be passed to the FastCGI server; a level without fastcgi_param inherits all of its parent's."},
		{Name: "fastcgi_index", Context: msl, Args: conf.Take1,
			Set:    conf.SetStr(func(c *LocConf) *conf.Str { return &c.index }),
			Syntax: "fastcgi_index name;",
			Doc:    "Sets a file name appended after a URI ending with a slash in $fastcgi_script_name."},
		{Name: "fastcgi_split_path_info", Context: msl, Args: conf.Take1, Set: setSplit,
			Syntax: "fastcgi_split_path_info regex;",
			Doc:    "Defines a regular expression (Go RE2) with two captures: $fastcgi_script_name and $fastcgi_path_info."},
		{Name: "fastcgi_keep_conn", Context: msl, Args: conf.FlagArg,
			Set:    conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.keepConn }),
			Syntax: "fastcgi_keep_conn on | off;", Default: "fastcgi_keep_conn off;",
			Doc: "Asks the FastCGI server to keep connections open (FCGI_KEEP_CONN), for upstream keepalive."},
		{Name: "fastcgi_catch_stderr", Context: msl, Args: conf.Take1,
			Set:    conf.SetStrList(func(c *LocConf) *conf.List[string] { return &c.catch }),
			Syntax: "fastcgi_catch_stderr string;",
			Doc:    "Sets a string to search for in the error stream of a response received from a FastCGI server; found before the head, the response is invalid (next upstream)."},
	}
	acc := func(c *LocConf) *upstream.Conf { return &c.U }
	d = append(d, upstream.Directives("fastcgi_", acc, upstreamDirectives...)...)
	for _, cd := range upstream.CacheDirectives("fastcgi_", acc) {
		switch cd.Name {
		case "fastcgi_cache_convert_head":
			continue
		case "fastcgi_cache_key":
			cd.Default = ""
			cd.Doc = "Defines a key for caching (no default: nginx warns when fastcgi_cache has no key)."
		}
		d = append(d, cd)
	}
	return d
}

// setSplit is fastcgi_split_path_info: a regex with exactly 2 captures.
func setSplit(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	re, err := regexp.Compile(c.Arg(0))
	if err != nil {
		return c.Errorf("regex \"%s\" cannot be compiled by RE2 (sluice uses Go's RE2, not PCRE): %s", c.Arg(0), err)
	}
	if re.NumSubexp() != 2 {
		return c.Errorf("pattern \"%s\" must have 2 captures", c.Arg(0))
	}
	lc.split, lc.splitName, lc.splitSet = re, c.Arg(0), true
	return nil
}

// emptyKey is the cache key of a fastcgi_cache without fastcgi_cache_key.
var emptyKey = &httpd.Complex{}

// mergeLoc is ngx_http_fastcgi_merge_loc_conf.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if err := c.U.Merge(cf, &p.U, "fastcgi_", cgi.HideHeaders, "fastcgi_temp"); err != nil {
		return err
	}
	if k := c.U.Cache.Key.Get(); k == nil || k == emptyKey {
		// nginx warns at every level that caches without a key, and
		// caches with an empty one
		if c.U.Cache.Enabled() {
			cf.EndWarnf("no \"fastcgi_cache_key\" for \"fastcgi_cache\"")
		}
		c.U.Cache.Key.Set(emptyKey)
	}
	if c.pass == nil {
		c.pass = p.pass
	}
	c.index.Inherit(p.index, "")
	c.keepConn.Inherit(p.keepConn, false)
	c.catch.Inherit(p.catch, nil)
	if !c.splitSet {
		c.split, c.splitName, c.splitSet = p.split, p.splitName, p.splitSet
	}
	c.Params.Merge(&p.Params, c.U.Cache.Enabled(), cgi.CacheDefaults)
	return nil
}

// postconfiguration gives limit_except blocks the fastcgi handler of
// their location when they inherit its fastcgi_pass (nginx's merge does
// it with clcf->lmt_excpt).
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
