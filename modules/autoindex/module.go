package autoindex

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// self is the module's identity for conf lookups.
var self httpd.Handle

// The listing formats (autoindex_format).
const (
	FormatHTML = iota
	FormatJSON
	FormatJSONP
	FormatXML
)

var formats = conf.Enum[int]{{"html", FormatHTML}, {"json", FormatJSON}, {"jsonp", FormatJSONP}, {"xml", FormatXML}}

const httpMSL = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the autoindex module.
var Module = &httpd.Module{
	Name:   "autoindex",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "autoindex", Context: httpMSL, Args: conf.FlagArg,
			Syntax: "autoindex on | off;", Default: "autoindex off;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Enable }),
			Doc: "Lists the directory for requests ending with a slash."},
		{Name: "autoindex_format", Context: httpMSL, Args: conf.Take1,
			Syntax: "autoindex_format html | xml | json | jsonp;", Default: "autoindex_format html;",
			Set: conf.SetEnum(formats, func(c *LocConf) *conf.Val[int] { return &c.Format }),
			Doc: "Format of the directory listing."},
		{Name: "autoindex_localtime", Context: httpMSL, Args: conf.FlagArg,
			Syntax: "autoindex_localtime on | off;", Default: "autoindex_localtime off;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Localtime }),
			Doc: "Shows times in the HTML listing in local time rather than UTC."},
		{Name: "autoindex_exact_size", Context: httpMSL, Args: conf.FlagArg,
			Syntax: "autoindex_exact_size on | off;", Default: "autoindex_exact_size on;",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.ExactSize }),
			Doc: "Shows exact file sizes in the HTML listing, or sizes rounded to kilobytes, megabytes and gigabytes."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc:  mergeLoc,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHandler(httpd.Content, handler)
		return nil
	},
}

// LocConf is the autoindex module's configuration of a block.
type LocConf struct {
	Enable    conf.Flag
	Format    conf.Val[int]
	Localtime conf.Flag
	ExactSize conf.Flag
}

func mergeLoc(_ *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.Enable.Inherit(p.Enable, false)
	c.Format.Inherit(p.Format, FormatHTML)
	c.Localtime.Inherit(p.Localtime, false)
	c.ExactSize.Inherit(p.ExactSize, true)
	return nil
}
