package rewrite

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

// Module is the rewrite HTTP module (ngx_http_rewrite_module).
var Module = &httpd.Module{
	Name:   "rewrite",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "rewrite", Context: conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.Take23,
			Syntax: "rewrite regex replacement [flag];", Set: setRewrite,
			Doc: "Changes the request URI when it matches regex; with a flag, stops processing the statements or redirects."},
		{Name: "return", Context: conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.Take12,
			Syntax: "return code [text];\nreturn code URL;\nreturn URL;", Set: setReturn,
			Doc: "Stops processing and returns the code to the client, with a body text or a redirect URL."},
		{Name: "break", Context: conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.NoArgs,
			Syntax: "break;", Set: setBreak,
			Doc: "Stops processing the current set of rewrite module statements."},
		{Name: "if", Context: conf.HTTPSrv | conf.HTTPLoc, Args: conf.Block | conf.OneMore,
			Syntax: "if (condition) { ... }", Set: setIf,
			Doc: "Runs the statements of the block, with the block's configuration, when the condition holds."},
		{Name: "set", Context: conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.Take2,
			Syntax: "set $variable value;", Set: setSet,
			Doc: "Sets a value for the variable; the value may contain text, variables and their combination."},
		{Name: "rewrite_log", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.FlagArg,
			Syntax: "rewrite_log on | off;", Default: "rewrite_log off;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Log }),
			Doc: "Logs the rewrite module's regex matches and rewritten URIs at the notice level."},
		{Name: "uninitialized_variable_warn", Context: conf.HTTPMain | conf.HTTPSrv | conf.HTTPSif | conf.HTTPLoc | conf.HTTPLif, Args: conf.FlagArg,
			Syntax: "uninitialized_variable_warn on | off;", Default: "uninitialized_variable_warn on;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.WarnUninitialized }),
			Doc: "Logs a warning when a variable that only \"set\" defines is read before it was set."},
	},
	CreateMain:        func(*httpd.Config) any { return &mainConf{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Postconfiguration: postconfiguration,
}

// LocConf is the rewrite module's configuration of one server, location or
// "if" block.
type LocConf struct {
	// Log is rewrite_log; WarnUninitialized is uninitialized_variable_warn.
	Log               conf.Flag
	WarnUninitialized conf.Flag

	// code is the block's statements in order. Like nginx's codes array it
	// is not inherited: a location without statements runs none, even when
	// its server has some (those run in the server rewrite phase). An "if"
	// block's statements belong to the enclosing block's code, so an "if"
	// location's own code is empty.
	code []stmt
}

// mainConf holds what the module shares in one http block.
type mainConf struct {
	// reset is an always-matching regex without captures, used to clear
	// the request's captures after a failed match (nginx's
	// r->ncaptures = 0).
	reset *httpd.Regex
}

func mergeLoc(_ *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.Log.Inherit(p.Log, false)
	c.WarnUninitialized.Inherit(p.WarnUninitialized, true)
	return nil
}

// postconfiguration installs the handler in both rewrite phases
// (ngx_http_rewrite_init).
func postconfiguration(cf *httpd.Config) error {
	cf.AddHandler(httpd.ServerRewrite, serverRewriteHandler)
	cf.AddHandler(httpd.Rewrite, rewriteHandler)
	return nil
}

// serverRewriteHandler runs the server block's statements.
func serverRewriteHandler(r *httpd.Request) httpd.Status {
	return runCode(r)
}

// rewriteHandler runs the location's statements. A request that matched
// no location is still in its server's own conf, whose statements already
// ran in the server rewrite phase.
func rewriteHandler(r *httpd.Request) httpd.Status {
	if r.Loc == r.Srv.Loc {
		return httpd.Declined
	}
	return runCode(r)
}

// locConf returns the rewrite conf of the block in effect for r.
func locConf(r *httpd.Request) *LocConf { return httpd.LocConf[LocConf](r, &self) }

// cmdLocConf returns the conf a directive of this module is applied to.
func cmdLocConf(c *conf.Cmd) *LocConf { return c.Conf.(*LocConf) }

// mainOf returns the http block's shared conf for a directive.
func mainOf(c *conf.Cmd) *mainConf {
	return httpd.ConfigOf(c).MainConf(&self).(*mainConf)
}
