package headers

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// self is the module's identity for conf lookups (see httpd.Handle).
var self httpd.Handle

const headerContexts = conf.HTTPMain | conf.HTTPSrv | conf.HTTPLoc | conf.HTTPLif

// The inheritance modes of add_header_inherit and add_trailer_inherit.
const (
	inheritOff = iota
	inheritOn
	inheritMerge
)

var inheritModes = conf.Enum[int]{{"off", inheritOff}, {"on", inheritOn}, {"merge", inheritMerge}}

// Module is the headers filter HTTP module (ngx_http_headers_filter_module).
var Module = &httpd.Module{
	Name:   "headers",
	Handle: &self,
	Directives: []conf.Directive{
		{Name: "expires", Context: headerContexts, Args: conf.Take12,
			Syntax: "expires [modified] time;\nexpires epoch | max | off;", Default: "expires off;", Set: setExpires,
			Doc: "Sets Expires and Cache-Control for responses with status 200, 201, 204, 206, 301, 302, 303, 304, 307 and 308."},
		{Name: "add_header", Context: headerContexts, Args: conf.Take23,
			Syntax: "add_header name value [always];", Set: setAdd(false),
			Doc: "Adds a response header field for the same statuses as expires, or for every status with always."},
		{Name: "add_trailer", Context: headerContexts, Args: conf.Take23,
			Syntax: "add_trailer name value [always];", Set: setAdd(true),
			Doc: "Adds a trailer field at the end of a (chunked) response."},
		{Name: "add_header_inherit", Context: headerContexts, Args: conf.Take1,
			Syntax: "add_header_inherit on | off | merge;", Default: "add_header_inherit on;",
			Set: conf.SetEnum(inheritModes, func(c *LocConf) *conf.Val[int] { return &c.headersInherit }),
			Doc: "Whether a level with add_header directives of its own also gets its parent's (merge), or a level without gets none (off)."},
		{Name: "add_trailer_inherit", Context: headerContexts, Args: conf.Take1,
			Syntax: "add_trailer_inherit on | off | merge;", Default: "add_trailer_inherit on;",
			Set: conf.SetEnum(inheritModes, func(c *LocConf) *conf.Val[int] { return &c.trailersInherit }),
			Doc: "As add_header_inherit, for add_trailer."},
	},
	CreateLoc: func(*httpd.Config) any { return &LocConf{expires: expiresUnset} },
	MergeLoc:  mergeLoc,
	Postconfiguration: func(cf *httpd.Config) error {
		cf.AddHeaderFilter(httpd.OrderHeaders, headerFilter)
		cf.AddBodyFilter(httpd.OrderHeaders, trailersFilter)
		return nil
	},
}

// LocConf is the headers module's configuration of one level.
type LocConf struct {
	expires      expiresKind
	expiresTime  int64
	expiresValue *value

	// headers and trailers are nil when the level has none (then it
	// inherits), non-nil once add_header / add_trailer appeared.
	headers  []*field
	trailers []*field

	headersInherit, trailersInherit conf.Val[int]
}

// fieldKind tells how a field is applied (nginx's ngx_http_set_headers).
type fieldKind uint8

const (
	plainField fieldKind = iota
	cacheControlField
	linkField
	lastModifiedField
	etagField
)

// field is one add_header or add_trailer.
type field struct {
	key    string
	value  *value // nil for an empty value
	kind   fieldKind
	always bool
}

func (f *field) eval(r *httpd.Request) string {
	if f.value == nil {
		return ""
	}
	return f.value.eval(r)
}

func mergeLoc(_ *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	if c.expires == expiresUnset {
		c.expires, c.expiresTime, c.expiresValue = p.expires, p.expiresTime, p.expiresValue
		if c.expires == expiresUnset {
			c.expires = expiresOff
		}
	}
	c.headersInherit.Inherit(p.headersInherit, inheritOn)
	c.trailersInherit.Inherit(p.trailersInherit, inheritOn)
	c.headers = inherit(c.headers, p.headers, c.headersInherit.Get())
	c.trailers = inherit(c.trailers, p.trailers, c.trailersInherit.Get())
	return nil
}

// inherit is the list merge rule: a level without a list takes its
// parent's; with merge, the parent's follow the level's own.
func inherit(own, parent []*field, mode int) []*field {
	if mode == inheritOff || parent == nil {
		return own
	}
	if own == nil {
		return parent
	}
	if mode == inheritMerge {
		return append(own[:len(own):len(own)], parent...)
	}
	return own
}

// setAdd is "add_header" or "add_trailer" (ngx_http_headers_add).
func setAdd(trailer bool) func(c *conf.Cmd) error {
	return func(c *conf.Cmd) error {
		lc := c.Conf.(*LocConf)
		f := &field{key: c.Arg(0)}
		if !trailer {
			switch ascii.ToLower(f.key) {
			case "cache-control":
				f.kind = cacheControlField
			case "link":
				f.kind = linkField
			case "last-modified":
				f.kind = lastModifiedField
			case "etag":
				f.kind = etagField
			}
		}
		if v := c.Arg(1); v != "" {
			x, err := compileValue(c, v)
			if err != nil {
				return err
			}
			f.value = x
		}
		if len(c.Args) == 3 {
			if c.Arg(2) != "always" {
				return c.Errorf("invalid parameter \"%s\"", c.Arg(2))
			}
			f.always = true
		}
		if trailer {
			lc.trailers = append(nonNil(lc.trailers), f)
		} else {
			lc.headers = append(nonNil(lc.headers), f)
		}
		return nil
	}
}

func nonNil(l []*field) []*field {
	if l == nil {
		return make([]*field, 0, 2)
	}
	return l
}
