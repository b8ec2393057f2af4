package mapmod

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/bytesconv"
)

func unsafeString(b []byte) string { return bytesconv.String(b) }

// setMap is the "map" block (ngx_http_map_block, ngx_http_map).
func setMap(c *conf.Cmd) error {
	mc := c.Conf.(*mainConf)
	cf := httpd.ConfigOf(c)
	src, err := compileSource(cf, c, c.Arg(0))
	if err != nil {
		return err
	}
	name := c.Arg(1)
	if name == "" || name[0] != '$' {
		return c.Errorf("invalid variable name \"%s\"", name)
	}
	m := &mapVar{src: src, keys: newKeys()}
	v, err := cf.AddVariable(&httpd.Variable{Name: name[1:], Flags: httpd.VarChangeable})
	if err != nil {
		return c.Errorf("%s", err)
	}
	volatile := false
	// identical values share one compiled value, as nginx's values_hash
	values := map[string]*value{}
	err = c.Loader.Walk(&conf.Scope{Context: c.Scope.Context, Parent: c.Scope, Data: c.Scope.Data,
		Handler: func(e *conf.Cmd) error {
			if len(e.Args) == 0 {
				switch e.Name {
				case "hostnames":
					m.hostnames = true
					return nil
				case "volatile":
					volatile = true
					return nil
				}
			}
			if len(e.Args) != 1 {
				return e.Errorf("invalid number of the map parameters")
			}
			val := values[e.Arg(0)]
			if val == nil {
				val, err = compileValue(cf, e, e.Arg(0))
				if err != nil {
					return err
				}
				values[e.Arg(0)] = val
			}
			key := e.Name
			switch {
			case key == "default":
				if m.def != nil {
					return e.Errorf("duplicate default map parameter")
				}
				m.def = val
				return nil
			case len(key) > 0 && key[0] == '~':
				pattern, caseless := key[1:], false
				if len(pattern) > 0 && pattern[0] == '*' {
					pattern, caseless = pattern[1:], true
				}
				re, err := cf.CompileRegex(e, pattern, caseless)
				if err != nil {
					return err
				}
				m.regexes = append(m.regexes, mapRegex{re: re, val: val})
				return nil
			}
			switch err := m.keys.add(keyName(key), val, m.hostnames); err {
			case nil:
				return nil
			case errInvalidKey:
				return e.Errorf("invalid hostname or wildcard \"%s\"", keyName(key))
			default:
				// nginx lowercases the key in place before it finds the conflict
				return e.Errorf("conflicting parameter \"%s\"", strings.ToLower(keyName(key)))
			}
		}}, c.Block)
	if err != nil {
		return err
	}
	if err := mc.checkBuckets(m.keys); err != nil {
		return err
	}
	if volatile {
		v.Flags |= httpd.VarNoCacheable
	}
	v.Get, v.Data = m.get, 0
	return nil
}

// compileValue compiles a map value; one without variables stays text.
func compileValue(cf *httpd.Config, c *conf.Cmd, text string) (*value, error) {
	s, err := compileSource(cf, c, text)
	if err != nil {
		return nil, err
	}
	if lit, ok := s.cv.Literal(); ok {
		return &value{text: lit}, nil
	}
	return &value{src: &s}, nil
}

// checkBuckets applies nginx's hash size checks to a map's keys
// (ngx_hash_init): an element takes a pointer, the key and two bytes,
// rounded to 8, and a bucket must hold it and a terminating pointer.
func (mc *mainConf) checkBuckets(k *keys) error {
	if len(k.exact) == 0 && len(k.headNames) == 0 && len(k.tailNames) == 0 {
		return nil
	}
	maxSize := 2048
	if mc.hashMaxSize.IsSet() {
		maxSize = mc.hashMaxSize.Get()
	}
	bucket := cacheLine
	if mc.hashBucketSize.IsSet() {
		bucket = (mc.hashBucketSize.Get() + cacheLine - 1) / cacheLine * cacheLine
	}
	fail := func(format string, args ...any) error {
		return &conf.Error{NoPos: true, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case maxSize == 0:
		return fail("could not build map_hash, you should increase map_hash_max_size: %d", maxSize)
	case bucket > 65536-cacheLine:
		return fail("could not build map_hash, too large map_hash_bucket_size: %d", bucket)
	case bucket < 16+(k.longest+2+7)/8*8:
		return fail("could not build map_hash, you should increase map_hash_bucket_size: %d", bucket)
	}
	return nil
}
