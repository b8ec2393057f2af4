package referer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPSrv | conf.HTTPLoc

// cacheLine is nginx's ngx_cacheline_size on x86-64: bucket sizes are
// rounded up to it.
const cacheLine = 64

// Module is the referer HTTP module (ngx_http_referer_module).
var Module = &httpd.Module{
	Name:   "referer",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "valid_referers", Context: contexts, Args: conf.OneMore, Set: setValidReferers,
			Syntax: "valid_referers none | blocked | server_names | string ...;",
			Doc:    "Lists the Referer values for which $invalid_referer is empty: none (no Referer), blocked (not http:// or https://), server_names (the server's names), host names with wildcards and an optional URI prefix, and ~regular expressions (RE2, case-insensitive)."},
		{Name: "referer_hash_max_size", Context: contexts, Args: conf.Take1,
			Set:    conf.SetNum(func(c *LocConf) *conf.Num { return &c.hashMaxSize }),
			Syntax: "referer_hash_max_size size;", Default: "referer_hash_max_size 2048;",
			Doc: "Accepted; sluice's name tables have no fixed number of slots (0 is refused as by nginx)."},
		{Name: "referer_hash_bucket_size", Context: contexts, Args: conf.Take1,
			Set:    conf.SetNum(func(c *LocConf) *conf.Num { return &c.hashBucketSize }),
			Syntax: "referer_hash_bucket_size size;", Default: "referer_hash_bucket_size 64;",
			Doc: "Limits the length of host names as nginx does: a name needs 16 bytes more than its length, rounded up to 8; the size is rounded up to 64."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  merge,
	Preconfiguration: func(cf *httpd.Config) error {
		_, err := cf.AddVariable(&httpd.Variable{Name: "invalid_referer", Get: variable, Flags: httpd.VarChangeable})
		return err
	},
}

// LocConf is the referer settings of one level.
type LocConf struct {
	// keys are the names of this level's valid_referers, nil when the level
	// has none (it then inherits its parent's table); built names the
	// table in use.
	keys  *keys
	built *keys
	// regex and serverNameRegex are the ~patterns and the server's regex
	// names; regexSet is set when the level defined its own.
	regex, serverNameRegex []*httpd.Regex
	regexSet               bool
	noReferer, blocked     conf.Flag
	serverNames            bool

	hashMaxSize, hashBucketSize conf.Num
}

// setValidReferers is "valid_referers" (ngx_http_valid_referers).
func setValidReferers(c *conf.Cmd) error {
	lc := c.Conf.(*LocConf)
	cf, _, _ := httpd.BlockOf(c)
	if lc.keys == nil {
		lc.keys = newKeys()
	}
	for _, v := range c.Args {
		switch {
		case v == "":
			return c.Errorf("invalid referer \"%s\"", v)
		case v == "none":
			lc.noReferer.Set(true)
			continue
		case v == "blocked":
			lc.blocked.Set(true)
			continue
		case v == "server_names":
			lc.serverNames = true
			continue
		case v[0] == '~':
			if len(v) == 1 {
				return c.Errorf("empty regex in \"%s\"", v)
			}
			re, err := cf.CompileRegex(c, v[1:], true)
			if err != nil {
				return err
			}
			lc.regex = append(lc.regex, re)
			lc.regexSet = true
			continue
		}
		host, uri := v, ""
		if i := strings.IndexByte(v, '/'); i >= 0 {
			host, uri = v[:i], v[i:]
		}
		if err := addReferer(c, lc.keys, host, uri); err != nil {
			return err
		}
	}
	return nil
}

// addReferer adds a host name with its URI prefix (ngx_http_add_referer).
func addReferer(c *conf.Cmd, k *keys, host, uri string) error {
	v := noURI
	if uri != "" {
		v = &uri
	}
	switch k.add(host, v) {
	case errInvalidKey:
		return posErr(c, fmt.Sprintf("invalid hostname or wildcard \"%s\"", host))
	case errConflicting:
		// nginx lowercased the name in place before finding the conflict
		return posErr(c, fmt.Sprintf("conflicting parameter \"%s\"", strings.ToLower(host)))
	}
	return nil
}

// posErr is an error at the directive, or without a position at merge
// time (c is nil): httpd places it at the http block's closing brace, as
// nginx does.
func posErr(c *conf.Cmd, msg string) error {
	if c == nil {
		return errors.New(msg)
	}
	return c.Errorf("%s", msg)
}

// merge is ngx_http_referer_merge_conf: a level without valid_referers
// inherits its parent's; one with builds its table, adding the server's
// names for server_names.
func merge(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.hashMaxSize.Inherit(p.hashMaxSize, 2048)
	c.hashBucketSize.Inherit(p.hashBucketSize, 64)
	if c.keys == nil {
		c.built = p.built
		if !c.regexSet {
			c.regex, c.serverNameRegex = p.regex, p.serverNameRegex
		}
		c.noReferer.Inherit(p.noReferer, false)
		c.blocked.Inherit(p.blocked, false)
		return nil
	}
	if c.serverNames {
		if s := cf.MergingServer(); s != nil {
			for _, sn := range s.ServerNames() {
				if sn.Regex != nil {
					c.serverNameRegex = append(c.serverNameRegex, sn.Regex)
					continue
				}
				if err := addReferer(nil, c.keys, sn.Name, ""); err != nil {
					return err
				}
			}
		}
	}
	if (c.noReferer.Get() || c.blocked.Get()) && c.keys.empty() {
		return &conf.Error{NoPos: true, Msg: "the \"none\" or \"blocked\" referers are specified in the \"valid_referers\" directive without any valid referer"}
	}
	if err := checkBuckets(c.keys, int(c.hashMaxSize.Get()), int(c.hashBucketSize.Get())); err != nil {
		return err
	}
	if !c.regexSet {
		c.regex = p.regex
	}
	if c.serverNameRegex == nil {
		c.serverNameRegex = p.serverNameRegex
	}
	// a level with its own valid_referers does not inherit none and
	// blocked (nginx merges them only for a level without)
	c.built = c.keys
	return nil
}

// checkBuckets applies ngx_hash_init's checks: an element takes a pointer,
// the name and two bytes, rounded to 8, and a bucket must hold it and a
// terminating pointer.
func checkBuckets(k *keys, maxSize, bucket int) error {
	if k.empty() {
		return nil
	}
	bucket = (bucket + cacheLine - 1) / cacheLine * cacheLine
	fail := func(format string, args ...any) error {
		return &conf.Error{NoPos: true, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case maxSize == 0:
		return fail("could not build referer_hash, you should increase referer_hash_max_size: %d", maxSize)
	case bucket > 65536-cacheLine:
		return fail("could not build referer_hash, too large referer_hash_bucket_size: %d", bucket)
	case bucket < 16+(k.longest+2+7)/8*8:
		return fail("could not build referer_hash, you should increase referer_hash_bucket_size: %d", bucket)
	}
	return nil
}
