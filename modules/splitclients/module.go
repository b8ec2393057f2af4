package splitclients

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// Module is the split_clients HTTP module (ngx_http_split_clients_module).
var Module = &httpd.Module{
	Name: "split_clients",
	Directives: []conf.Directive{
		{Name: "split_clients", Context: conf.HTTPMain, Args: conf.Block | conf.Take2, Level: httpd.MainLevel,
			Syntax: "split_clients string $variable { ... }", Set: setSplit,
			Doc: "Defines a variable for A/B testing: the MurmurHash2 of the string picks the value of the part its percentage falls in, as nginx does."},
	},
}

// part is one line of the block: its upper bound on the hash (0: the
// rest) and its value.
type part struct {
	percent uint32
	value   string
}

type split struct {
	src   *httpd.Complex
	parts []part
}

// get is the variable's getter (ngx_http_split_clients_variable).
func (s *split) get(r *httpd.Request, _ string, _ int) (string, bool) {
	h := MurmurHash2(s.src.Eval(r))
	for i := range s.parts {
		if h < s.parts[i].percent || s.parts[i].percent == 0 {
			return s.parts[i].value, true
		}
	}
	return "", true
}

// MurmurHash2 is nginx's ngx_murmur_hash2 (Austin Appleby's MurmurHash2
// with seed 0, little-endian words).
func MurmurHash2(data string) uint32 {
	const m = 0x5bd1e995
	h := uint32(len(data))
	for len(data) >= 4 {
		k := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// setSplit is the "split_clients" block (ngx_conf_split_clients_block).
func setSplit(c *conf.Cmd) error {
	cf := httpd.ConfigOf(c)
	src, err := cf.Compile(c, c.Arg(0))
	if err != nil {
		return err
	}
	name := c.Arg(1)
	if name == "" || name[0] != '$' {
		return c.Errorf("invalid variable name \"%s\"", name)
	}
	if name == "$" {
		return c.Errorf("invalid variable name \"$\"")
	}
	v, err := cf.AddVariable(&httpd.Variable{Name: name[1:], Flags: httpd.VarChangeable})
	if err != nil {
		return c.Errorf("%s", err)
	}
	s := &split{src: src}
	err = c.Loader.Walk(&conf.Scope{Context: c.Scope.Context, Parent: c.Scope, Data: c.Scope.Data,
		HandlerIncludes: true,
		Handler: func(e *conf.Cmd) error {
			p := part{}
			if e.Name != "*" {
				n, ok := ParsePercent(e.Name)
				if !ok {
					return e.Errorf("invalid percent value \"%s\"", e.Name)
				}
				p.percent = n
			}
			// nginx reads the second word without checking there is one
			if len(e.Args) > 0 {
				p.value = e.Arg(0)
			}
			s.parts = append(s.parts, p)
			return nil
		}}, c.Block)
	if err != nil {
		return err
	}
	var sum, last uint32
	for i := range s.parts {
		p := &s.parts[i]
		if p.percent != 0 {
			sum += p.percent
		} else {
			sum = 10000
		}
		if sum == 10000 {
			p.percent = 0
		}
		if sum > 10000 {
			return c.EndErrorf("percent total is greater than 100%%")
		}
		if p.percent != 0 {
			last += uint32(uint64(p.percent) * 0xffffffff / 10000)
			p.percent = last
		}
	}
	v.Get, v.Data = s.get, 0
	return nil
}

// ParsePercent reads "NN.NN%" as nginx (ngx_atofp with two decimals, in
// hundredths); 0 and anything else are refused. The result is truncated to
// 32 bits as nginx stores it.
func ParsePercent(s string) (uint32, bool) {
	if s == "" || s[len(s)-1] != '%' {
		return 0, false
	}
	n, ok := atofp(s[:len(s)-1], 2)
	if !ok || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// atofp is ngx_atofp: a decimal number with at most point decimals,
// scaled by 10^point.
func atofp(s string, point int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const maxInt = 1<<63 - 1
	const cutoff, cutlim = maxInt / 10, maxInt % 10
	var value int64
	dot := false
	for i := 0; i < len(s); i++ {
		if point == 0 {
			return 0, false
		}
		c := s[i]
		if c == '.' {
			if dot {
				return 0, false
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if value >= cutoff && (value > cutoff || int64(c-'0') > cutlim) {
			return 0, false
		}
		value = value*10 + int64(c-'0')
		if dot {
			point--
		}
	}
	for ; point > 0; point-- {
		if value > cutoff {
			return 0, false
		}
		value *= 10
	}
	return value, true
}
