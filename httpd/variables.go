package httpd

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/internal/ascii"
)

// VarFlags are a variable's properties (nginx's NGX_HTTP_VAR_*).
type VarFlags uint8

// The variable flags.
const (
	// VarChangeable variables may be redefined by "set".
	VarChangeable VarFlags = 1 << iota
	// VarNoCacheable variables are computed on every use.
	VarNoCacheable
	// VarPrefix marks a prefix variable ("http_", "arg_", ...): it answers
	// every name that starts with its name.
	VarPrefix
	// VarWeak variables may be replaced by "set" without losing their value
	// when set does not run.
	VarWeak
)

// VarGetter computes a variable's value for a request. name is the full
// variable name (useful for prefix variables). It returns ok=false when the
// variable is "not found" (empty in logs as "-", empty in strings).
type VarGetter func(r *Request, name string, data int) (value string, ok bool)

// VarSetter stores a value into a variable (set $limit_rate ...).
type VarSetter func(r *Request, name string, data int, value string)

// Variable is a variable definition.
type Variable struct {
	Name  string
	Get   VarGetter
	Set   VarSetter
	Data  int
	Flags VarFlags
}

// varRegistry holds the variables of one http block: definitions by
// name, prefix definitions, and the indexed variables (those referenced
// by the configuration), resolved when the block is complete.
type varRegistry struct {
	defs     map[string]*Variable
	prefixes []*Variable
	indexed  []*indexedVar
	byName   map[string]int
}

type indexedVar struct {
	name string
	def  *Variable
	// set marks variables that "set" assigns: they exist even without a
	// getter.
	set bool
}

func newVarRegistry() *varRegistry {
	return &varRegistry{defs: map[string]*Variable{}, byName: map[string]int{}}
}

// AddVariable defines a variable. Defining a name twice is an error unless
// both definitions are changeable (nginx's ngx_http_add_variable).
func (cf *Config) AddVariable(v *Variable) (*Variable, error) {
	vr := cf.vars
	// variable names are case-insensitive, as in nginx
	v.Name = ascii.ToLower(v.Name)
	if v.Flags&VarPrefix != 0 {
		for _, p := range vr.prefixes {
			if p.Name == v.Name {
				if v.Flags&VarChangeable == 0 || p.Flags&VarChangeable == 0 {
					return nil, fmt.Errorf("the duplicate \"%s\" variable", v.Name)
				}
				return p, nil
			}
		}
		vr.prefixes = append(vr.prefixes, v)
		return v, nil
	}
	if old, ok := vr.defs[v.Name]; ok {
		if v.Flags&VarChangeable == 0 || old.Flags&VarChangeable == 0 {
			return nil, fmt.Errorf("the duplicate \"%s\" variable", v.Name)
		}
		if v.Flags&VarWeak == 0 {
			old.Flags &^= VarWeak
		}
		return old, nil
	}
	vr.defs[v.Name] = v
	return v, nil
}

// LookupVariable returns the definition of a name (exact or by prefix).
func (cf *Config) LookupVariable(name string) *Variable {
	return cf.vars.lookup(name)
}

func (vr *varRegistry) lookup(name string) *Variable {
	name = ascii.ToLower(name)
	if v := vr.defs[name]; v != nil {
		return v
	}
	var best *Variable
	for _, p := range vr.prefixes {
		if strings.HasPrefix(name, p.Name) && (best == nil || len(p.Name) > len(best.Name)) {
			best = p
		}
	}
	return best
}

// VariableIndex returns the index of a variable for fast per-request
// access; the variable must exist by the end of the http block (else
// "unknown "name" variable").
func (cf *Config) VariableIndex(name string) int {
	vr := cf.vars
	name = ascii.ToLower(name)
	if i, ok := vr.byName[name]; ok {
		return i
	}
	i := len(vr.indexed)
	vr.indexed = append(vr.indexed, &indexedVar{name: name})
	vr.byName[name] = i
	return i
}

// markSet records that "set" assigns variable i, so it exists even with no
// definition.
func (cf *Config) markSet(i int) { cf.vars.indexed[i].set = true }

// check resolves every indexed variable (ngx_http_variables_init_vars).
func (vr *varRegistry) check() error {
	for _, iv := range vr.indexed {
		iv.def = vr.lookup(iv.name)
		if iv.def == nil && !iv.set {
			return &conf.Error{NoPos: true, Msg: fmt.Sprintf("unknown \"%s\" variable", iv.name)}
		}
	}
	return nil
}

// varValue is a request's cached value of an indexed variable.
type varValue struct {
	value string
	state uint8 // 0 unknown, 1 valid, 2 not found, 3 set by "set"
}

const (
	varUnknown uint8 = iota
	varValid
	varNotFound
	varAssigned
)

// Var returns indexed variable i of the request.
func (r *Request) Var(i int) (string, bool) {
	if i >= len(r.vars) {
		r.growVars()
	}
	vv := &r.vars[i]
	switch vv.state {
	case varValid, varAssigned:
		return vv.value, true
	case varNotFound:
		return "", false
	}
	iv := r.Config.vars.indexed[i]
	if iv.def == nil || iv.def.Get == nil {
		vv.state = varNotFound
		return "", false
	}
	if r.varDepth >= maxVarDepth {
		r.logf(errlog.Error, nil, "cycle while evaluating variable \"%s\"", iv.name)
		return "", false
	}
	r.varDepth++
	v, ok := iv.def.Get(r, iv.name, iv.def.Data)
	r.varDepth--
	if iv.def.Flags&VarNoCacheable != 0 {
		return v, ok
	}
	if ok {
		vv.value, vv.state = v, varValid
	} else {
		vv.state = varNotFound
	}
	return v, ok
}

// maxVarDepth bounds variables evaluated inside one another (a map whose
// value names itself), as nginx's ngx_http_variable_depth.
const maxVarDepth = 100

// SetVar assigns indexed variable i (the "set" directive).
func (r *Request) SetVar(i int, value string) {
	if i >= len(r.vars) {
		r.growVars()
	}
	iv := r.Config.vars.indexed[i]
	if iv.def != nil && iv.def.Set != nil {
		iv.def.Set(r, iv.name, iv.def.Data, value)
		return
	}
	r.vars[i] = varValue{value: value, state: varAssigned}
}

// FlushVar forgets a cached value so it is computed again.
func (r *Request) FlushVar(i int) {
	if i < len(r.vars) && r.vars[i].state != varAssigned {
		r.vars[i].state = varUnknown
	}
}

// VarByName evaluates a variable that may not be indexed.
func (r *Request) VarByName(name string) (string, bool) {
	name = ascii.ToLower(name)
	if i, ok := r.Config.vars.byName[name]; ok {
		return r.Var(i)
	}
	v := r.Config.vars.lookup(name)
	if v == nil || v.Get == nil {
		return "", false
	}
	return v.Get(r, name, v.Data)
}

func (r *Request) growVars() {
	n := len(r.Config.vars.indexed)
	if cap(r.vars) >= n {
		r.vars = r.vars[:n]
		return
	}
	nv := make([]varValue, n)
	copy(nv, r.vars)
	r.vars = nv
}
