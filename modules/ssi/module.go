package ssi

import (
	"strconv"
	"time"

	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
)

// Filter orders: after the addition filter, before the postpone stage (as
// nginx's ngx_http_ssi_filter_module sits in its filter list), and before
// the range filter's header filter so that the length it clears is gone.
const order = 50

// self is the module's identity for conf and context lookups.
var self httpd.Handle

const locContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc

// Module is the SSI filter module (ngx_http_ssi_filter_module).
var Module = &httpd.Module{
	Name:   "ssi",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "ssi", Context: locContexts | conf.HTTPLif, Args: conf.FlagArg,
			Syntax: "ssi on | off;", Default: "ssi off;",
			Doc: "Enables or disables processing of SSI commands in responses.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.Enable })},
		{Name: "ssi_silent_errors", Context: locContexts, Args: conf.FlagArg,
			Syntax: "ssi_silent_errors on | off;", Default: "ssi_silent_errors off;",
			Doc: "Suppresses the error string of commands that fail.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.SilentErrors })},
		{Name: "ssi_ignore_recycled_buffers", Context: locContexts, Args: conf.FlagArg,
			Syntax: "ssi_ignore_recycled_buffers on | off;", Default: "ssi_ignore_recycled_buffers off;",
			Doc: "Accepted for compatibility (nginx's undocumented buffer tuning; no effect).",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.IgnoreRecycled })},
		{Name: "ssi_min_file_chunk", Context: locContexts, Args: conf.Take1,
			Syntax: "ssi_min_file_chunk size;", Default: "ssi_min_file_chunk 1k;",
			Doc: "Parts of a file longer than this are sent from the file rather than from memory.",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.MinFileChunk })},
		{Name: "ssi_value_length", Context: locContexts, Args: conf.Take1,
			Syntax: "ssi_value_length length;", Default: "ssi_value_length 256;",
			Doc: "Maximum length of parameter values; as in nginx's code, values may have 255 bytes by default.",
			Set: conf.SetSize(func(c *LocConf) *conf.Size { return &c.ValueLen })},
		{Name: "ssi_types", Context: locContexts, Args: conf.OneMore,
			Syntax: "ssi_types mime-type ...;", Default: "ssi_types text/html;",
			Doc: "MIME types processed in addition to text/html; \"*\" matches any.",
			Set: httpd.SetTypes(func(c *LocConf) *httpd.Types { return &c.Types }, "text/html")},
		{Name: "ssi_last_modified", Context: locContexts, Args: conf.FlagArg,
			Syntax: "ssi_last_modified on | off;", Default: "ssi_last_modified off;",
			Doc: "Keeps Last-Modified (and a weakened ETag) of processed responses.",
			Set: conf.SetFlag(func(c *LocConf) *conf.Flag { return &c.LastModified })},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{} },
	MergeLoc: func(_ *httpd.Config, parent, child any) error {
		p, c := parent.(*LocConf), child.(*LocConf)
		c.Enable.Inherit(p.Enable, false)
		c.SilentErrors.Inherit(p.SilentErrors, false)
		c.IgnoreRecycled.Inherit(p.IgnoreRecycled, false)
		c.LastModified.Inherit(p.LastModified, false)
		c.MinFileChunk.Inherit(p.MinFileChunk, 1024)
		c.ValueLen.Inherit(p.ValueLen, 255)
		c.Types.Inherit(&p.Types, "text/html")
		return nil
	},
	Preconfiguration: func(cf *httpd.Config) error {
		for _, v := range []*httpd.Variable{
			{Name: "date_local", Get: dateVariable, Data: 0, Flags: httpd.VarNoCacheable},
			{Name: "date_gmt", Get: dateVariable, Data: 1, Flags: httpd.VarNoCacheable},
		} {
			if _, err := cf.AddVariable(v); err != nil {
				return err
			}
		}
		return nil
	},
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(order, headerFilter)
		cf.AddBodyFilter(order, bodyFilter)
		return nil
	},
}

// LocConf is the module's location configuration.
type LocConf struct {
	Enable         conf.Flag
	SilentErrors   conf.Flag
	IgnoreRecycled conf.Flag
	LastModified   conf.Flag
	MinFileChunk   conf.Size
	ValueLen       conf.Size
	Types          httpd.Types
}

// defaultTimefmt is the timefmt before any "config timefmt".
const defaultTimefmt = "%A, %d-%b-%Y %H:%M:%S %Z"

// defaultErrmsg is the text output for a failed command.
const defaultErrmsg = "[an error occurred while processing the directive]"

// dateVariable is $date_local (data 0) and $date_gmt (data 1), formatted
// with the request's timefmt.
func dateVariable(r *httpd.Request, _ string, gmt int) (string, bool) {
	format := defaultTimefmt
	if x := httpd.Ctx[ctx](r, &self); x != nil {
		format = x.timefmt
	}
	now := time.Now()
	if format == "%s" {
		return strconv.FormatInt(now.Unix(), 10), true
	}
	var s string
	if gmt == 1 {
		s = Strftime(format, now.UTC(), "GMT")
	} else {
		zone, _ := now.Zone()
		s = Strftime(format, now, zone)
	}
	// strftime() fails on an empty result or one longer than nginx's
	// buffer
	if s == "" || len(s) >= 2048 {
		return "", false
	}
	return s, true
}
