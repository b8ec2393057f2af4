package referer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/hostmatch"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const contexts = conf.HTTPSrv | conf.HTTPLoc

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
	// table in use. A name's value is the URI prefix the Referer's path
	// must start with, or noURI.
	keys  *hostmatch.Table[*string]
	built *hostmatch.Table[*string]
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
		lc.keys = &hostmatch.Table[*string]{}
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

// noURI is the value of a referer key without a URI part
// (NGX_HTTP_REFERER_NO_URI_PART): any path is valid.
var noURI = new(string)

// addReferer adds a host name with its URI prefix (ngx_http_add_referer).
func addReferer(c *conf.Cmd, k *hostmatch.Table[*string], host, uri string) error {
	v := noURI
	if uri != "" {
		v = &uri
	}
	switch k.Add(host, v) {
	case hostmatch.ErrInvalid:
		return posErr(c, fmt.Sprintf("invalid hostname or wildcard \"%s\"", host))
	case hostmatch.ErrConflict:
		// nginx lowercased the name in place before finding the conflict
		return posErr(c, fmt.Sprintf("conflicting parameter \"%s\"", ascii.ToLower(host)))
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
	if (c.noReferer.Get() || c.blocked.Get()) && c.keys.Empty() {
		return &conf.Error{NoPos: true, Msg: "the \"none\" or \"blocked\" referers are specified in the \"valid_referers\" directive without any valid referer"}
	}
	if msg := c.keys.HashError("referer", int(c.hashMaxSize.Get()), int(c.hashBucketSize.Get())); msg != "" {
		return &conf.Error{NoPos: true, Msg: msg}
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
