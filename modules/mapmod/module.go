// Package mapmod is nginx's ngx_http_map_module: the "map" block, which
// defines a variable whose value depends on another value, and
// "map_hash_max_size" / "map_hash_bucket_size".
//
//	map $http_host $backend {
//	    hostnames;
//	    default        pool_a;
//	    example.com    pool_b;
//	    *.example.com  pool_c;
//	    ~^api\.        $api_pool;
//	    include        more-hosts.map;
//	}
//
// The source is a value with variables; it is looked up, in this order,
// among the exact keys (case-insensitively), then, with "hostnames", the
// most specific wildcard of the forms "*.example.com" / ".example.com"
// (which also matches example.com itself) and then "www.example.*", and
// last the regular expressions in the order written ("~" case-sensitive,
// "~*" case-insensitive; their captures, named ones included, may be used
// in the value). A key starting with "\" loses it, so "\default" or
// "\~x" are plain keys. With no match the value is "default"'s, or empty.
//
// Values may contain variables. The result is computed when the variable
// is first used in a request and kept, unless the map is "volatile".
//
// Like nginx, a key (or a wildcard's label) too long for
// map_hash_bucket_size is an error ("could not build map_hash, you should
// increase map_hash_bucket_size"); map_hash_max_size is accepted, but sluice
// never runs out of hash slots (Go maps grow).
//
// Directives
//
//	Syntax:  map string $variable { ... }
//	Context: http
//
//	Syntax:  map_hash_max_size size;
//	Default: map_hash_max_size 2048;
//	Context: http
//
//	Syntax:  map_hash_bucket_size size;
//	Default: map_hash_bucket_size 32|64|128;
//	Context: http
//
// Regular expressions are Go's RE2 (see httpd.CompileRegex).
package mapmod

import (
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/hostmatch"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

// Module is the map HTTP module (ngx_http_map_module).
var Module = &httpd.Module{
	Name:   "map",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "map", Context: conf.HTTPMain, Args: conf.Block | conf.Take2, Level: httpd.MainLevel,
			Syntax: "map string $variable { ... }", Set: setMap,
			Doc: "Defines a variable whose value depends on the string: exact keys, hostname wildcards, then regular expressions (RE2) in order."},
		{Name: "map_hash_max_size", Context: conf.HTTPMain, Args: conf.Take1, Level: httpd.MainLevel,
			Syntax: "map_hash_max_size size;", Default: "map_hash_max_size 2048;",
			Set: conf.SetNum(func(c *mainConf) *conf.Num { return &c.hashMaxSize }),
			Doc: "Accepted; sluice's maps have no fixed number of slots."},
		{Name: "map_hash_bucket_size", Context: conf.HTTPMain, Args: conf.Take1, Level: httpd.MainLevel,
			Syntax: "map_hash_bucket_size size;", Default: "map_hash_bucket_size 64;",
			Set: conf.SetNum(func(c *mainConf) *conf.Num { return &c.hashBucketSize }),
			Doc: "Limits the length of keys as nginx does: a key needs 16 bytes more than its length, rounded up to 8, and the size is rounded up to 64."},
	},
	CreateMain: func(*httpd.Config) any { return &mainConf{} },
}

// mainConf holds the hash size settings, read when each map block ends.
type mainConf struct {
	hashMaxSize, hashBucketSize conf.Num
}

// cacheLine is the x86-64 cache line size nginx rounds bucket sizes to.
const cacheLine = 64

// mapVar is one map: its source, keys and default.
type mapVar struct {
	src       source
	keys      hostmatch.Table[*value]
	regexes   []mapRegex
	def       *value
	hostnames bool
}

// mapRegex is a "~regex value" entry.
type mapRegex struct {
	re  *httpd.Regex
	val *value
}

// source is a compiled value (a lone variable comes back from
// Complex.Eval without copying).
type source struct {
	cv *httpd.Complex
}

func compileSource(cf *httpd.Config, c *conf.Cmd, text string) (source, error) {
	x, err := cf.Compile(c, text)
	if err != nil {
		return source{}, err
	}
	return source{cv: x}, nil
}

func (s *source) eval(r *httpd.Request) string { return s.cv.Eval(r) }

// value is a map value: literal text, or a value with variables.
type value struct {
	text string
	src  *source
}

func (v *value) eval(r *httpd.Request) string {
	if v.src == nil {
		return v.text
	}
	return v.src.eval(r)
}

// get is the map variable's getter (ngx_http_map_variable): the value is
// always found, empty when no key matched and there is no default.
func (m *mapVar) get(r *httpd.Request, _ string, _ int) (string, bool) {
	key := m.src.eval(r)
	if m.hostnames && len(key) > 0 && key[len(key)-1] == '.' {
		key = key[:len(key)-1]
	}
	v := m.find(r, key)
	if v == nil {
		v = m.def
		if v == nil {
			return "", true
		}
	}
	return v.eval(r), true
}

// find looks key up (ngx_http_map_find).
func (m *mapVar) find(r *httpd.Request, key string) *value {
	if v, ok := m.keys.Find(lower(r, key)); ok {
		return v
	}
	if key == "" {
		return nil
	}
	for i := range m.regexes {
		if r.RegexExec(m.regexes[i].re, key) {
			return m.regexes[i].val
		}
	}
	return nil
}

// lower returns s lowercased, in the request's scratch memory when it has
// capitals (no allocation).
func lower(r *httpd.Request, s string) string {
	i := 0
	for ; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s
	}
	b := r.Scratch()
	start := len(*b)
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		*b = append(*b, c)
	}
	return unsafeString((*b)[start:])
}

// keyName strips the "\" that lets a key look like a keyword or a regex.
func keyName(k string) string {
	return strings.TrimPrefix(k, "\\")
}
