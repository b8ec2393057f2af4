package charset

import (
	"github.com/sluicehq/sluice/conf"
	"github.com/sluicehq/sluice/httpd"
	"github.com/sluicehq/sluice/internal/ascii"
)

// refKind says what a charset or source_charset value names.
type refKind uint8

const (
	// refOff is "charset off" (and an unset source_charset).
	refOff refKind = iota
	// refName is a charset by its index in mainConf.charsets.
	refName
	// refVar is a variable whose value names the charset.
	refVar
)

// ref is the value of charset or source_charset.
type ref struct {
	kind refKind
	idx  int
}

// charsetDef is a charset the configuration names (ngx_http_charset_t).
type charsetDef struct {
	name string
	utf8 bool
	// tables[i] recodes this charset into charset i, nil when no
	// charset_map joins them; built at postconfiguration.
	tables []*table
}

// mapPair is one charset_map block: the tables both ways between src and
// dst (ngx_http_charset_tables_t).
type mapPair struct {
	src, dst         int
	src2dst, dst2src table
}

// mainConf holds the charsets and maps of an http block.
type mainConf struct {
	charsets []charsetDef
	maps     []*mapPair
	// recodes are the (source, destination) pairs locations use, which
	// must have a map.
	recodes [][2]int
}

// add returns the index of the charset name, adding it
// (ngx_http_add_charset): names compare case-insensitively.
func (mc *mainConf) add(name string) int {
	if i := mc.find(name); i >= 0 {
		return i
	}
	mc.charsets = append(mc.charsets, charsetDef{name: name, utf8: ascii.EqualFold(name, "utf-8")})
	return len(mc.charsets) - 1
}

// find returns the index of the charset name, -1 when unknown
// (ngx_http_get_charset).
func (mc *mainConf) find(name string) int {
	for i := range mc.charsets {
		if len(mc.charsets[i].name) == len(name) && ascii.EqualFold(mc.charsets[i].name, name) {
			return i
		}
	}
	return -1
}

// LocConf is the module's location configuration.
type LocConf struct {
	Charset, Source conf.Val[ref]
	Override        conf.Flag
	Types           httpd.Types
}

// defaultTypes are charset_types' default.
var defaultTypes = []string{"text/html", "text/xml", "text/plain", "text/vnd.wap.wml",
	"application/javascript", "application/rss+xml"}

// setCharset is ngx_http_set_charset_slot for charset and source_charset.
func setCharset(get func(*LocConf) *conf.Val[ref], offAllowed bool) func(*conf.Cmd) error {
	return func(c *conf.Cmd) error {
		v := get(c.Conf.(*LocConf))
		if v.IsSet() {
			return c.Duplicate()
		}
		arg := c.Arg(0)
		cf := httpd.ConfigOf(c)
		switch {
		case offAllowed && arg == "off":
			v.Set(ref{kind: refOff})
		case arg != "" && arg[0] == '$':
			v.Set(ref{kind: refVar, idx: cf.VariableIndex(arg[1:])})
		default:
			mc := cf.MainConf(&self).(*mainConf)
			v.Set(ref{kind: refName, idx: mc.add(arg)})
		}
		return nil
	}
}

// mergeLoc is ngx_http_charset_merge_loc_conf: it also records each
// (source, charset) pair of names, which postconfiguration checks.
func mergeLoc(cf *httpd.Config, parent, child any) error {
	p, c := parent.(*LocConf), child.(*LocConf)
	c.Types.Inherit(&p.Types, defaultTypes...)
	c.Override.Inherit(p.Override, false)
	c.Charset.Inherit(p.Charset, ref{kind: refOff})
	c.Source.Inherit(p.Source, ref{kind: refOff})
	dst, src := c.Charset.Get(), c.Source.Get()
	if dst.kind != refName || src.kind != refName || dst.idx == src.idx {
		return nil
	}
	mc := cf.MainConf(&self).(*mainConf)
	for _, rc := range mc.recodes {
		if rc == [2]int{src.idx, dst.idx} {
			return nil
		}
	}
	mc.recodes = append(mc.recodes, [2]int{src.idx, dst.idx})
	return nil
}

// postconfiguration checks that every recoding a location needs has a map
// and links the tables to their charsets
// (ngx_http_charset_postconfiguration).
func postconfiguration(cf *httpd.Config) error {
	mc := cf.MainConf(&self).(*mainConf)
next:
	for _, rc := range mc.recodes {
		for _, m := range mc.maps {
			if m.src == rc[0] && m.dst == rc[1] || m.src == rc[1] && m.dst == rc[0] {
				continue next
			}
		}
		return &conf.Error{NoPos: true, Msg: "no \"charset_map\" between the charsets \"" +
			mc.charsets[rc[0]].name + "\" and \"" + mc.charsets[rc[1]].name + "\""}
	}
	for _, m := range mc.maps {
		for _, i := range []int{m.src, m.dst} {
			if mc.charsets[i].tables == nil {
				mc.charsets[i].tables = make([]*table, len(mc.charsets))
			}
		}
		mc.charsets[m.src].tables[m.dst] = &m.src2dst
		mc.charsets[m.dst].tables[m.src] = &m.dst2src
	}
	cf.AddHeaderFilter(order, headerFilter)
	cf.AddBodyFilter(order, bodyFilter)
	return nil
}
