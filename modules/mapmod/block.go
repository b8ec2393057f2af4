package mapmod

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
	"github.com/sluicehq/sluice/internal/bytesconv"
	"github.com/sluicehq/sluice/internal/hostmatch"
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
	m := &mapVar{src: src}
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
			add := m.keys.AddExact
			if m.hostnames {
				add = m.keys.Add
			}
			switch err := add(keyName(key), val); err {
			case nil:
				return nil
			case hostmatch.ErrInvalid:
				return e.Errorf("invalid hostname or wildcard \"%s\"", keyName(key))
			default:
				// nginx lowercases the key in place before it finds the conflict
				return e.Errorf("conflicting parameter \"%s\"", ascii.ToLower(keyName(key)))
			}
		}}, c.Block)
	if err != nil {
		return err
	}
	if err := mc.checkBuckets(&m.keys); err != nil {
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
// (ngx_hash_init), with map_hash_max_size and map_hash_bucket_size.
func (mc *mainConf) checkBuckets(k *hostmatch.Table[*value]) error {
	maxSize, bucket := 2048, cacheLine
	if mc.hashMaxSize.IsSet() {
		maxSize = mc.hashMaxSize.Get()
	}
	if mc.hashBucketSize.IsSet() {
		bucket = mc.hashBucketSize.Get()
	}
	if msg := k.HashError("map", maxSize, bucket); msg != "" {
		return &conf.Error{NoPos: true, Msg: msg}
	}
	return nil
}
