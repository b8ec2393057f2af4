package dav

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

// methodsOff is the "off" bit of dav_methods (NGX_HTTP_DAV_OFF).
const methodsOff = httpd.MethodUnknown

// methods are dav_methods' names.
var methods = conf.Enum[uint32]{
	{Name: "off", Value: methodsOff},
	{Name: "put", Value: uint32(httpd.MethodPUT)},
	{Name: "delete", Value: uint32(httpd.MethodDELETE)},
	{Name: "mkcol", Value: uint32(httpd.MethodMKCOL)},
	{Name: "copy", Value: uint32(httpd.MethodCOPY)},
	{Name: "move", Value: uint32(httpd.MethodMOVE)},
}

// Module is the dav module.
var Module = &httpd.Module{
	Name:   "dav",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "dav_methods", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.OneMore,
			Syntax: "dav_methods off | method ...;", Default: "dav_methods off;",
			Doc: "Allows the WebDAV methods PUT, DELETE, MKCOL, COPY and MOVE.",
			Set: conf.SetBitmask(methods, loc(func(c *LocConf) *conf.Val[uint32] { return &c.Methods }))},
		{Name: "create_full_put_path", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.FlagArg,
			Syntax: "create_full_put_path on | off;", Default: "create_full_put_path off;",
			Doc: "Creates the missing directories of a PUT path.",
			Set: conf.SetFlag(loc(func(c *LocConf) *conf.Flag { return &c.CreateFullPutPath }))},
		{Name: "min_delete_depth", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take1,
			Syntax: "min_delete_depth number;", Default: "min_delete_depth 0;",
			Doc: "Refuses DELETE of URIs with fewer path elements than number.",
			Set: conf.SetNum(loc(func(c *LocConf) *conf.Num { return &c.MinDeleteDepth }))},
		{Name: "dav_access", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc, Args: conf.Take123,
			Syntax: "dav_access users:permissions ...;", Default: "dav_access user:rw;",
			Doc: "Sets the permissions of files and directories PUT, MKCOL, COPY and MOVE create.",
			Set: conf.SetAccess(loc(func(c *LocConf) *conf.Val[uint32] { return &c.Access }))},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Methods.Inherit(p.Methods, methodsOff)
		c.MinDeleteDepth.Inherit(p.MinDeleteDepth, 0)
		c.Access.Inherit(p.Access, 0o600)
		c.CreateFullPutPath.Inherit(p.CreateFullPutPath, false)
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// LocConf is the dav location conf (ngx_http_dav_loc_conf_t).
type LocConf struct {
	// Methods is the bitmask of httpd.Method* bits allowed.
	Methods conf.Val[uint32]
	// MinDeleteDepth is min_delete_depth.
	MinDeleteDepth conf.Num
	// Access is dav_access, the Unix mode of created files.
	Access conf.Val[uint32]
	// CreateFullPutPath is create_full_put_path.
	CreateFullPutPath conf.Flag
}

func loc[F any](get func(*LocConf) *F) func(*LocConf) *F { return get }

// handler dispatches the allowed DAV methods (ngx_http_dav_handler).
func handler(r *httpd.Request) httpd.Status {
	lc := httpd.LocConf[LocConf](r, &self)
	if r.MethodBit&lc.Methods.Get() == 0 {
		return httpd.Declined
	}
	switch r.MethodBit {
	case httpd.MethodPUT:
		return put(r, lc)
	case httpd.MethodDELETE:
		return deleteHandler(r, lc)
	case httpd.MethodMKCOL:
		return mkcol(r, lc)
	case httpd.MethodCOPY, httpd.MethodMOVE:
		return copyMove(r, lc)
	}
	return httpd.Declined
}
