package httpd

import (
	"sort"
	"strings"

	"github.com/sluicehq/sluice/conf"
)

// LocKind is what a Location block is.
type LocKind uint8

// The location kinds. LocRoot and LocServer are the http-level and
// server-level confs; LocIf and LocLimitExcept are the anonymous locations
// of "if" and "limit_except" blocks.
const (
	LocRoot LocKind = iota
	LocServer
	LocPrefix
	LocExact
	LocNoRegex
	LocRegex
	LocNamed
	LocIf
	LocLimitExcept
)

// Location is one location-level conf: a location block, or the anonymous
// block of "if"/"limit_except", or a server's or the http block's own.
type Location struct {
	// Name is the location's URI, regex source or "@name".
	Name string
	Kind LocKind
	// Regex is set for regex locations.
	Regex *Regex
	// AutoRedirect, set at configuration time by content modules that pass
	// requests on (proxy_pass, memcached_pass...), makes a request for the
	// location's name without its trailing slash a 301 to the name.
	AutoRedirect bool

	confs confs
	core  *CoreLocConf
	srv   *Server
	cfg   *Config
	// Parent is the enclosing location (nil for a server's own).
	Parent *Location
	// children are every nested block, in order, for merging.
	children []*Location
	// locations are the nested location blocks, in order.
	locations []*Location

	exact    map[string]*Location
	prefixes []*Location // inclusive (prefix and ^~), longest first
	regexes  []*Location
	// autoRedirect maps "name without its trailing slash" to the location.
	autoRedirect map[string]*Location

	file string
	line int
}

// Conf returns module m's conf at this location.
func (l *Location) Conf(m Keyed) any { return l.confs.get(m) }

// Core returns the core module's location conf.
func (l *Location) Core() *CoreLocConf { return l.core }

// Server returns the server block the location belongs to.
func (l *Location) Server() *Server { return l.srv }

func (l *Location) bindCore() { l.core = l.confs.get(l.cfg.modules[0]).(*CoreLocConf) }

// Exact reports whether the location is "location = ...".
func (l *Location) Exact() bool { return l.Kind == LocExact }

// Named reports whether the location is "location @name".
func (l *Location) Named() bool { return l.Kind == LocNamed }

// Position returns the file and line of the block.
func (l *Location) Position() (string, int) { return l.file, l.line }

// newChild creates a nested location-level conf of the given kind.
func (l *Location) newChild(kind LocKind, name string, c *conf.Cmd) *Location {
	n := &Location{Name: name, Kind: kind, confs: l.cfg.newLocConfs(), srv: l.srv, cfg: l.cfg, Parent: l, file: c.File, line: c.Line}
	n.bindCore()
	n.core.loc = n
	l.children = append(l.children, n)
	return n
}

// readLocation is the "location" block (ngx_http_core_location).
func readLocation(c *conf.Cmd) error {
	cf, srv, parent := BlockOf(c)
	var (
		name     string
		kind     = LocPrefix
		caseless bool
	)
	if len(c.Args) == 2 {
		name = c.Args[1]
		switch c.Args[0] {
		case "=":
			kind = LocExact
		case "^~":
			kind = LocNoRegex
		case "~":
			kind = LocRegex
		case "~*":
			kind, caseless = LocRegex, true
		default:
			return c.Errorf("invalid location modifier \"%s\"", c.Args[0])
		}
	} else {
		name = c.Args[0]
		switch {
		case strings.HasPrefix(name, "="):
			kind, name = LocExact, name[1:]
		case strings.HasPrefix(name, "^~"):
			kind, name = LocNoRegex, name[2:]
		case strings.HasPrefix(name, "~*"):
			kind, name, caseless = LocRegex, name[2:], true
		case strings.HasPrefix(name, "~"):
			kind, name = LocRegex, name[1:]
		case strings.HasPrefix(name, "@"):
			kind = LocNamed
		}
	}
	var re *Regex
	if kind == LocRegex {
		var err error
		if re, err = cf.CompileRegex(c, name, caseless); err != nil {
			return err
		}
	}
	if parent.Kind != LocServer {
		if parent.Kind == LocExact {
			return c.Errorf("location \"%s\" cannot be inside the exact location \"%s\"", name, parent.Name)
		}
		if parent.Kind == LocNamed {
			return c.Errorf("location \"%s\" cannot be inside the named location \"%s\"", name, parent.Name)
		}
		if kind == LocNamed {
			return c.Errorf("named location \"%s\" can be on the server level only", name)
		}
		if kind != LocRegex && !strings.HasPrefix(name, parent.Name) {
			return c.Errorf("location \"%s\" is outside location \"%s\"", name, parent.Name)
		}
	}
	l := parent.newChild(kind, name, c)
	l.Regex = re
	parent.locations = append(parent.locations, l)
	if kind == LocNamed {
		if _, dup := srv.Named[name]; dup {
			return c.Errorf("duplicate location \"%s\"", name)
		}
		srv.Named[name] = l
	}
	return c.Loader.Walk(cf.scope(conf.HTTPLoc, &block{cf: cf, srv: srv, loc: l}, c.Scope), c.Block)
}

// buildTree prepares the lookup structures of a location and its nested
// locations (ngx_http_init_locations / ngx_http_init_static_location_trees).
func (l *Location) buildTree() error {
	l.exact = map[string]*Location{}
	l.autoRedirect = map[string]*Location{}
	seen := map[string]*Location{}
	for _, n := range l.locations {
		switch n.Kind {
		case LocExact, LocPrefix, LocNoRegex:
			key := n.Name
			if n.Kind == LocExact {
				key = "=" + key
			}
			if _, dup := seen[key]; dup {
				return &conf.Error{File: n.file, Line: n.line, Msg: "duplicate location \"" + n.Name + "\""}
			}
			seen[key] = n
			if n.Kind == LocExact {
				l.exact[n.Name] = n
			} else {
				l.prefixes = append(l.prefixes, n)
			}
		case LocRegex:
			l.regexes = append(l.regexes, n)
		}
		if err := n.buildTree(); err != nil {
			return err
		}
	}
	sort.SliceStable(l.prefixes, func(i, j int) bool { return len(l.prefixes[i].Name) > len(l.prefixes[j].Name) })
	for _, n := range l.locations {
		if n.AutoRedirect && strings.HasSuffix(n.Name, "/") && (n.Kind == LocPrefix || n.Kind == LocNoRegex || n.Kind == LocExact) {
			key := strings.TrimSuffix(n.Name, "/")
			if _, ok := l.autoRedirect[key]; !ok || n.Kind == LocExact {
				l.autoRedirect[key] = n
			}
		}
	}
	return nil
}

// findResult is the outcome of a location lookup
// (ngx_http_core_find_location's return codes).
type findResult uint8

const (
	findDeclined findResult = iota // no location of this level matched
	findOK                         // final: exact or regex match
	findAgain                      // prefix match; nested ones may refine it
	findRedirect                   // auto-redirect to the name with a slash
)

// findStatic is ngx_http_core_find_static_location over one level.
func (l *Location) findStatic(uri string) (*Location, findResult) {
	if n := l.exact[uri]; n != nil {
		return n, findOK
	}
	for _, n := range l.prefixes {
		if len(n.Name) == len(uri) && n.Name == uri {
			return n, findAgain
		}
	}
	if n := l.autoRedirect[uri]; n != nil {
		return n, findRedirect
	}
	for _, n := range l.prefixes {
		if strings.HasPrefix(uri, n.Name) {
			return n, findAgain
		}
	}
	return nil, findDeclined
}

// findLocation is ngx_http_core_find_location starting at level l: it
// returns the location to use (nil when nothing matched below l).
func (r *Request) findLocation(l *Location) (*Location, findResult) {
	found, rc := l.findStatic(r.URI)
	noregex := false
	if rc == findAgain {
		noregex = found.Kind == LocNoRegex
		if nested, nrc := r.findLocation(found); nested != nil {
			found, rc = nested, nrc
			if nrc == findOK || nrc == findRedirect {
				return found, rc
			}
		}
	}
	if rc == findOK || rc == findRedirect {
		return found, rc
	}
	if !noregex {
		for _, n := range l.regexes {
			if r.RegexExec(n.Regex, r.URI) {
				if nested, _ := r.findLocation(n); nested != nil {
					return nested, findOK
				}
				return n, findOK
			}
		}
	}
	return found, rc
}
