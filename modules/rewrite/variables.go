package rewrite

import (
	"github.com/sluicehq/sluice/errlog"
	"github.com/sluicehq/sluice/httpd"
)

// defineSetVariable makes sure "set" can assign the variable name, as
// ngx_http_rewrite_set does: an existing changeable variable is reused (a
// non-changeable one is "the duplicate" error), and a new one is weak.
//
// A weak variable yields to a prefix variable its name falls under: "set
// $http_foo" assigns $http_foo where it runs, and elsewhere $http_foo is
// still the request header (nginx resolves this when it indexes
// variables). A variable with no other definition reads as empty, with the
// "using uninitialized" warning, until it is set.
func defineSetVariable(cf *httpd.Config, name string) error {
	prev := cf.LookupVariable(name)
	if prev != nil && prev.Name == name && prev.Flags&httpd.VarPrefix == 0 {
		v, err := cf.AddVariable(&httpd.Variable{Name: name, Flags: httpd.VarChangeable | httpd.VarWeak})
		if err != nil {
			return err
		}
		if v.Get == nil {
			v.Get = uninitialized
		}
		return nil
	}
	v := &httpd.Variable{Name: name, Flags: httpd.VarChangeable | httpd.VarWeak, Get: uninitialized}
	if prev != nil && prev.Get != nil {
		get, data := prev.Get, prev.Data
		v.Get = func(r *httpd.Request, name string, _ int) (string, bool) { return get(r, name, data) }
		v.Flags |= prev.Flags & httpd.VarNoCacheable
	}
	_, err := cf.AddVariable(v)
	return err
}

// uninitialized is the getter of a variable only "set" defines, read
// before any "set" ran for the request (ngx_http_rewrite_var).
func uninitialized(r *httpd.Request, name string, _ int) (string, bool) {
	if lc := locConf(r); lc != nil && lc.WarnUninitialized.Get() {
		r.Log().Logf(errlog.Warn, r, nil, "using uninitialized \"%s\" variable", name)
	}
	return "", true
}
