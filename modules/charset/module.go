package charset

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf and context lookups.
var self httpd.Handle

// order places the filter as nginx's module list does: after sub and
// addition, before SSI (and, for the head, before gzip and the range
// filter, which see the recoded response).
const order = 47

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the charset filter module.
var Module = &httpd.Module{
	Name:   "charset",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "charset", Context: locContexts | conf.HTTPLif, Args: conf.Take1,
			Syntax: "charset charset | off;", Default: "charset off;",
			Doc: "Adds the charset to the response's Content-Type, recoding from source_charset when it differs.",
			Set: setCharset(func(c *LocConf) *conf.Val[ref] { return &c.Charset }, true)},
		{Name: "source_charset", Context: locContexts | conf.HTTPLif, Args: conf.Take1,
			Syntax: "source_charset charset;",
			Doc:    "The charset of responses that do not name one in their Content-Type.",
			Set:    setCharset(func(c *LocConf) *conf.Val[ref] { return &c.Source }, false)},
		{Name: "override_charset", Context: locContexts | conf.HTTPLif, Args: conf.FlagArg,
			Syntax: "override_charset on | off;", Default: "override_charset off;",
			Doc: "Recodes responses that already name a charset (proxied ones) into the charset.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Override })},
		{Name: "charset_types", Context: locContexts, Args: conf.OneMore,
			Syntax:  "charset_types mime-type ...;",
			Default: "charset_types text/html text/xml text/plain text/vnd.wap.wml application/javascript application/rss+xml;",
			Doc:     "MIME types the charset applies to in addition to text/html; \"*\" matches any.",
			Set:     httpd.SetTypes(func(c *LocConf) *httpd.Types { return &c.Types }, defaultTypes...)},
		{Name: "charset_map", Context: conf.HTTPMain, Args: conf.Block | conf.Take2, Level: httpd.MainLevel,
			Syntax: "charset_map charset1 charset2 { ... }",
			Doc:    "Describes the recoding table from one charset to another (utf-8 only as the second).",
			Set:    setMap},
	},
	CreateMain:        func(*httpd.Config) any { return &mainConf{} },
	CreateLoc:         func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:          mergeLoc,
	Postconfiguration: postconfiguration,
}
